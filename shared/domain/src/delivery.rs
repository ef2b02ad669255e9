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

/// The longest a message to try again is hidden for.
pub const MAX_RETRY_WAIT_SECONDS: u32 = 900;

/// How long a message to try again stays hidden after its `receives`-th receive: `seconds`
/// (what the use case asked for) the first time, four times longer at each receive after, so
/// a mail service that keeps throttling is asked less and less often before the queue gives
/// the message up to its dead-letter queue.
pub fn retry_wait(seconds: u32, receives: u32) -> u32 {
    let growth = 4u32.saturating_pow(receives.saturating_sub(1));
    seconds.saturating_mul(growth).min(MAX_RETRY_WAIT_SECONDS)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_waits_four_times_longer_at_each_receive_up_to_a_bound() {
        let waits: Vec<u32> = (1..=6).map(|receives| retry_wait(5, receives)).collect();
        assert_eq!(waits, vec![5, 20, 80, 320, 900, 900]);
        assert_eq!(retry_wait(5, 0), 5, "a count SQS did not give is the first");
        assert_eq!(retry_wait(5, u32::MAX), MAX_RETRY_WAIT_SECONDS);
    }
}

/// Why an invitation email is being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Occasion {
    /// The first email, or a resend.
    Invitation,
    /// A reminder sent this many days before expiry.
    Reminder { days_before: u16 },
}
