//! The daily invitation quota: how many invitation emails (invites and resends) one inviter may
//! send in one workgroup per UTC day. Stores count it atomically, so concurrent requests cannot
//! overshoot it.

use chrono::{Days, NaiveDate};

use crate::{address::EmailAddress, clock::Timestamp, ids::WorkgroupId};

/// Whose quota, and which day's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuotaKey {
    pub workgroup: WorkgroupId,
    pub inviter: EmailAddress,
    pub day: NaiveDate,
}

impl QuotaKey {
    pub fn today(workgroup: &WorkgroupId, inviter: &EmailAddress, now: Timestamp) -> Self {
        Self {
            workgroup: workgroup.clone(),
            inviter: inviter.clone(),
            day: now.date_naive(),
        }
    }

    /// When the day's count starts over.
    pub fn resets_at(&self) -> Timestamp {
        let next = self.day.checked_add_days(Days::new(1)).unwrap_or(self.day);
        next.and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
    }
}

/// The quota refused a request: nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the daily limit of {limit} invitation emails per inviter in this workgroup is reached")]
pub struct OverQuota {
    pub limit: u32,
    /// When the quota starts over.
    pub resets_at: Timestamp,
    /// Seconds from the refusal until then.
    pub retry_after: u32,
}

/// The workgroup's pending cap refused a request: nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the workgroup has {limit} pending invitations, its limit: cancel some, or wait for answers or expiries"
)]
pub struct PendingCapReached {
    pub limit: u32,
    /// Seconds a client should wait before asking again.
    pub retry_after: u32,
}

impl PendingCapReached {
    /// Places free up when invitations are answered or cancelled (any time) or expire
    /// (recorded by the delivery sweep every ten minutes): an hour is a fair wait to suggest.
    pub const RETRY_AFTER: u32 = 3600;
}
