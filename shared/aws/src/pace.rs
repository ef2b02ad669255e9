//! Hands emails to a mail service no faster than its sending rate, across every concurrent
//! sender: each email first takes one of the rate's slots of the current second, counted in the
//! store, and waits for the next second when they are all taken. Slot `k` is sent `k / rate`
//! into its second, so the second's sends are spread evenly instead of bursting at its start
//! (the service counts over its own window, not our seconds). A send the service still
//! throttles is tried again a few times after a short wait.

use std::time::Duration;

use domain::{
    mailer::{MailError, MailFailure, Mailer},
    message::Email,
    store::SendSlots,
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
    /// Waits until a slot of the current second is this email's, then until its place in the
    /// second.
    async fn take_slot(&self) -> Result<(), MailError> {
        loop {
            let now = chrono::Utc::now();
            let place = self
                .slots
                .take_send_slot(now.timestamp(), self.rate)
                .await
                .map_err(|error| MailError {
                    context: "failed to take a send slot".into(),
                    kind: MailFailure::Unavailable,
                    source: Some(Box::new(error)),
                })?;
            let into_second = u64::from(now.timestamp_subsec_millis().min(999));
            if let Some(place) = place {
                let due = u64::from(place) * 1000 / u64::from(self.rate);
                if due > into_second {
                    tokio::time::sleep(Duration::from_millis(due - into_second)).await;
                }
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(1000 - into_second)).await;
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
