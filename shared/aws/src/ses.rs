//! The SES v2 mailer: one `SendEmail` per recipient, with content the domain rendered (moto
//! implements neither SES v2 templates nor `SendBulkEmail`, and rendering in the project keeps
//! every escaping rule in one tested place).

use aws_sdk_sesv2::{
    Client,
    error::SdkError,
    operation::send_email::SendEmailError,
    types::{Body, Content, Destination, EmailContent, Message, MessageTag},
};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use base64::{Engine, engine::general_purpose::STANDARD};
use domain::{
    address::{EmailAddress, InvalidEmail},
    mailer::{MailError, MailFailure, Mailer},
    message::Email,
};

/// The longest text an RFC 2047 encoded word may carry, in UTF-8 bytes: 45 bytes become 60
/// base64 characters, and with `=?UTF-8?B?` and `?=` the word stays within the 75 allowed.
const ENCODED_WORD_BYTES: usize = 45;

/// The `purpose` tag every email carries, so event destinations can tell these emails apart.
pub const PURPOSE_TAG: (&str, &str) = ("purpose", "invitation");

/// The names of the other tags every email carries.
pub mod tags {
    pub const WORKGROUP: &str = "workgroup";
    pub const INVITATION: &str = "invitation";
    pub const SEND: &str = "send";
}

/// Who emails are sent from: a verified SES identity (the address or its domain), an optional
/// display name, and the configuration set whose event destinations receive delivery, bounce
/// and complaint events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    address: EmailAddress,
    name: Option<String>,
    configuration_set: Option<String>,
}

impl Sender {
    /// Sends from `address`, with no display name and no configuration set.
    pub fn new(address: EmailAddress) -> Self {
        Self {
            address,
            name: None,
            configuration_set: None,
        }
    }

    /// `no-reply@example.com`, `Workgroup invitations <no-reply@example.com>` or
    /// `"Invitations, Acme" <no-reply@example.com>`.
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let text = text.trim();
        match (text.rfind('<'), text.ends_with('>')) {
            (Some(open), true) => {
                let sender = Self::new(EmailAddress::parse(&text[open + 1..text.len() - 1])?);
                Ok(sender.with_name(text[..open].trim().trim_matches('"')))
            }
            _ => Ok(Self::new(EmailAddress::parse(text)?)),
        }
    }

    /// The display name recipients see. Control characters are dropped (a name cannot add a
    /// header); an empty name means none.
    pub fn with_name(self, name: &str) -> Self {
        let name: String = name.chars().filter(|c| !c.is_control()).collect();
        let name = name.trim();
        Self {
            name: (!name.is_empty()).then(|| name.to_owned()),
            ..self
        }
    }

    /// Sends every email through this SES configuration set.
    pub fn with_configuration_set(self, name: &str) -> Self {
        Self {
            configuration_set: Some(name.to_owned()),
            ..self
        }
    }

    /// The address emails come from (its domain is the SES identity to verify).
    pub fn address(&self) -> &EmailAddress {
        &self.address
    }

    /// The `From` header value. An ASCII name is quoted; any other name travels as RFC 2047
    /// encoded words (as SES asks), split on character boundaries to keep each word short.
    fn header_value(&self) -> String {
        match &self.name {
            None => self.address.to_string(),
            Some(name) if name.is_ascii() => {
                format!("\"{}\" <{}>", name.replace(['"', '\\'], ""), self.address)
            }
            Some(name) => {
                let mut words: Vec<String> = Vec::new();
                let mut chunk = String::new();
                for c in name.chars() {
                    if chunk.len() + c.len_utf8() > ENCODED_WORD_BYTES {
                        words.push(encoded_word(&chunk));
                        chunk.clear();
                    }
                    chunk.push(c);
                }
                words.push(encoded_word(&chunk));
                format!("{} <{}>", words.join(" "), self.address)
            }
        }
    }
}

fn encoded_word(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", STANDARD.encode(text.as_bytes()))
}

/// Sends through SES v2. Cheap to clone: the client is shared.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    sender: Sender,
}

impl SesMailer {
    /// A mailer on `client` (built once from the shared `aws_config`), sending as `sender`.
    pub fn new(client: Client, sender: Sender) -> Self {
        Self { client, sender }
    }
}

fn build_error(source: aws_sdk_sesv2::error::BuildError) -> MailError {
    MailError {
        context: "failed to build an SES message".into(),
        kind: MailFailure::Refused,
        source: Some(Box::new(source)),
    }
}

/// What a refused `SendEmail` means for the email: SES asks to slow down (its sending rate),
/// will never take this one (a rejected message or request), or failed otherwise (its account,
/// configuration or availability: worth trying later).
fn failure_of(error: &SdkError<SendEmailError, HttpResponse>) -> MailFailure {
    match error.as_service_error() {
        Some(refusal) if refusal.is_too_many_requests_exception() => MailFailure::Throttled,
        Some(refusal) if refusal.is_message_rejected() || refusal.is_bad_request_exception() => {
            MailFailure::Refused
        }
        _ => MailFailure::Unavailable,
    }
}

fn utf8(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(build_error)
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
        // Tags come back in SES's bounce and complaint events: they say which send of which
        // invitation a report is about. Values are ids and a fingerprint ([A-Za-z0-9_-]).
        let reference = &email.reference;
        let tags = [
            PURPOSE_TAG,
            (tags::WORKGROUP, reference.workgroup.as_str()),
            (tags::INVITATION, reference.invitation.as_str()),
            (tags::SEND, reference.send.as_str()),
        ]
        .into_iter()
        .map(|(name, value)| MessageTag::builder().name(name).value(value).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(build_error)?;
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
            .set_email_tags(Some(tags))
            .send()
            .await
            .map(|_| ())
            // The error names the SES failure only: never the body, which holds the link.
            .map_err(|e| MailError {
                context: "failed to send an email with SES".into(),
                kind: failure_of(&e),
                source: Some(Box::new(e)),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(header: &str) -> String {
        let name = header.rsplit_once(" <").expect("a name and an address").0;
        let bytes: Vec<u8> = name
            .split(' ')
            .flat_map(|word| {
                let b64 = word
                    .strip_prefix("=?UTF-8?B?")
                    .and_then(|w| w.strip_suffix("?="))
                    .unwrap_or_else(|| panic!("`{word}` is not an encoded word"));
                STANDARD.decode(b64).unwrap()
            })
            .collect();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_bare_address_is_the_whole_from_header() {
        let sender = Sender::parse(" No-Reply@Example.COM ").unwrap();
        assert_eq!(sender.header_value(), "no-reply@example.com");
    }

    #[test]
    fn an_ascii_name_is_quoted_without_quotes_or_backslashes_of_its_own() {
        for (input, header) in [
            (
                "Workgroup invitations <a@example.com>",
                "\"Workgroup invitations\" <a@example.com>",
            ),
            (
                "\"Acme, Inc.\" <a@example.com>",
                "\"Acme, Inc.\" <a@example.com>",
            ),
            ("Evil\\\" x <a@example.com>", "\"Evil x\" <a@example.com>"),
            ("<a@example.com>", "a@example.com"),
        ] {
            assert_eq!(
                Sender::parse(input).unwrap().header_value(),
                header,
                "{input}"
            );
        }
    }

    #[test]
    fn a_name_cannot_add_a_header() {
        let sender = Sender::new(EmailAddress::parse("a@example.com").unwrap())
            .with_name("Acme\r\nBcc: victim@example.com");
        let header = sender.header_value();
        assert!(!header.contains(['\r', '\n']), "{header}");
    }

    #[test]
    fn a_non_ascii_name_travels_as_encoded_words_of_at_most_75_characters() {
        for name in ["招待", &"ワークグループ招待".repeat(6), "Café ☕ team"] {
            let sender = Sender::parse(&format!("{name} <a@example.com>")).unwrap();
            let header = sender.header_value();
            assert!(header.is_ascii(), "{header}");
            assert!(header.ends_with(" <a@example.com>"), "{header}");
            assert!(header.split(' ').all(|w| w.len() <= 75), "{header}");
            assert_eq!(decoded(&header), name);
        }
    }

    #[test]
    fn an_internationalised_domain_is_sent_in_its_ascii_form() {
        let sender = Sender::parse("Invitations <no-reply@例え.jp>").unwrap();
        assert_eq!(
            sender.header_value(),
            "\"Invitations\" <no-reply@xn--r8jz45g.jp>"
        );
    }

    #[test]
    fn a_sender_that_is_not_an_address_is_refused() {
        for input in [
            "",
            "Invitations",
            "Invitations <>",
            "a@b",
            "Name <not an address>",
        ] {
            assert!(Sender::parse(input).is_err(), "{input:?}");
        }
    }
}
