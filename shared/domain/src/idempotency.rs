//! Idempotency keys: a client that retries a request with the same `Idempotency-Key` gets the
//! first answer again instead of a second invite or resend (and a second email).
//!
//! A key belongs to one caller in one workgroup; it is kept for [`IDEMPOTENCY_WINDOW`]. The
//! first request claims it, runs, and records its answer; a retry with the same request gets
//! that answer; the same key with another request is refused; a retry while the first still
//! runs is told to wait.

use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use crate::{address::EmailAddress, clock::Timestamp, ids::WorkgroupId};

/// How long a key and its answer are kept.
pub const IDEMPOTENCY_WINDOW: TimeDelta = TimeDelta::hours(24);

/// A claim older than this whose request never recorded an answer is taken over: its request
/// stopped (functions time out well before).
pub const ABANDONED_AFTER: TimeDelta = TimeDelta::minutes(5);

/// A client's key, scoped to the caller and the workgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// SHA-256 of the scope and the key, in hex: what stores keep (the raw key may be anything
    /// printable the client chose).
    digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Idempotency-Key must be 1 to 255 printable ASCII characters")]
pub struct BadIdempotencyKey;

impl IdempotencyKey {
    pub fn new(
        workgroup: &WorkgroupId,
        caller: &EmailAddress,
        key: &str,
    ) -> Result<Self, BadIdempotencyKey> {
        let printable = key.bytes().all(|b| (0x20..0x7f).contains(&b));
        if key.is_empty() || key.len() > 255 || !printable {
            return Err(BadIdempotencyKey);
        }
        let mut hash = Sha256::new();
        for part in [workgroup.as_str(), caller.as_str(), key] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        Ok(Self {
            digest: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    pub fn digest(&self) -> &str {
        &self.digest
    }
}

/// The answer given to the first request, replayed to its retries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordedAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// A key as stored: which request claimed it, when, and its answer once there is one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRecord {
    pub fingerprint: String,
    #[serde(with = "chrono::serde::ts_seconds")]
    pub claimed_at: Timestamp,
    pub answer: Option<RecordedAnswer>,
}

impl KeyRecord {
    pub fn expires_at(&self) -> Timestamp {
        self.claimed_at + IDEMPOTENCY_WINDOW
    }

    /// Another request may claim the key at `now`: the record expired, or its request stopped
    /// without an answer.
    pub fn claimable(&self, now: Timestamp) -> bool {
        now >= self.expires_at()
            || (self.answer.is_none() && now >= self.claimed_at + ABANDONED_AFTER)
    }

    /// What a request with `fingerprint` finds when this record holds the key.
    pub fn claim_by(&self, fingerprint: &str) -> Claim {
        match &self.answer {
            _ if self.fingerprint != fingerprint => Claim::Mismatch,
            Some(answer) => Claim::Answered(answer.clone()),
            None => Claim::InProgress,
        }
    }
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's: run it, then record or release.
    Claimed,
    /// The same request runs under this key right now.
    InProgress,
    /// The same request ran; here is its answer.
    Answered(RecordedAnswer),
    /// The key was used for another request.
    Mismatch,
}

/// A request's fingerprint: SHA-256 over its parts, in hex.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
