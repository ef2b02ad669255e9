//! The SES v2 mailer: one `SendEmail` per recipient, with content the domain rendered (moto
//! implements neither SES v2 templates nor `SendBulkEmail`, and rendering in the project keeps
//! every escaping rule in one tested place).

use aws_sdk_sesv2::{
    Client,
    types::{Body, Content, Destination, EmailContent, Message, MessageTag},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use shared::{
    address::{EmailAddress, InvalidEmail},
    message::Email,
    store::{MailError, Mailer},
};

/// Who emails are sent from: a verified SES identity, and the configuration set whose event
/// destinations receive delivery, bounce and complaint events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    address: EmailAddress,
    name: Option<String>,
    configuration_set: Option<String>,
}

impl Sender {
    /// `no-reply@example.com` or `Workgroup invitations <no-reply@example.com>`.
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let text = text.trim();
        let (name, address) = match (text.rfind('<'), text.ends_with('>')) {
            (Some(open), true) => (
                Some(text[..open].trim().trim_matches('"').to_owned()).filter(|n| !n.is_empty()),
                &text[open + 1..text.len() - 1],
            ),
            _ => (None, text),
        };
        Ok(Self {
            address: EmailAddress::parse(address)?,
            name: name.map(|n| n.chars().filter(|c| !c.is_control()).collect()),
            configuration_set: None,
        })
    }

    pub fn with_configuration_set(self, name: &str) -> Self {
        Self {
            configuration_set: Some(name.to_owned()),
            ..self
        }
    }

    /// The `From` header value: a non-ASCII name travels as an RFC 2047 encoded word.
    fn header_value(&self) -> String {
        match &self.name {
            None => self.address.to_string(),
            Some(name) if name.is_ascii() => {
                format!("\"{}\" <{}>", name.replace(['"', '\\'], ""), self.address)
            }
            Some(name) => format!(
                "=?UTF-8?B?{}?= <{}>",
                STANDARD.encode(name.as_bytes()),
                self.address
            ),
        }
    }
}

/// Sends through SES v2. Cheap to clone: the client is shared.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    sender: Sender,
}

impl SesMailer {
    pub fn new(client: Client, sender: Sender) -> Self {
        Self { client, sender }
    }
}

fn utf8(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError {
            context: "failed to build an SES message".into(),
            source: Some(Box::new(e)),
        })
}

impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(
                Body::builder()
                    .text(utf8(&email.text)?)
                    .html(utf8(&email.html)?)
                    .build(),
            )
            .build();
        let purpose = MessageTag::builder()
            .name("purpose")
            .value("invitation")
            .build()
            .map_err(|e| MailError {
                context: "failed to build an SES message".into(),
                source: Some(Box::new(e)),
            })?;
        self.client
            .send_email()
            .from_email_address(self.sender.header_value())
            .destination(
                Destination::builder()
                    .to_addresses(email.to.as_str())
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.sender.configuration_set.clone())
            .email_tags(purpose)
            .send()
            .await
            .map(|_| ())
            // The error names the SES failure only: never the body, which holds the link.
            .map_err(|e| MailError {
                context: "failed to send an email with SES".into(),
                source: Some(Box::new(e)),
            })
    }
}
