//! The sender: one due email off the queue, handed to the mail service once.

use chrono::TimeDelta;

use crate::{
    app::{App, error_chain},
    audit::Event,
    clock::Clock,
    delivery::Occasion,
    delivery::{DueEmail, Queue, SendOutcome},
    invitation::{Delivery, Invitation},
    mailer::{MailFailure, Mailer},
    message::invitation_email,
    metrics::{self, Metric},
    quota::{Counted, QuotaKey},
    store::{Counters, Invitations, StoreError},
};

/// How long a throttled email waits before it comes back: SES's rate is per second, and the
/// senders share it, so a few seconds is enough for the next free slot.
pub const THROTTLED_WAIT_SECONDS: u32 = 5;

impl<S: Invitations + Counters, Q: Queue, C: Clock> App<S, Q, C> {
    /// Sends `due` with `mailer`, if it is still owed. The email is claimed on its invitation
    /// with a conditional write first, so a duplicated message, an overlapping sweep's post and
    /// the original send it once; what became of it is then recorded with its event. An email
    /// the mail service refused for good gives back what its invite counted against the daily
    /// limits.
    pub async fn send_due(
        &self,
        due: &DueEmail,
        mailer: &impl Mailer,
    ) -> Result<SendOutcome, StoreError> {
        let now = self.now();
        let Some(stored) = self.store.invitation_for(&due.workgroup, &due.to).await? else {
            return Ok(SendOutcome::Skipped);
        };
        let Some(claimed) = stored.claimed_for(due, now) else {
            return Ok(SendOutcome::Skipped);
        };
        match self.store.update_invitation(&claimed, None).await {
            // Claimed, resent, answered or cancelled meanwhile: the winner owns what follows.
            Err(StoreError::Conflict) => return Ok(SendOutcome::Skipped),
            claim => claim?,
        }
        let Some(token) = claimed.current_token(&self.key, now) else {
            return Ok(SendOutcome::Skipped);
        };
        let link = self.settings.links.accept(&token);
        let email = invitation_email(&claimed, &link, claimed.occasion);
        let handed = mailer.send(&email).await;
        let now = self.now();
        let failure = handed.as_ref().err().map(|error| {
            tracing::warn!(invitation = %claimed.id, error = %error_chain(error), "an email was not handed over");
            error.kind
        });
        if failure == Some(MailFailure::Throttled) {
            let wait = TimeDelta::seconds(i64::from(THROTTLED_WAIT_SECONDS));
            let released = claimed.throttled(now, wait);
            if let Err(error) = self.store.update_invitation(&released, None).await {
                tracing::info!(invitation = %claimed.id, %error, "a throttled claim not given back");
            }
            return Ok(SendOutcome::RetryLater {
                seconds: THROTTLED_WAIT_SECONDS,
            });
        }
        let after = match failure {
            None => claimed.attempted(true, now),
            Some(MailFailure::Refused) => claimed.refused(),
            Some(_) => claimed.attempted(false, now),
        };
        let event = Event::delivery(&after, now);
        match self.store.record_delivery(&after, &event).await {
            Ok(()) => metrics::changed(&event.change),
            Err(error) => {
                tracing::info!(invitation = %after.id, %error, "delivery state not recorded");
            }
        }
        // An invitation email was queued when it was sent; a reminder's queuing is not kept.
        if failure.is_none() && claimed.occasion == Occasion::Invitation {
            let lag = (now - claimed.sent_at).num_milliseconds() as f64;
            metrics::measure(Metric::DeliveryLag, lag);
        }
        if given_up(&after) {
            self.give_back_invite(&after).await;
        }
        Ok(if failure.is_none() {
            SendOutcome::Sent
        } else {
            SendOutcome::Failed
        })
    }

    /// Gives back what `previous`'s send counted against the daily limits when that send's
    /// invitation email will never be handed over: it was superseded by a resend, or the
    /// invitation cancelled, while the email was still queued or failing (and held by no
    /// sender, which may be handing it over right now).
    pub(crate) async fn give_back_unsent(&self, previous: &Invitation) {
        let unsent = previous.occasion == Occasion::Invitation
            && matches!(previous.delivery, Delivery::Queued | Delivery::Failed)
            && previous.sending_until.is_none()
            && !given_up(previous);
        if unsent {
            self.give_back_invite(previous).await;
        }
    }

    /// Gives back what the send's invite or resend counted against the daily limits: the
    /// email was never delivered.
    async fn give_back_invite(&self, invitation: &Invitation) {
        let counted = [
            Counted::EmailsSentIn {
                workgroup: invitation.workgroup.id.clone(),
                inviter: invitation.invited_by.email.clone(),
            },
            Counted::EmailsSent {
                inviter: invitation.invited_by.email.clone(),
            },
            Counted::EmailsReceived {
                recipient: invitation.email.clone(),
            },
        ];
        for counted in counted {
            self.refund_daily(&QuotaKey::today(counted, invitation.sent_at), 1)
                .await;
        }
    }
}

/// The invitation email of this send failed and will not be tried again (reminders count
/// against no limit).
fn given_up(invitation: &Invitation) -> bool {
    invitation.occasion == Occasion::Invitation
        && invitation.delivery == Delivery::Failed
        && invitation.retry_at.is_none()
}
