//! The reminder sweep: emails invitees whose pending invitation expires soon.

use futures::future::join_all;

use crate::{
    app::App,
    clock::{Clock, Timestamp},
    invitation::Invitation,
    message::{Occasion, invitation_email},
    store::{Mailer, Store, StoreError},
};

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Pending invitations expiring within the reminder horizon.
    pub candidates: usize,
    pub sent: usize,
    pub failed: usize,
    /// Not due, or claimed by a concurrent sweep or change first.
    pub skipped: usize,
}

enum Reminded {
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
        let mut report = SweepReport {
            candidates: candidates.len(),
            ..SweepReport::default()
        };
        for result in results {
            match result {
                Reminded::Sent => report.sent += 1,
                Reminded::Failed => report.failed += 1,
                Reminded::Skipped => report.skipped += 1,
            }
        }
        Ok(report)
    }

    async fn remind(&self, invitation: &Invitation, now: Timestamp) -> Reminded {
        let Some(reminder) = invitation.due_reminder(&self.settings.reminders, now) else {
            return Reminded::Skipped;
        };
        let claimed = invitation.reminded(&reminder);
        if let Err(error) = self.store.update_invitation(&claimed).await {
            tracing::info!(invitation = %invitation.id, %error, "reminder not claimed");
            return Reminded::Skipped;
        }
        let Some(token) = claimed.current_token(&self.key, now) else {
            return Reminded::Skipped;
        };
        let link = self.settings.links.accept(&token);
        let occasion = Occasion::Reminder {
            days_before: reminder.days_before,
        };
        if self
            .send(&invitation_email(&claimed, &link, occasion))
            .await
        {
            Reminded::Sent
        } else {
            Reminded::Failed
        }
    }
}
