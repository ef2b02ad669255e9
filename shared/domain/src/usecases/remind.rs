//! The sweeps of the schedule: reminders owed before expiry, emails to post again, expiries
//! to record. Each reads its candidates page by page (memory stays bounded however many are
//! due), changes each with a conditional write (so overlapping sweeps do each thing once), and
//! posts the emails a page made due in one batch. A sweep whose `keep_going` says stop leaves
//! the rest due for the next run of the same tick.

use futures::future::join_all;

use crate::{
    app::App,
    audit::{Actor, Change, Event},
    clock::{Clock, Timestamp},
    delivery::{DueEmail, Queue},
    invitation::Invitation,
    metrics::{self, Metric},
    store::{Counters, EventLog, Invitations, PageRequest, People, StoreError},
};

/// How far back the expiry sweep looks for expiries to record: a sweep that stopped for
/// longer leaves older ones to be recorded when their address is invited again. Stores keep
/// expired invitations longer than this.
/// A tick further than this from the clock is skipped: an invocation retried long after its
/// tick (or a replayed event) must not send reminders as of another time. The next tick
/// covers what it would have done.
pub const MAX_TICK_DRIFT: chrono::TimeDelta = chrono::TimeDelta::hours(1);

pub const EXPIRY_LOOKBACK: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// Candidates read, changed and posted at a time.
pub const SWEEP_PAGE: usize = 100;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Candidates read.
    pub candidates: usize,
    /// Emails made due and posted (for the expiry sweep: expiries recorded).
    pub sent: usize,
    pub failed: usize,
    /// Not due, or changed by a concurrent sweep or request first.
    pub skipped: usize,
    /// Every page was read: `false` when `keep_going` stopped the sweep early.
    pub complete: bool,
}

impl SweepReport {
    fn add(&mut self, results: &[Attempt]) {
        self.candidates += results.len();
        for result in results {
            match result {
                Attempt::Done(_) => self.sent += 1,
                Attempt::Failed => self.failed += 1,
                Attempt::Skipped => self.skipped += 1,
            }
        }
    }
}

/// What became of one candidate of a sweep.
enum Attempt {
    /// Done; the email it made due, if any.
    Done(Option<DueEmail>),
    Failed,
    Skipped,
}

/// The three sweeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sweep {
    Reminders,
    Retries,
    Expiries,
}

impl<S: People + Invitations + EventLog + Counters, Q: Queue, C: Clock> App<S, Q, C> {
    /// Queues every reminder due at `now`, each at most once per invitation and send: the
    /// reminder becomes the invitation's current email with a conditional write before it is
    /// posted, so two sweeps of one tick never queue it twice, and it is retried like any
    /// email until it is handed over.
    pub async fn send_due_reminders(
        &self,
        now: Timestamp,
        keep_going: impl Fn() -> bool,
    ) -> Result<SweepReport, StoreError> {
        self.measured(Sweep::Reminders, now, keep_going).await
    }

    /// Posts again every email due for it (never posted, held by a sender that stopped, or at
    /// the end of a backoff), each with a conditional write first, so concurrent sweeps post it
    /// once; the sender's claim makes sure it is sent once.
    pub async fn retry_deliveries(
        &self,
        now: Timestamp,
        keep_going: impl Fn() -> bool,
    ) -> Result<SweepReport, StoreError> {
        self.measured(Sweep::Retries, now, keep_going).await
    }

    /// Records every pending invitation that expired unanswered in the last
    /// [`EXPIRY_LOOKBACK`] and is not recorded yet: its event, once, and its place under the
    /// pending cap freed.
    pub async fn record_expiries(
        &self,
        now: Timestamp,
        keep_going: impl Fn() -> bool,
    ) -> Result<SweepReport, StoreError> {
        self.measured(Sweep::Expiries, now, keep_going).await
    }

    /// Runs a sweep and records how long it took and how many candidates it handled.
    async fn measured(
        &self,
        sweep: Sweep,
        now: Timestamp,
        keep_going: impl Fn() -> bool,
    ) -> Result<SweepReport, StoreError> {
        let started = std::time::Instant::now();
        let report = self.sweep(sweep, now, keep_going).await;
        metrics::measure(
            Metric::SweepDuration,
            started.elapsed().as_secs_f64() * 1000.0,
        );
        if let Ok(report) = &report {
            metrics::count(Metric::SweepItems, report.candidates as u64);
        }
        report
    }

    /// Reads the sweep's candidates page by page, handles each page's concurrently, and posts
    /// what a page made due before reading the next.
    async fn sweep(
        &self,
        sweep: Sweep,
        now: Timestamp,
        keep_going: impl Fn() -> bool,
    ) -> Result<SweepReport, StoreError> {
        let mut report = SweepReport::default();
        let mut after = None;
        loop {
            if !keep_going() {
                return Ok(report);
            }
            let page = PageRequest {
                after: after.take(),
                limit: SWEEP_PAGE,
            };
            let page = match sweep {
                Sweep::Reminders => {
                    let until = now + self.settings.reminders.horizon();
                    self.store.pending_expiring(now, until, page).await?
                }
                Sweep::Retries => self.store.deliveries_due(now, page).await?,
                Sweep::Expiries => {
                    let since = now - EXPIRY_LOOKBACK;
                    self.store.pending_expiring(since, now, page).await?
                }
            };
            let results = join_all(
                page.items
                    .iter()
                    .map(|candidate| self.handle(sweep, candidate, now)),
            )
            .await;
            report.add(&results);
            let due: Vec<DueEmail> = results
                .into_iter()
                .filter_map(|result| match result {
                    Attempt::Done(due) => due,
                    _ => None,
                })
                .collect();
            self.post(&due).await;
            match page.next {
                Some(next) => after = Some(next),
                None => {
                    report.complete = true;
                    return Ok(report);
                }
            }
        }
    }

    async fn handle(&self, sweep: Sweep, candidate: &Invitation, now: Timestamp) -> Attempt {
        match sweep {
            Sweep::Reminders => self.remind(candidate, now).await,
            Sweep::Retries => self.repost(candidate, now).await,
            Sweep::Expiries => match self.record_expiry(candidate, now).await {
                Ok(true) => Attempt::Done(None),
                Ok(false) => Attempt::Skipped,
                Err(error) => {
                    tracing::warn!(invitation = %candidate.id, %error, "expiry not recorded");
                    Attempt::Failed
                }
            },
        }
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
                metrics::changed(&event.change);
                self.release_pending(&lapsed.workgroup.id, 1).await;
                Ok(true)
            }
            // Recorded, resent or removed concurrently.
            Err(StoreError::Conflict) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn repost(&self, invitation: &Invitation, now: Timestamp) -> Attempt {
        if !invitation.retry_due(now) {
            return Attempt::Skipped;
        }
        let reposted = invitation.reposted(now);
        match self.store.update_invitation(&reposted, None).await {
            Ok(()) => Attempt::Done(Some(reposted.due_email())),
            Err(error) => {
                tracing::info!(invitation = %invitation.id, %error, "email not posted again");
                Attempt::Skipped
            }
        }
    }

    async fn remind(&self, invitation: &Invitation, now: Timestamp) -> Attempt {
        let Some(reminder) = invitation.due_reminder(&self.settings.reminders, now) else {
            return Attempt::Skipped;
        };
        let reminded = invitation.reminded(&reminder, now);
        let change = Change::Reminded {
            days_before: reminder.days_before,
        };
        let event = Event::of(&reminded, change, Actor::System, now);
        match self.store.update_invitation(&reminded, Some(&event)).await {
            Ok(()) => {
                metrics::changed(&event.change);
                Attempt::Done(Some(reminded.due_email()))
            }
            Err(error) => {
                tracing::info!(invitation = %invitation.id, %error, "reminder not queued");
                Attempt::Skipped
            }
        }
    }
}
