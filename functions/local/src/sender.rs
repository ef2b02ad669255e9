//! The local server's sender: it drains the queue of due emails, the embedded one or SQS, into
//! the mailer at the configured rate, exactly as the `send` function does on AWS, through the
//! same use case.

use std::{sync::Arc, time::Duration};

use domain::{
    App,
    clock::Clock,
    delivery::{DueEmail, Queue, QueueError, SendOutcome},
    store::SendSlots,
    store::Store,
};
use futures::future::join_all;
use tokio::sync::Notify;

use crate::{mailer::AnyMailer, store::EmbeddedStore};

/// The mailer at the configured rate, shared through the store `S`.
pub type PacedMailer<S> = aws::Paced<AnyMailer, S>;

/// How long a received message stays hidden from other receivers (another local process on the
/// same data folder): longer than a send takes.
const HIDDEN_FOR: Duration = Duration::from_secs(60);

/// How long an idle sender waits for a post before looking at the queue again (delayed
/// messages come due without a post).
const IDLE_WAIT: Duration = Duration::from_millis(500);

/// The queue chosen at start. Posting wakes this process's sender at once.
#[derive(Clone)]
pub struct AnyQueue {
    kind: QueueKind,
    posted: Arc<Notify>,
}

#[derive(Clone)]
enum QueueKind {
    Embedded(EmbeddedStore),
    Sqs(aws::SqsQueue),
}

/// A received message, and how to let go of it.
struct Received {
    handle: Handle,
    email: Option<DueEmail>,
}

enum Handle {
    Embedded(i64),
    Sqs(String),
}

impl AnyQueue {
    pub fn embedded(store: EmbeddedStore) -> Self {
        Self::of(QueueKind::Embedded(store))
    }

    pub fn sqs(queue: aws::SqsQueue) -> Self {
        Self::of(QueueKind::Sqs(queue))
    }

    fn of(kind: QueueKind) -> Self {
        Self {
            kind,
            posted: Arc::new(Notify::new()),
        }
    }

    async fn receive(&self) -> Result<Vec<Received>, QueueError> {
        match &self.kind {
            QueueKind::Embedded(store) => Ok(store
                .receive_emails(10, HIDDEN_FOR)
                .await
                .map_err(queue_error("failed to receive emails"))?
                .into_iter()
                .map(|received| Received {
                    handle: Handle::Embedded(received.seq),
                    email: Some(received.email),
                })
                .collect()),
            QueueKind::Sqs(sqs) => Ok(sqs
                .receive(1, HIDDEN_FOR.as_secs() as i32)
                .await?
                .into_iter()
                .map(|received| Received {
                    handle: Handle::Sqs(received.receipt),
                    email: received.email,
                })
                .collect()),
        }
    }

    async fn done(&self, handle: &Handle) -> Result<(), QueueError> {
        match (&self.kind, handle) {
            (QueueKind::Embedded(store), Handle::Embedded(seq)) => store
                .delete_email(*seq)
                .await
                .map_err(queue_error("failed to delete a message")),
            (QueueKind::Sqs(sqs), Handle::Sqs(receipt)) => sqs.delete(receipt).await,
            _ => Ok(()),
        }
    }

    async fn again(&self, handle: &Handle, after: Duration) -> Result<(), QueueError> {
        match (&self.kind, handle) {
            (QueueKind::Embedded(store), Handle::Embedded(seq)) => store
                .delay_email(*seq, after)
                .await
                .map_err(queue_error("failed to delay a message")),
            (QueueKind::Sqs(sqs), Handle::Sqs(receipt)) => {
                sqs.delay(receipt, after.as_secs() as i32).await
            }
            _ => Ok(()),
        }
    }

    /// Nothing is left in the queue, visible or not.
    async fn is_empty(&self) -> Result<bool, QueueError> {
        match &self.kind {
            QueueKind::Embedded(store) => Ok(store
                .queued_emails()
                .await
                .map_err(queue_error("failed to count queued emails"))?
                .0
                == 0),
            QueueKind::Sqs(sqs) => Ok(sqs.holding().await? == 0),
        }
    }
}

impl Queue for AnyQueue {
    async fn post(&self, emails: &[DueEmail]) -> Result<(), QueueError> {
        match &self.kind {
            QueueKind::Embedded(store) => store.post(emails).await?,
            QueueKind::Sqs(sqs) => sqs.post(emails).await?,
        }
        self.posted.notify_one();
        Ok(())
    }
}

fn queue_error(context: &'static str) -> impl FnOnce(domain::store::StoreError) -> QueueError {
    move |error| QueueError {
        context: context.to_owned(),
        source: Some(Box::new(error)),
    }
}

/// What a drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    pub sent: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Given back to the queue to try again (the mail service asked to slow down).
    pub again: usize,
}

/// Sends what the queue holds. With `until_empty`, returns once nothing is left in the queue,
/// visible or not (a throttled email waits for its turn); otherwise runs until the process
/// ends, waking on every post.
pub async fn drain<S: Store + SendSlots, C: Clock>(
    app: &App<S, AnyQueue, C>,
    mailer: &PacedMailer<S>,
    until_empty: bool,
) -> Result<Drained, QueueError> {
    let mut drained = Drained::default();
    loop {
        let received = match app.queue.receive().await {
            Ok(received) => received,
            Err(error) if until_empty => return Err(error),
            // A sender that runs for good outlives a busy file or an unreachable endpoint.
            Err(error) => {
                tracing::warn!(error = %domain::app::error_chain(&error), "the queue could not be read");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if received.is_empty() {
            if until_empty && app.queue.is_empty().await? {
                return Ok(drained);
            }
            let _ = tokio::time::timeout(IDLE_WAIT, app.queue.posted.notified()).await;
            continue;
        }
        let outcomes = join_all(received.iter().map(|message| async move {
            let outcome = match &message.email {
                Some(due) => app.send_due(due, mailer).await,
                None => Ok(SendOutcome::Skipped),
            };
            let settled = match &outcome {
                Ok(SendOutcome::RetryLater { seconds }) => {
                    app.queue
                        .again(&message.handle, Duration::from_secs(u64::from(*seconds)))
                        .await
                }
                Ok(_) => app.queue.done(&message.handle).await,
                Err(error) => {
                    tracing::error!(error = %domain::app::error_chain(error), "an email could not be handled");
                    app.queue.again(&message.handle, Duration::from_secs(5)).await
                }
            };
            if let Err(error) = settled {
                tracing::warn!(error = %domain::app::error_chain(&error), "a message was not settled");
            }
            outcome
        }))
        .await;
        for outcome in outcomes {
            match outcome {
                Ok(SendOutcome::Sent) => drained.sent += 1,
                Ok(SendOutcome::Skipped) => drained.skipped += 1,
                Ok(SendOutcome::Failed) => drained.failed += 1,
                Ok(SendOutcome::RetryLater { .. }) | Err(_) => drained.again += 1,
            }
        }
    }
}
