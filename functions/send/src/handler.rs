//! The send function: the SQS queue of due emails, through its event source mapping, a batch
//! at a time. Each email is handed to SES once (the use case claims it on its invitation
//! first) at the sending rate the senders share. A message SES asked to slow down for, or that
//! failed on the table, is hidden for a backoff that grows with its receives
//! ([`retry_wait`]) and reported back (`ReportBatchItemFailures`), so SQS delivers it again
//! then, and the queue's redrive policy moves it to the dead-letter queue after its last
//! receive; everything else is done with.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use domain::{
    delivery::{DueEmail, SendOutcome, retry_wait},
    usecases::send::THROTTLED_WAIT_SECONDS,
};
use futures::future::join_all;
use lambda_runtime::LambdaEvent;

use runtime::{Deployment, Sending};

/// Sends every email of the batch; the messages to deliver again.
pub async fn handle(
    sending: &Sending,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let (deployment, mailer) = (&sending.deployment, &sending.mailer);
    let outcomes = join_all(event.payload.records.iter().map(|record| async move {
        let id = record.message_id.clone().unwrap_or_default();
        let Some(due) = record.body.as_deref().and_then(DueEmail::from_message) else {
            // Nothing this service posted: never worth another delivery.
            tracing::warn!(message = %id, "an unreadable message was dropped");
            return (id, None);
        };
        let outcome = deployment.app.send_due(&due, mailer).await;
        let wait = match &outcome {
            Ok(SendOutcome::RetryLater { seconds }) => Some(*seconds),
            Err(_) => Some(THROTTLED_WAIT_SECONDS),
            Ok(_) => None,
        };
        if let Some(seconds) = wait {
            back_off(deployment, record, seconds).await;
        }
        (id, Some(outcome))
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    let mut counts = [0usize; 4];
    for (id, outcome) in outcomes {
        let again = match outcome {
            Some(Ok(SendOutcome::Sent)) => {
                counts[0] += 1;
                false
            }
            Some(Ok(SendOutcome::Skipped)) | None => {
                counts[1] += 1;
                false
            }
            Some(Ok(SendOutcome::Failed)) => {
                counts[2] += 1;
                false
            }
            Some(Ok(SendOutcome::RetryLater { .. })) => {
                counts[3] += 1;
                true
            }
            Some(Err(error)) => {
                tracing::error!(message = %id, error = %domain::app::error_chain(&error), "an email could not be handled");
                counts[3] += 1;
                true
            }
        };
        if again && !id.is_empty() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    tracing::info!(
        sent = counts[0],
        skipped = counts[1],
        failed = counts[2],
        again = counts[3],
        "batch done"
    );
    Ok(response)
}

/// Hides `record` for its backoff, so SQS delivers it again then rather than after the queue's
/// visibility timeout (six times the function's). Failing that, the timeout it is.
async fn back_off(deployment: &Deployment, record: &SqsMessage, seconds: u32) {
    let (Some(queue), Some(receipt)) = (deployment.app.queue.sqs(), &record.receipt_handle) else {
        return;
    };
    let receives = record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1);
    let wait = retry_wait(seconds, receives);
    if let Err(error) = queue.delay(receipt, wait as i32).await {
        tracing::warn!(error = %domain::app::error_chain(&error), "a message to try again keeps the queue's timeout");
    }
}
