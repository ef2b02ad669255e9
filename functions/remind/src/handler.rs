//! The reminder function: EventBridge Scheduler invokes it on every tick with an EventBridge
//! shaped event whose `time` is the tick's scheduled time (the templates fill it in from
//! `<aws.scheduler.scheduled-time>`; a classic EventBridge rule sends the same shape) and whose
//! `detail.sweep` says which sweep: `reminders` (daily) or `deliveries` (another attempt at
//! emails the mail service did not take, and the record of invitations that expired
//! unanswered, every few minutes); both when absent.
//!
//! The sweep runs as of that time, not the moment the function happens to run, so a retried
//! or duplicated invocation of one tick sees the same due reminders, and the sweep's claims make
//! sure each is queued once. Sweeps read page by page and stop when the invocation's time runs
//! low; the invocation then fails, so Lambda invokes it again with the same tick, and the retry
//! goes on where it stopped (what is done is no longer due).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::SubsecRound;
use domain::{
    clock::{Clock, Timestamp},
    store::StoreError,
    usecases::remind::{MAX_TICK_DRIFT, SweepReport},
};
use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Serialize};

use runtime::Deployment;

/// Which sweep a tick asks for, in `detail.sweep`; both when it names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sweep {
    /// Reminders before expiry (the daily schedule).
    Reminders,
    /// Another attempt at emails the mail service did not take, and the record of expiries
    /// (the frequent schedule).
    Deliveries,
}

#[derive(Debug, Default, Deserialize)]
struct Detail {
    #[serde(default)]
    sweep: Option<Sweep>,
}

/// A sweep stops reading when less than this is left of the invocation's time.
pub const TIME_TO_STOP: std::time::Duration = std::time::Duration::from_secs(30);

/// What one sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub candidates: usize,
    /// Emails queued (expiries recorded, for the expiry sweep).
    pub sent: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Every candidate was read.
    pub complete: bool,
}

impl From<SweepReport> for Counts {
    fn from(report: SweepReport) -> Self {
        Self {
            candidates: report.candidates,
            sent: report.sent,
            failed: report.failed,
            skipped: report.skipped,
            complete: report.complete,
        }
    }
}

/// What one invocation did; the function's answer and its log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub time: Timestamp,
    /// The tick was too far from the clock to act on.
    pub skipped_tick: bool,
    pub reminders: Option<Counts>,
    pub deliveries: Option<Counts>,
    /// Expiries recorded (`sent`): with the deliveries sweep.
    pub expiries: Option<Counts>,
}

#[derive(Debug, thiserror::Error)]
pub enum TickError {
    #[error("the event carries no time: expected an EventBridge event with `time`")]
    NoTime,
    #[error("the sweep failed")]
    Store(#[source] StoreError),
    #[error("the invocation's time ran low before the sweeps were done; the retry goes on")]
    Unfinished,
}

impl From<TickError> for lambda_runtime::Diagnostic {
    fn from(error: TickError) -> Self {
        let error_type = match error {
            TickError::NoTime => "NoTime",
            TickError::Store(_) => "StoreFailed",
            TickError::Unfinished => "Unfinished",
        };
        Self {
            error_type: error_type.into(),
            error_message: domain::app::error_chain(&error),
        }
    }
}

/// Runs one tick. A store failure fails the invocation (Lambda and the scheduler retry it, and
/// the claims make the retry safe); an email that could not be sent does not.
pub async fn handle(
    deployment: &Deployment,
    event: LambdaEvent<EventBridgeEvent>,
) -> Result<TickReport, TickError> {
    let time = event
        .payload
        .time
        .ok_or(TickError::NoTime)?
        .trunc_subsecs(0);
    let sweep = serde_json::from_value::<Detail>(event.payload.detail)
        .unwrap_or_default()
        .sweep;
    let app = &deployment.app;
    let drift = (app.clock.now() - time).abs();
    if drift > MAX_TICK_DRIFT {
        tracing::warn!(%time, drift_seconds = drift.num_seconds(), "tick too far from the clock; skipped");
        return Ok(TickReport {
            time,
            skipped_tick: true,
            reminders: None,
            deliveries: None,
            expiries: None,
        });
    }
    let failed = TickError::Store;
    // An invocation without a deadline (none in Lambda) runs to the end.
    let deadline = (event.context.deadline > 0).then(|| event.context.deadline());
    let keep_going = || {
        deadline.is_none_or(|deadline| {
            deadline
                .duration_since(std::time::SystemTime::now())
                .is_ok_and(|left| left > TIME_TO_STOP)
        })
    };
    let deliveries = match sweep {
        Some(Sweep::Reminders) => None,
        _ => Some(Counts::from(
            app.retry_deliveries(time, keep_going)
                .await
                .map_err(failed)?,
        )),
    };
    let expiries = match sweep {
        Some(Sweep::Reminders) => None,
        _ => Some(Counts::from(
            app.record_expiries(time, keep_going)
                .await
                .map_err(failed)?,
        )),
    };
    let reminders = match sweep {
        Some(Sweep::Deliveries) => None,
        _ => Some(Counts::from(
            app.send_due_reminders(time, keep_going)
                .await
                .map_err(failed)?,
        )),
    };
    let report = TickReport {
        time,
        skipped_tick: false,
        reminders,
        deliveries,
        expiries,
    };
    tracing::info!(
        %time,
        reminders = ?report.reminders,
        deliveries = ?report.deliveries,
        expiries = ?report.expiries,
        "sweep done"
    );
    let unfinished = [report.reminders, report.deliveries, report.expiries]
        .iter()
        .flatten()
        .any(|counts| !counts.complete);
    if unfinished {
        return Err(TickError::Unfinished);
    }
    Ok(report)
}
