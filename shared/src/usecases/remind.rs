//! The reminder sweep: emails invitees whose pending invitation expires soon.

use futures::future::join_all;

use crate::{
    app::App,
    audit::{Actor, Change, Event},
    clock::{Clock, Timestamp},
    invitation::{Delivery, Invitation},
    message::{Occasion, invitation_email},
    store::{Mailer, Store, StoreError},
};

/// How far back the expiry sweep looks for expiries to record: a sweep that stopped for
/// longer leaves older ones to be recorded when their address is invited again. Stores keep
/// expired invitations longer than this.
pub const EXPIRY_LOOKBACK: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Pending invitations expiring within the reminder horizon.
    pub candidates: usize,
    /// Emails handed over (for the expiry sweep: expiries recorded).
    pub sent: usize,
    pub failed: usize,
    /// Not due, or claimed by a concurrent sweep or change first.
    pub skipped: usize,
}

impl SweepReport {
    fn of(candidates: usize, results: Vec<Attempt>) -> Self {
        let mut report = SweepReport {
            candidates,
            ..SweepReport::default()
        };
        for result in results {
            match result {
                Attempt::Sent => report.sent += 1,
                Attempt::Failed => report.failed += 1,
                Attempt::Skipped => report.skipped += 1,
            }
        }
        report
    }
}

/// What became of one candidate of a sweep.
enum Attempt {
    Sent,
    Failed,
    Skipped,
}

impl<S: Store, M: Mailer, C: Clock> App<S, M, C> {
    /// Sends every reminder due at `now`, each at most once per invitation and send: the
    /// reminder is claimed with a conditional write before it is emailed, so two sweeps of one
    /// tick never send it twice. A failure for one invitee never stops the others.
    pub async fn send_due_reminders(&self, now: Timestamp) -> Result<SweepReport, StoreError> {
        let schedule = &self.settings.reminders;
        let candidates = self
            .store
            .pending_expiring(now, now + schedule.horizon())
            .await?;
        let results = join_all(candidates.iter().map(|c| self.remind(c, now))).await;
        Ok(SweepReport::of(candidates.len(), results))
    }

    /// Tries again every email that could not be handed over (or whose sender never
    /// reported), each attempt claimed with a conditional write first, so concurrent sweeps
    /// never send one email twice. Attempts back off, and stop after
    /// [`MAX_DELIVERY_ATTEMPTS`](crate::invitation::MAX_DELIVERY_ATTEMPTS).
    pub async fn retry_deliveries(&self, now: Timestamp) -> Result<SweepReport, StoreError> {
        let candidates = self.store.deliveries_due(now).await?;
        let results = join_all(candidates.iter().map(|c| self.retry(c, now))).await;
        Ok(SweepReport::of(candidates.len(), results))
    }

    /// Records every pending invitation that expired unanswered in the last
    /// [`EXPIRY_LOOKBACK`] and is not recorded yet: its event, once, and its place under the
    /// pending cap freed.
    pub async fn record_expiries(&self, now: Timestamp) -> Result<SweepReport, StoreError> {
        let candidates = self
            .store
            .pending_expiring(now - EXPIRY_LOOKBACK, now)
            .await?;
        let results = join_all(candidates.iter().map(|candidate| async move {
            match self.record_expiry(candidate, now).await {
                Ok(true) => Attempt::Sent,
                Ok(false) => Attempt::Skipped,
                Err(error) => {
                    tracing::warn!(invitation = %candidate.id, %error, "expiry not recorded");
                    Attempt::Failed
                }
            }
        }))
        .await;
        Ok(SweepReport::of(candidates.len(), results))
    }

    /// Records that `invitation` expired unanswered, if it did and nobody recorded it yet;
    /// `true` if this call did.
    pub(crate) async fn record_expiry(
        &self,
        invitation: &Invitation,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let Some(lapsed) = invitation.lapsed(now) else {
            return Ok(false);
        };
        // It happened at the expiry, whenever a sweep notices.
        let event = Event::of(&lapsed, Change::Expired, Actor::System, lapsed.expires_at());
        match self.store.update_invitation(&lapsed, Some(&event)).await {
            Ok(()) => {
                self.release_pending(&lapsed.workgroup.id, 1).await;
                Ok(true)
            }
            // Recorded, resent or removed concurrently.
            Err(StoreError::Conflict) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn retry(&self, invitation: &Invitation, now: Timestamp) -> Attempt {
        if !invitation.retry_due(now) {
            return Attempt::Skipped;
        }
        let claimed = invitation.retrying(now);
        if let Err(error) = self.store.update_invitation(&claimed, None).await {
            tracing::info!(invitation = %invitation.id, %error, "retry not claimed");
            return Attempt::Skipped;
        }
        let Some(token) = claimed.current_token(&self.key, now) else {
            return Attempt::Skipped;
        };
        let delivered = self.deliver(claimed, &token, Occasion::Invitation).await;
        if delivered.delivery == Delivery::Sent {
            Attempt::Sent
        } else {
            Attempt::Failed
        }
    }

    async fn remind(&self, invitation: &Invitation, now: Timestamp) -> Attempt {
        let Some(reminder) = invitation.due_reminder(&self.settings.reminders, now) else {
            return Attempt::Skipped;
        };
        let claimed = invitation.reminded(&reminder);
        let change = Change::Reminded {
            days_before: reminder.days_before,
        };
        let event = Event::of(&claimed, change, Actor::System, now);
        if let Err(error) = self.store.update_invitation(&claimed, Some(&event)).await {
            tracing::info!(invitation = %invitation.id, %error, "reminder not claimed");
            return Attempt::Skipped;
        }
        let Some(token) = claimed.current_token(&self.key, now) else {
            return Attempt::Skipped;
        };
        let link = self.settings.links.accept(&token);
        let occasion = Occasion::Reminder {
            days_before: reminder.days_before,
        };
        if self
            .send(&invitation_email(&claimed, &link, occasion))
            .await
        {
            Attempt::Sent
        } else {
            Attempt::Failed
        }
    }
}
