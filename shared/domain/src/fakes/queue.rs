//! In-memory queues of due emails: one that holds what is posted, and one that sends it at once.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};

use super::{ManualClock, MemoryStore, RecordingMailer};
use crate::{
    App, Settings,
    delivery::{DueEmail, Queue, QueueError},
    message::AcceptLinks,
    secret::SecretKey,
};

/// Keeps what is posted, in order, until taken; can be told to refuse posts. Clones share one
/// queue.
#[derive(Clone, Default)]
pub struct MemoryQueue {
    posted: Arc<Mutex<Vec<DueEmail>>>,
    failing: Arc<AtomicBool>,
}

impl MemoryQueue {
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Everything posted since the last take, oldest first.
    pub fn take(&self) -> Vec<DueEmail> {
        std::mem::take(&mut *self.posted.lock().unwrap())
    }

    /// How many posts wait to be taken.
    pub fn len(&self) -> usize {
        self.posted.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Queue for MemoryQueue {
    async fn post(&self, emails: &[DueEmail]) -> Result<(), QueueError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(QueueError {
                context: "the queue refused the emails".to_owned(),
                source: None,
            });
        }
        self.posted.lock().unwrap().extend_from_slice(emails);
        Ok(())
    }
}

/// A queue that sends what is posted at once, through the sender use case, into a mailer: the
/// use-case tests see the emails a call made due as soon as it returns.
#[derive(Clone)]
pub struct InlineQueue {
    pub store: MemoryStore,
    pub mailer: RecordingMailer,
    pub clock: ManualClock,
    pub key: SecretKey,
    pub links: AcceptLinks,
}

impl Queue for InlineQueue {
    async fn post(&self, emails: &[DueEmail]) -> Result<(), QueueError> {
        let sender = App {
            store: self.store.clone(),
            queue: MemoryQueue::default(),
            clock: self.clock.clone(),
            key: self.key.clone(),
            settings: Settings::new(self.links.clone()),
        };
        for email in emails {
            sender
                .send_due(email, &self.mailer)
                .await
                .map_err(|error| QueueError {
                    context: "the store failed while sending".to_owned(),
                    source: Some(Box::new(error)),
                })?;
        }
        Ok(())
    }
}
