//! Reserving under the daily limits and the workgroup's pending cap before anything is sent or
//! changed, so a refused request changes nothing, and giving back afterwards what was reserved
//! and not used: a quota counts only emails handed to the mail service.

use futures::future::{join_all, try_join_all};

use crate::{
    address::EmailAddress,
    app::App,
    clock::Clock,
    delivery::Queue,
    ids::WorkgroupId,
    quota::{Counted, OverQuota, PendingCapReached, QuotaKey},
    store::{Counters, StoreError},
};

/// Refused sign-ins recorded per person per day; later ones are only logged.
pub(crate) const SIGN_IN_REFUSALS_RECORDED_PER_DAY: u32 = 5;

/// Why a reservation under the daily limits was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum QuotaError {
    #[error(transparent)]
    Over(OverQuota),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a reservation under the daily limits or the pending cap was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReserveError {
    #[error(transparent)]
    Over(OverQuota),
    #[error(transparent)]
    Pending(PendingCapReached),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<QuotaError> for ReserveError {
    fn from(error: QuotaError) -> Self {
        match error {
            QuotaError::Over(over) => Self::Over(over),
            QuotaError::Store(error) => Self::Store(error),
        }
    }
}

/// What one send of invitation emails counts on: the inviter's counters and each recipient's.
pub(crate) struct EmailCharge {
    inviter: [QuotaKey; 2],
    recipients: Vec<QuotaKey>,
}

impl EmailCharge {
    pub(crate) fn new(
        workgroup: &WorkgroupId,
        inviter: &EmailAddress,
        recipients: &[&EmailAddress],
        now: crate::clock::Timestamp,
    ) -> Self {
        let key = |counted| QuotaKey::today(counted, now);
        Self {
            inviter: [
                key(Counted::EmailsSentIn {
                    workgroup: workgroup.clone(),
                    inviter: inviter.clone(),
                }),
                key(Counted::EmailsSent {
                    inviter: inviter.clone(),
                }),
            ],
            recipients: recipients
                .iter()
                .map(|recipient| {
                    key(Counted::EmailsReceived {
                        recipient: (*recipient).clone(),
                    })
                })
                .collect(),
        }
    }

    /// Every counter with the amount the whole send would cost.
    fn wanted(&self) -> Vec<(&QuotaKey, u32)> {
        let emails = self.recipients.len() as u32;
        let inviter = self.inviter.iter().map(|key| (key, emails));
        inviter
            .chain(self.recipients.iter().map(|key| (key, 1)))
            .collect()
    }
}

impl<S: Counters, Q: Queue, C: Clock> App<S, Q, C> {
    /// The configured limit of a counter.
    fn limit_of(&self, counted: &Counted) -> u32 {
        let settings = &self.settings;
        match counted {
            Counted::EmailsSentIn { .. } => settings.daily_invitations_per_inviter,
            Counted::EmailsSent { .. } => settings.daily_invitations_per_inviter_overall,
            Counted::EmailsReceived { .. } => settings.daily_invitations_per_recipient,
            Counted::WorkgroupsCreated { .. } => settings.daily_workgroups_per_person,
            Counted::SignInsRefused { .. } => SIGN_IN_REFUSALS_RECORDED_PER_DAY,
        }
    }

    /// Reserves every `(key, amount)` under its limit. If one refuses, what the others took
    /// is given back and the refusal names the first limit (in the order given) that refused.
    pub(crate) async fn reserve_daily(
        &self,
        wanted: &[(&QuotaKey, u32)],
    ) -> Result<(), QuotaError> {
        let results = join_all(wanted.iter().map(|(key, amount)| async move {
            let limit = self.limit_of(&key.counted);
            match self.store.reserve_quota(key, *amount, limit).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(QuotaError::Over(self.over(key, limit))),
                Err(error) => Err(QuotaError::Store(error)),
            }
        }))
        .await;
        if results.iter().all(Result::is_ok) {
            return Ok(());
        }
        let taken = wanted.iter().zip(&results).filter(|(_, r)| r.is_ok());
        join_all(taken.map(|((key, amount), _)| self.refund_daily(key, *amount))).await;
        Err(results
            .into_iter()
            .find_map(Result::err)
            .expect("one reservation failed"))
    }

    fn over(&self, key: &QuotaKey, limit: u32) -> OverQuota {
        let wait = (key.resets_at() - self.now()).num_seconds().max(1);
        OverQuota {
            counted: key.counted.clone(),
            limit,
            resets_at: key.resets_at(),
            retry_after: u32::try_from(wait).unwrap_or(u32::MAX),
        }
    }

    /// Gives back `amount` reserved and not used; a failure only leaves the limit stricter for
    /// the rest of the day, so it is logged, not returned.
    pub(crate) async fn refund_daily(&self, key: &QuotaKey, amount: u32) {
        if amount == 0 {
            return;
        }
        if let Err(error) = self.store.refund_quota(key, amount).await {
            tracing::warn!(%error, "unused quota not given back");
        }
    }

    /// Reserves what sending every email of `charge` would cost.
    pub(crate) async fn reserve_emails(&self, charge: &EmailCharge) -> Result<(), QuotaError> {
        self.reserve_daily(&charge.wanted()).await
    }

    /// How many more emails `charge`'s inviter may send today, under both of their daily
    /// limits (never below 0, even if a limit was lowered under what is counted), and when
    /// the counts start over. Reads the counters only: it reserves nothing.
    pub(crate) async fn emails_left(
        &self,
        charge: &EmailCharge,
    ) -> Result<(u32, crate::clock::Timestamp), StoreError> {
        let left = try_join_all(charge.inviter.iter().map(|key| async move {
            let used = self.store.quota_used(key).await?;
            Ok::<_, StoreError>(self.limit_of(&key.counted).saturating_sub(used))
        }))
        .await?;
        let [key, _] = &charge.inviter;
        Ok((left.into_iter().min().unwrap_or(0), key.resets_at()))
    }

    /// Gives back what `charge` reserved for the emails that were not handed over: `handed_over`
    /// says, recipient by recipient in the charge's order, whether theirs was.
    pub(crate) async fn settle_emails(&self, charge: &EmailCharge, handed_over: &[bool]) {
        let unsent = handed_over.iter().filter(|sent| !**sent).count() as u32;
        let inviter = charge.inviter.iter().map(|key| (key, unsent));
        let recipients = charge
            .recipients
            .iter()
            .zip(handed_over)
            .filter(|(_, sent)| !**sent)
            .map(|(key, _)| (key, 1));
        join_all(
            inviter
                .chain(recipients)
                .map(|(key, amount)| self.refund_daily(key, amount)),
        )
        .await;
    }

    /// Reserves `amount` places under the workgroup's pending cap.
    pub(crate) async fn reserve_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
    ) -> Result<(), ReserveError> {
        let limit = self.settings.pending_invitations_per_workgroup;
        if amount > 0 && !self.store.reserve_pending(workgroup, amount, limit).await? {
            return Err(ReserveError::Pending(PendingCapReached {
                limit,
                retry_after: PendingCapReached::RETRY_AFTER,
            }));
        }
        Ok(())
    }

    /// Counts `amount` pending invitations that became pending without a reserved place,
    /// whatever the cap: a concurrent answer or cancel freed the place they took, so the count
    /// stays true (never looser than the truth).
    pub(crate) async fn count_pending(&self, workgroup: &WorkgroupId, amount: u32) {
        if amount == 0 {
            return;
        }
        if let Err(error) = self
            .store
            .reserve_pending(workgroup, amount, u32::MAX)
            .await
        {
            tracing::warn!(%error, "pending invitations not counted");
        }
    }

    /// Frees `amount` places under the pending cap; a failure only leaves the cap stricter
    /// (never looser), so it is logged, not returned.
    pub(crate) async fn release_pending(&self, workgroup: &WorkgroupId, amount: u32) {
        if amount == 0 {
            return;
        }
        if let Err(error) = self.store.release_pending(workgroup, amount).await {
            tracing::warn!(%error, "pending places not freed");
        }
    }
}
