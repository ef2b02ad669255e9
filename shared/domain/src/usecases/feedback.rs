//! Reports from the mail service about an email already handed over: the recipient's server
//! bounced it, or the recipient complained. Either stops all further email for that send (no
//! reminder, no retry) until someone resends the invitation.

use crate::{
    audit::Event,
    clock::Timestamp,
    invitation::Delivery,
    message::MailReference,
    metrics,
    store::{Invitations, StoreError},
};

/// What came back about an email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A permanent bounce: the address does not take mail.
    Bounce,
    /// The recipient marked it as spam.
    Complaint,
}

/// What a report changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackOutcome {
    /// The invitation's delivery now says so.
    Recorded,
    /// The invitation is gone (accepted, cancelled, expired and removed).
    InvitationGone,
    /// The report is about an earlier send; the invitation was sent again since.
    Superseded,
}

/// Marks the invitation the report is about, if the report is about its current send. Safe to
/// receive twice: the second report records the same state again.
pub async fn record_refusal<S: Invitations>(
    store: &S,
    reference: &MailReference,
    refusal: Refusal,
    now: Timestamp,
) -> Result<FeedbackOutcome, StoreError> {
    let Some(invitation) = store
        .invitation(&reference.workgroup, &reference.invitation)
        .await?
    else {
        return Ok(FeedbackOutcome::InvitationGone);
    };
    if invitation.nonce.fingerprint() != reference.send {
        return Ok(FeedbackOutcome::Superseded);
    }
    let delivery = match refusal {
        Refusal::Bounce => Delivery::Bounced,
        Refusal::Complaint => Delivery::Complained,
    };
    // Already recorded (SES may report twice): one event is enough.
    if invitation.delivery == delivery {
        return Ok(FeedbackOutcome::Recorded);
    }
    let refused = invitation.with_delivery(delivery);
    let event = Event::delivery(&refused, now);
    match store.record_delivery(&refused, &event).await {
        Ok(()) => {
            metrics::changed(&event.change);
            Ok(FeedbackOutcome::Recorded)
        }
        // Resent or removed between the read and the write.
        Err(StoreError::Conflict) => Ok(FeedbackOutcome::Superseded),
        Err(error) => Err(error),
    }
}
