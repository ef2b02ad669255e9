//! The mail port: how a rendered email reaches a mail service, and how it can fail.

/// The mail port: hands one rendered email to a mail service.
pub trait Mailer: Send + Sync {
    fn send(
        &self,
        email: &crate::message::Email,
    ) -> impl Future<Output = Result<(), MailError>> + Send;
}

/// The mail service refused the email or could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct MailError {
    pub context: String,
    /// What the sender should do about it.
    pub kind: MailFailure,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Why an email was not handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFailure {
    /// The service asked to slow down: try again in a moment, the attempt not counted.
    Throttled,
    /// The service could not be reached or failed on its side: try again after a backoff.
    Unavailable,
    /// The service will not take this email (a suppressed or invalid recipient, a message it
    /// rejects): never try it again.
    Refused,
}
