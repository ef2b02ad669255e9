//! The queue of due emails on SQS: producers post with `SendMessageBatch`, ten at a time; the
//! `send` function consumes them through its event source mapping.

use aws_sdk_sqs::{
    Client,
    types::{MessageSystemAttributeName, SendMessageBatchRequestEntry},
};
use domain::delivery::{DueEmail, Queue, QueueError};
use futures::future::try_join_all;

/// The most entries one `SendMessageBatch` takes.
const BATCH: usize = 10;

/// Posts due emails to one SQS queue.
#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }
}

impl Queue for SqsQueue {
    async fn post(&self, emails: &[DueEmail]) -> Result<(), QueueError> {
        try_join_all(emails.chunks(BATCH).map(|batch| self.post_batch(batch))).await?;
        Ok(())
    }
}

impl SqsQueue {
    async fn post_batch(&self, batch: &[DueEmail]) -> Result<(), QueueError> {
        let entries = batch
            .iter()
            .enumerate()
            .map(|(index, email)| {
                SendMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .message_body(email.to_message())
                    .build()
                    .map_err(|e| refused("failed to build an SQS message", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sent = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| refused("failed to post emails to SQS", e))?;
        // A batch call succeeds as a whole even when some entries fail.
        match sent.failed.first() {
            None => Ok(()),
            Some(failed) => Err(QueueError {
                context: format!(
                    "SQS refused {} of {} emails ({})",
                    sent.failed.len(),
                    batch.len(),
                    failed.code
                ),
                source: None,
            }),
        }
    }
}

fn refused(context: &str, source: impl std::error::Error + Send + Sync + 'static) -> QueueError {
    QueueError {
        context: context.to_owned(),
        source: Some(Box::new(source)),
    }
}

/// One message received from the queue: its receipt handle and the email it carries (`None`
/// when it is not one this service posted).
#[derive(Debug, Clone)]
pub struct SqsReceived {
    pub receipt: String,
    pub email: Option<DueEmail>,
    /// How many times it has been received, this time included.
    pub receives: u32,
}

/// Consuming the queue by hand, as the local server does (on AWS the `send` function's event
/// source mapping does it).
impl SqsQueue {
    /// Creates the queue `name` if it is missing; its URL.
    pub async fn ensure(client: &Client, name: &str) -> Result<String, QueueError> {
        let created = client
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .map_err(|e| refused("failed to create or find the queue", e))?;
        created.queue_url.ok_or_else(|| QueueError {
            context: "the queue came back without a URL".into(),
            source: None,
        })
    }

    /// Up to ten messages, waiting up to `wait_seconds` for one, each hidden from other
    /// receivers for `hidden_seconds`.
    pub async fn receive(
        &self,
        wait_seconds: i32,
        hidden_seconds: i32,
    ) -> Result<Vec<SqsReceived>, QueueError> {
        let received = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(BATCH as i32)
            .wait_time_seconds(wait_seconds)
            .visibility_timeout(hidden_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| refused("failed to receive emails from SQS", e))?;
        Ok(received
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|message| {
                let receives = message
                    .attributes
                    .as_ref()
                    .and_then(|attributes| {
                        attributes.get(&MessageSystemAttributeName::ApproximateReceiveCount)
                    })
                    .and_then(|count| count.parse().ok())
                    .unwrap_or(1);
                Some(SqsReceived {
                    receives,
                    email: message.body.as_deref().and_then(DueEmail::from_message),
                    receipt: message.receipt_handle?,
                })
            })
            .collect())
    }

    /// Removes a handled message.
    pub async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| refused("failed to delete a message", e))
    }

    /// Makes a message visible again after `seconds`.
    pub async fn delay(&self, receipt: &str, seconds: i32) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(seconds)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| refused("failed to delay a message", e))
    }

    /// How many messages the queue holds, visible or not (SQS's approximate counts).
    pub async fn holding(&self) -> Result<u64, QueueError> {
        use aws_sdk_sqs::types::QueueAttributeName as Name;
        let attributes = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(Name::ApproximateNumberOfMessages)
            .attribute_names(Name::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| refused("failed to count queued emails", e))?
            .attributes
            .unwrap_or_default();
        let count = |name: Name| {
            attributes
                .get(&name)
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok(count(Name::ApproximateNumberOfMessages)
            + count(Name::ApproximateNumberOfMessagesNotVisible))
    }
}
