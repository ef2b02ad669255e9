//! The reminder function: EventBridge Scheduler invokes it on every tick with an EventBridge
//! shaped event whose `time` is the tick's scheduled time (the templates fill it in from
//! `<aws.scheduler.scheduled-time>`; a classic EventBridge rule sends the same shape).
//!
//! The sweep runs as of that time, not the moment the function happens to run, so a retried
//! or duplicated invocation of one tick sees the same due reminders, and the sweep's claims make
//! sure each goes out once.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{SubsecRound, TimeDelta};
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use shared::clock::{Clock, Timestamp};

use crate::Deployment;

/// A tick further than this from the function's clock is skipped: an invocation retried long
/// after its tick (or a replayed event) must not send reminders as of another time. The next
/// tick covers what it would have done.
pub const MAX_TICK_DRIFT: TimeDelta = TimeDelta::hours(1);

/// What one invocation did; the function's answer and its log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub time: Timestamp,
    /// The tick was too far from the clock to act on.
    pub skipped_tick: bool,
    pub candidates: usize,
    pub sent: usize,
    pub failed: usize,
    pub skipped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum TickError {
    #[error("the event carries no time: expected an EventBridge event with `time`")]
    NoTime,
    #[error("the sweep failed: {0}")]
    Store(String),
}

impl From<TickError> for lambda_runtime::Diagnostic {
    fn from(error: TickError) -> Self {
        let error_type = match error {
            TickError::NoTime => "NoTime",
            TickError::Store(_) => "StoreFailed",
        };
        Self {
            error_type: error_type.into(),
            error_message: error.to_string(),
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
    let app = &deployment.app;
    let drift = (app.clock.now() - time).abs();
    if drift > MAX_TICK_DRIFT {
        tracing::warn!(%time, drift_seconds = drift.num_seconds(), "tick too far from the clock; skipped");
        return Ok(TickReport {
            time,
            skipped_tick: true,
            candidates: 0,
            sent: 0,
            failed: 0,
            skipped: 0,
        });
    }
    let report = app
        .send_due_reminders(time)
        .await
        .map_err(|e| TickError::Store(shared::app::error_chain(&e)))?;
    tracing::info!(
        %time,
        candidates = report.candidates,
        sent = report.sent,
        failed = report.failed,
        skipped = report.skipped,
        "reminder sweep done"
    );
    Ok(TickReport {
        time,
        skipped_tick: false,
        candidates: report.candidates,
        sent: report.sent,
        failed: report.failed,
        skipped: report.skipped,
    })
}
