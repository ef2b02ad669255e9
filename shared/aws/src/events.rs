//! Publishing the audit trail to EventBridge: each event becomes one EventBridge event whose
//! `detail-type` is the event's type (`invitation.invited`, ...), whose `source` is
//! [`SOURCE`], and whose `detail` is the event as the API lists it. Integrations subscribe with
//! rules on the bus.

use aws_sdk_eventbridge::{Client, types::PutEventsRequestEntry};
use domain::audit::Event;

/// The `source` of every published event.
pub const SOURCE: &str = "workgroup.invitations";

/// Entries per `PutEvents` call: EventBridge's limit.
pub const BATCH: usize = 10;

/// Puts events on one bus.
#[derive(Debug, Clone)]
pub struct EventPublisher {
    client: Client,
    bus: String,
}

/// Publishing failed for the events from `first_failed` on (their index in the slice given);
/// the ones before it were published.
#[derive(Debug, thiserror::Error)]
#[error("events from #{first_failed} on were not published: {reason}")]
pub struct NotPublished {
    pub first_failed: usize,
    pub reason: String,
}

impl EventPublisher {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }

    /// Publishes `events` in order, [`BATCH`] at a time; stops at the first batch with a
    /// failed entry, so a retry from the first failed event keeps the order and publishes
    /// nothing twice that EventBridge accepted (bar EventBridge's own at-least-once delivery).
    pub async fn publish(&self, events: &[Event]) -> Result<(), NotPublished> {
        for (batch_number, batch) in events.chunks(BATCH).enumerate() {
            let offset = batch_number * BATCH;
            let entries = batch
                .iter()
                .map(|event| self.entry(event))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|reason| NotPublished {
                    first_failed: offset,
                    reason,
                })?;
            let output = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|error| NotPublished {
                    first_failed: offset,
                    reason: domain::app::error_chain(&error),
                })?;
            if output.failed_entry_count() > 0 {
                let entries = output.entries();
                let failed = entries
                    .iter()
                    .position(|entry| entry.error_code().is_some())
                    .unwrap_or(0);
                let reason = entries
                    .get(failed)
                    .map(|entry| {
                        format!(
                            "{}: {}",
                            entry.error_code().unwrap_or("unknown"),
                            entry.error_message().unwrap_or("")
                        )
                    })
                    .unwrap_or_default();
                return Err(NotPublished {
                    first_failed: offset + failed,
                    reason,
                });
            }
        }
        Ok(())
    }

    fn entry(&self, event: &Event) -> Result<PutEventsRequestEntry, String> {
        let detail = serde_json::to_string(event).map_err(|e| e.to_string())?;
        let at = aws_smithy_types::DateTime::from_secs(event.at.timestamp());
        Ok(PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(event.change.kind())
            .detail(detail)
            .time(at)
            .build())
    }
}
