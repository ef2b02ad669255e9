//! One delivery path for every email: a use case records that an email is due in the same
//! write that changes its invitation, then posts it to a queue; a sender takes it off the
//! queue, claims it on the invitation, hands it to the mail service no faster than the
//! service's rate, and records what became of it. A sweep posts again whatever the queue never
//! carried or no sender finished (see [`crate::invitation::DELIVERY_GRACE`]).

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::{
    address::EmailAddress,
    ids::{InvitationId, WorkgroupId},
    message::Occasion,
};

/// An email owed to an invitee, as a queue carries it: which send of which invitation, on
/// which occasion. It holds no token (the sender derives the link with the secret key) and
/// names the invitation by the keys a consistent read needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueEmail {
    pub workgroup: WorkgroupId,
    pub invitation: InvitationId,
    pub to: EmailAddress,
    /// [`crate::secret::SendNonce::fingerprint`] of the send.
    pub send: String,
    pub occasion: Occasion,
}

/// The longest a queue message may be: a due email is a few hundred bytes.
pub const MAX_MESSAGE_BYTES: usize = 4096;

impl DueEmail {
    /// The message body a queue carries.
    pub fn to_message(&self) -> String {
        serde_json::to_string(self).expect("a due email always serialises")
    }

    /// Reads a message body back; `None` for anything this service did not post.
    pub fn from_message(body: &str) -> Option<Self> {
        if body.len() > MAX_MESSAGE_BYTES {
            return None;
        }
        serde_json::from_str(body).ok()
    }
}

/// The queue port: carries due emails from the use cases that make them due to the sender.
pub trait Queue: Send + Sync {
    /// Posts every email, in batches the queue allows. An error means some may not have been
    /// posted: the sweep posts them after the grace.
    fn post(&self, emails: &[DueEmail]) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// The queue could not take the emails.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct QueueError {
    pub context: String,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Shares the mail service's sending rate between every sender: one slot per email, counted
/// per second, across all concurrent senders.
pub trait SendSlots: Send + Sync {
    /// Takes one of the `rate` slots of the epoch second `second`: its place in the second,
    /// from 0 (so a sender can space its send within the second), or `None` when all are taken.
    fn take_send_slot(
        &self,
        second: i64,
        rate: u32,
    ) -> impl Future<Output = Result<Option<u32>, crate::store::StoreError>> + Send;
}

/// What became of one due email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// Handed to the mail service and recorded.
    Sent,
    /// Not owed any more (sent already, claimed by another sender, resent, answered, expired):
    /// nothing to do.
    Skipped,
    /// The attempt failed; it is due again later (or given up on after the last attempt), and
    /// a sweep posts it then: the message is done with.
    Failed,
    /// The mail service asked to slow down: the message should come back after this many
    /// seconds.
    RetryLater { seconds: u32 },
}
