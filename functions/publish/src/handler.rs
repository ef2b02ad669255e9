//! The publish function: the table's stream, filtered to newly written events of the audit
//! trail (the templates' filter: `INSERT` of a `pk` starting `EVENTS#`), forwarded to the
//! EventBridge bus in the order written.
//!
//! The event items are written in the same transaction as the changes they record, so the
//! stream carries exactly the changes that happened; this function adds at-least-once
//! delivery to the bus. When EventBridge refuses part of a batch, the function reports the
//! first refused record as the batch's failure and Lambda retries the shard from there
//! (`ReportBatchItemFailures`); records it cannot read are logged and skipped, since no retry
//! would make them readable.

use aws::{EventPublisher, dynamo::event_in_image};
use aws_lambda_events::{
    dynamodb::Event as StreamEvent,
    streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse},
};
use domain::audit::Event;
use lambda_runtime::LambdaEvent;

/// Forwards one batch of stream records; the answer names the first record to retry, if any.
pub async fn handle(
    publisher: &EventPublisher,
    batch: LambdaEvent<StreamEvent>,
) -> Result<DynamoDbEventResponse, std::convert::Infallible> {
    let mut sequence_numbers = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    for record in batch.payload.records {
        if record.event_name != "INSERT" {
            continue;
        }
        let sequence = record.change.sequence_number.clone();
        match event_in_image(record.change.new_image.into()) {
            Ok(Some(event)) => {
                sequence_numbers.push(sequence);
                events.push(event);
            }
            Ok(None) => {}
            Err(error) => tracing::error!(
                sequence = sequence.as_deref().unwrap_or("-"),
                error = %domain::app::error_chain(&error),
                "an event item that cannot be read; skipped"
            ),
        }
    }
    let mut response = DynamoDbEventResponse::default();
    match publisher.publish(&events).await {
        Ok(()) => tracing::info!(published = events.len(), "events published"),
        Err(error) => {
            tracing::warn!(
                published = error.first_failed,
                not_published = events.len() - error.first_failed,
                reason = %error.reason,
                "events not all published; the rest is retried"
            );
            let mut retry_from = DynamoDbBatchItemFailure::default();
            retry_from.item_identifier = sequence_numbers[error.first_failed].clone();
            response.batch_item_failures.push(retry_from);
        }
    }
    Ok(response)
}
