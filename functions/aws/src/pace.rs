//! Hands emails to a mail service no faster than its sending rate, across every concurrent
//! sender: each email first takes one of the rate's slots of the current second, counted in the
//! store, and waits for the next second when they are all taken. A send the service still
//! throttles (its own window is not ours) is tried again a few times after a short wait.

use std::time::Duration;

use shared::{
    delivery::SendSlots,
    message::Email,
    store::{MailError, MailFailure, Mailer},
};

/// Throttled sends tried again before the email is given back to the queue.
const THROTTLED_RETRIES: u32 = 3;

/// A mailer that keeps to `rate` emails a second, shared through `slots`.
pub struct Paced<M, L> {
    mailer: M,
    slots: L,
    rate: u32,
}

impl<M, L> Paced<M, L> {
    /// `rate` is emails per second; 0 is taken as 1.
    pub fn new(mailer: M, slots: L, rate: u32) -> Self {
        Self {
            mailer,
            slots,
            rate: rate.max(1),
        }
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    pub fn mailer(&self) -> &M {
        &self.mailer
    }
}

impl<M: Mailer, L: SendSlots> Paced<M, L> {
    /// Waits until a slot of the current second is this email's.
    async fn take_slot(&self) -> Result<(), MailError> {
        loop {
            let now = chrono::Utc::now();
            let taken = self
                .slots
                .take_send_slot(now.timestamp(), self.rate)
                .await
                .map_err(|error| MailError {
                    context: "failed to take a send slot".into(),
                    kind: MailFailure::Unavailable,
                    source: Some(Box::new(error)),
                })?;
            if taken {
                return Ok(());
            }
            let into_second = u64::from(now.timestamp_subsec_millis());
            tokio::time::sleep(Duration::from_millis(1000 - into_second.min(999))).await;
        }
    }
}

impl<M: Mailer, L: SendSlots> Mailer for Paced<M, L> {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let mut retries = 0;
        loop {
            self.take_slot().await?;
            match self.mailer.send(email).await {
                Err(error)
                    if error.kind == MailFailure::Throttled && retries < THROTTLED_RETRIES =>
                {
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(250 << retries)).await;
                }
                handed => return handed,
            }
        }
    }
}
