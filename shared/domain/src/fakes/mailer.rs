//! A mailer that records what it is handed, and can be told to fail.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use crate::{
    mailer::{MailError, MailFailure, Mailer},
    message::Email,
};

/// Keeps every email it accepts; can be told to fail them all, as an unreachable mail service
/// or one that refuses them for good. Clones share one record.
#[derive(Clone, Default)]
pub struct RecordingMailer {
    sent: Arc<Mutex<Vec<Email>>>,
    failing: Arc<Mutex<Option<MailFailure>>>,
    refused: Arc<AtomicUsize>,
}

impl RecordingMailer {
    /// Fails every email as an unreachable mail service does (tried again later), or not.
    pub fn fail(&self, failing: bool) {
        self.fail_as(failing.then_some(MailFailure::Unavailable));
    }

    /// Fails every email the way `failure` says, or none.
    pub fn fail_as(&self, failure: Option<MailFailure>) {
        *self.failing.lock().unwrap() = failure;
    }

    pub fn sent(&self) -> Vec<Email> {
        self.sent.lock().unwrap().clone()
    }

    /// How many emails it refused while failing.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

impl Mailer for RecordingMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        if let Some(kind) = *self.failing.lock().unwrap() {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(MailError {
                context: "the mail service did not take the email".to_owned(),
                kind,
                source: None,
            });
        }
        self.sent.lock().unwrap().push(email.clone());
        Ok(())
    }
}
