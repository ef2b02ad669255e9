//! The mailer the local server runs on: the outbox folder, or SES at any compatible endpoint
//! (moto, or AWS itself), chosen at start.

use domain::{
    mailer::{MailError, Mailer},
    message::Email,
};

use crate::outbox::Outbox;

/// The mailer chosen at start. With SES, every email sent also lands in the outbox, so accept
/// links are printed and `link` finds them whichever mailer runs.
#[derive(Clone)]
pub enum AnyMailer {
    Outbox(Outbox),
    Ses { ses: aws::SesMailer, copy: Outbox },
}

impl Mailer for AnyMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        match self {
            AnyMailer::Outbox(outbox) => outbox.send(email).await,
            AnyMailer::Ses { ses, copy } => {
                ses.send(email).await?;
                copy.send(email).await
            }
        }
    }
}
