//! The feedback function: SES publishes bounce and complaint events of the configuration set
//! to EventBridge, and a rule hands ours (tagged `purpose=invitation`) to this function, which
//! marks the invitation the email belonged to.
//!
//! The event's `detail` is SES's event record: `eventType`, the `bounce` or `complaint`, and
//! `mail` with the tags the mailer put on the email (`workgroup`, `invitation`, `send`).

use std::collections::HashMap;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use domain::{
    ids::{InvitationId, WorkgroupId},
    message::MailReference,
    store::StoreError,
    usecases::feedback::{FeedbackOutcome, Refusal, record_refusal},
};
use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Serialize};

/// SES's event record, as much of it as this function reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    event_type: String,
    #[serde(default)]
    bounce: Option<Bounce>,
    mail: Mail,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
}

#[derive(Debug, Deserialize)]
struct Mail {
    #[serde(default)]
    tags: HashMap<String, Vec<String>>,
}

/// What the function did with one event: its answer and its log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackReport {
    Recorded,
    InvitationGone,
    Superseded,
    /// A soft bounce (SES keeps trying), or an event this function does not act on.
    Ignored,
    /// Not one of our emails, or its tags are not ours.
    NotOurs,
}

/// The report could not be recorded: the store failed (its error is the source).
#[derive(Debug, thiserror::Error)]
#[error("the store failed")]
pub struct FeedbackError(#[source] pub StoreError);

impl From<FeedbackError> for lambda_runtime::Diagnostic {
    fn from(error: FeedbackError) -> Self {
        Self {
            error_type: "StoreFailed".into(),
            error_message: domain::app::error_chain(&error),
        }
    }
}

fn tag<'a>(mail: &'a Mail, name: &str) -> Option<&'a str> {
    mail.tags.get(name)?.first().map(String::as_str)
}

fn reference(mail: &Mail) -> Option<MailReference> {
    if tag(mail, aws::ses::PURPOSE_TAG.0) != Some(aws::ses::PURPOSE_TAG.1) {
        return None;
    }
    Some(MailReference {
        workgroup: WorkgroupId::parse(tag(mail, aws::ses::tags::WORKGROUP)?)?,
        invitation: InvitationId::parse(tag(mail, aws::ses::tags::INVITATION)?)?,
        send: tag(mail, aws::ses::tags::SEND)?.to_owned(),
    })
}

/// Handles one EventBridge event. A store failure fails the invocation, so EventBridge's
/// asynchronous invoke retries it (recording is idempotent); anything else is answered.
pub async fn handle<S: domain::store::Store>(
    store: &S,
    event: LambdaEvent<EventBridgeEvent>,
) -> Result<FeedbackReport, FeedbackError> {
    let Ok(record) = serde_json::from_value::<SesEvent>(event.payload.detail) else {
        tracing::warn!(detail_type = %event.payload.detail_type, "not an SES event record");
        return Ok(FeedbackReport::NotOurs);
    };
    let Some(reference) = reference(&record.mail) else {
        return Ok(FeedbackReport::NotOurs);
    };
    let refusal = match (record.event_type.as_str(), &record.bounce) {
        // Transient bounces are SES still trying; only a permanent (or undetermined) one
        // means the address does not take mail.
        ("Bounce", Some(bounce)) if bounce.bounce_type == "Transient" => None,
        ("Bounce", _) => Some(Refusal::Bounce),
        ("Complaint", _) => Some(Refusal::Complaint),
        _ => None,
    };
    let Some(refusal) = refusal else {
        return Ok(FeedbackReport::Ignored);
    };
    // The event's time is when the mail service reported: the time of the delivery event.
    let reported_at =
        chrono::SubsecRound::trunc_subsecs(event.payload.time.unwrap_or_else(chrono::Utc::now), 0);
    let outcome = record_refusal(store, &reference, refusal, reported_at)
        .await
        .map_err(FeedbackError)?;
    let report = match outcome {
        FeedbackOutcome::Recorded => FeedbackReport::Recorded,
        FeedbackOutcome::InvitationGone => FeedbackReport::InvitationGone,
        FeedbackOutcome::Superseded => FeedbackReport::Superseded,
    };
    tracing::info!(
        invitation = %reference.invitation,
        refusal = ?refusal,
        outcome = ?report,
        "email feedback"
    );
    Ok(report)
}
