//! The local mailer: every email becomes an `.eml` file in a folder, and its accept link is
//! printed, so invitations can be followed without a mail service.

use std::{
    fmt::Write as _,
    io::{self, Write as _},
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use domain::{
    mailer::{MailError, MailFailure, Mailer},
    message::Email,
};
use mail_builder::{
    MessageBuilder,
    headers::{address::Address, date::Date, raw::Raw},
};

/// The outbox's own header: the accept link, so [`latest_link`] finds it without decoding MIME.
const LINK_HEADER: &str = "X-Accept-Link";

/// Longest recipient part of a file name; the whole name stays well under 255 bytes.
const MAX_NAME_RECIPIENT: usize = 100;

/// A folder of sent emails, one RFC 5322 message per `.eml` file. File names start with the UTC
/// time of sending, so they sort in the order the emails were sent.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
    sender_name: String,
    sender_address: String,
    announce: bool,
}

impl Outbox {
    pub const DEFAULT_SENDER_NAME: &str = "Workgroup invitations";
    pub const DEFAULT_SENDER_ADDRESS: &str = "no-reply@localhost";

    /// Opens the folder, creating it if missing (readable by its owner only: emails hold live
    /// links). Emails come from "Workgroup invitations <no-reply@localhost>" unless
    /// [`Outbox::with_sender`] says otherwise.
    pub fn open(dir: &Path) -> io::Result<Self> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
            sender_name: Self::DEFAULT_SENDER_NAME.to_owned(),
            sender_address: Self::DEFAULT_SENDER_ADDRESS.to_owned(),
            announce: true,
        })
    }

    /// The same outbox, sending from `name <address>`.
    pub fn with_sender(self, name: &str, address: &str) -> Self {
        Self {
            sender_name: one_line(name),
            sender_address: one_line(address),
            ..self
        }
    }

    /// The same outbox, printing nothing when it sends.
    pub fn quiet(self) -> Self {
        Self {
            announce: false,
            ..self
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `.eml` files in the outbox, oldest first.
    pub fn messages(&self) -> io::Result<Vec<PathBuf>> {
        messages(&self.dir)
    }

    /// Writes the email to a new file, readable by its owner only, and returns its path. The
    /// file appears whole or not at all.
    async fn write(&self, email: &Email) -> io::Result<PathBuf> {
        let now = Utc::now();
        let unique = random_hex()?;
        let name = format!(
            "{}-{unique}-{}.eml",
            now.format("%Y%m%dT%H%M%S%.6fZ"),
            file_safe(email.to.as_str())
        );
        let message = self.render(email, now, &unique)?;
        let path = self.dir.join(&name);
        let temporary = self.dir.join(format!(".{name}.tmp"));
        let written = match write_private(&temporary, &message).await {
            Ok(()) => tokio::fs::rename(&temporary, &path).await,
            Err(error) => Err(error),
        };
        if let Err(error) = written {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(error);
        }
        Ok(path)
    }

    fn render(&self, email: &Email, now: DateTime<Utc>, unique: &str) -> io::Result<Vec<u8>> {
        let domain = self
            .sender_address
            .rsplit_once('@')
            .map_or("localhost", |(_, domain)| domain);
        MessageBuilder::new()
            .from(Address::new_address(
                Some(self.sender_name.as_str()),
                self.sender_address.as_str(),
            ))
            .to(Address::new_address(None::<&str>, email.to.as_str()))
            .subject(one_line(&email.subject))
            .date(Date::new(now.timestamp()))
            .message_id(format!("{}.{unique}@{domain}", now.timestamp_micros()))
            .header(LINK_HEADER, Raw::new(one_line(&email.accept_link)))
            .text_body(email.text.as_str())
            .html_body(email.html.as_str())
            .write_to_vec()
    }
}

impl Mailer for Outbox {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let path = self.write(email).await.map_err(|error| MailError {
            context: "failed to write the email to the outbox".to_owned(),
            kind: MailFailure::Unavailable,
            source: Some(Box::new(error)),
        })?;
        if !self.announce {
            return Ok(());
        }
        // Straight to stdout, whatever the log filter: this line is how a developer gets the link.
        let _ = writeln!(
            io::stdout().lock(),
            "✉  invitation for {}: {}  ({})",
            email.to,
            email.accept_link,
            path.display()
        );
        Ok(())
    }
}

/// Writes a new file that only its owner may read (mode 0600 on Unix).
async fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    file.write_all(contents).await?;
    file.flush().await
}

/// The `.eml` files in `dir`, oldest first.
pub fn messages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".eml") && !name.starts_with('.') && entry.file_type()?.is_file() {
            paths.push(entry.path());
        }
    }
    paths.sort();
    Ok(paths)
}

/// The accept link of the newest email to `to` in the outbox at `dir`, if any.
pub fn latest_link(dir: &Path, to: &str) -> io::Result<Option<String>> {
    let to = to.trim();
    for path in messages(dir)?.iter().rev() {
        let message = std::fs::read(path)?;
        let headers = headers(&message);
        let recipient = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("To"))
            .map(|(_, value)| mailbox(value));
        if !recipient.is_some_and(|recipient| recipient.eq_ignore_ascii_case(to)) {
            continue;
        }
        let link = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(LINK_HEADER))
            .map(|(_, value)| value.split_whitespace().collect::<String>());
        if link.is_some() {
            return Ok(link);
        }
    }
    Ok(None)
}

/// The unfolded header fields of a message, in order.
fn headers(message: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(message);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    fields
}

/// The address of a one-mailbox header value: `<a@b>`, `Name <a@b>` or `a@b`.
fn mailbox(value: &str) -> &str {
    match (value.rfind('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => value[open + 1..close].trim(),
        _ => value.trim(),
    }
}

/// Control characters (CR and LF above all) become spaces, so no value can start a header.
fn one_line(input: &str) -> String {
    input
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The address as a file name part: characters that some file system or shell would mind
/// become `_`.
fn file_safe(address: &str) -> String {
    address
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' | '+' | '@' => c,
            _ => '_',
        })
        .take(MAX_NAME_RECIPIENT)
        .collect()
}

/// 64 random bits as hex: no two sends name the same file, even within one microsecond.
fn random_hex() -> io::Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    let mut hex = String::with_capacity(16);
    for byte in bytes {
        let _ = write!(hex, "{byte:02x}");
    }
    Ok(hex)
}

#[cfg(test)]
mod tests {
    use domain::address::EmailAddress;
    use mail_parser::{HeaderName, MessageParser, MimeHeaders};

    use super::*;

    const LINK: &str =
        "http://127.0.0.1:3000/accept#token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde";

    fn email(to: &str, subject: &str) -> Email {
        Email {
            to: EmailAddress::parse(to).unwrap(),
            subject: subject.to_owned(),
            text: format!("You are invited.\n\nTo accept or decline, open this link:\n{LINK}\n"),
            html: format!("<p>You are invited.</p>\n<p><a href=\"{LINK}\">Accept</a></p>\n"),
            accept_link: LINK.to_owned(),
            reference: domain::message::MailReference {
                workgroup: domain::ids::WorkgroupId::generate(),
                invitation: domain::ids::InvitationId::generate(),
                send: "0123456789abcdef".to_owned(),
            },
        }
    }

    fn only_message(outbox: &Outbox) -> Vec<u8> {
        let messages = outbox.messages().unwrap();
        assert_eq!(messages.len(), 1, "{messages:?}");
        std::fs::read(&messages[0]).unwrap()
    }

    #[tokio::test]
    async fn sending_writes_one_eml_file_named_by_time_and_recipient() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(&dir.path().join("outbox")).unwrap();

        outbox
            .send(&email("ann@example.com", "Invitation"))
            .await
            .unwrap();

        let messages = outbox.messages().unwrap();
        assert_eq!(messages.len(), 1);
        let name = messages[0].file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with("-ann@example.com.eml"), "{name}");
        assert!(
            name.starts_with(&Utc::now().format("%Y%m%dT").to_string()),
            "{name}"
        );
        let leftovers = std::fs::read_dir(outbox.dir()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_outbox_and_its_emails_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(&dir.path().join("outbox")).unwrap().quiet();

        outbox
            .send(&email("ann@example.com", "Invitation"))
            .await
            .unwrap();

        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(outbox.dir()), 0o700);
        assert_eq!(mode(&outbox.messages().unwrap()[0]), 0o600);
    }

    #[tokio::test]
    async fn the_file_is_a_multipart_message_carrying_the_link_in_both_parts() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap().quiet();

        outbox
            .send(&email("ann@example.com", "Invitation"))
            .await
            .unwrap();

        let raw = only_message(&outbox);
        let message = MessageParser::default().parse(&raw).unwrap();
        assert!(
            message
                .content_type()
                .is_some_and(|ct| ct.c_type == "multipart" && ct.subtype() == Some("alternative")),
            "{:?}",
            message.content_type()
        );
        assert!(message.body_text(0).unwrap().contains(LINK));
        assert!(message.body_html(0).unwrap().contains(LINK));
        let from = message.from().unwrap().first().unwrap();
        assert_eq!(from.name(), Some("Workgroup invitations"));
        assert_eq!(from.address(), Some("no-reply@localhost"));
        assert_eq!(
            message.to().unwrap().first().unwrap().address(),
            Some("ann@example.com")
        );
        assert!(message.date().is_some());
        assert!(
            message
                .message_id()
                .is_some_and(|id| id.ends_with("@localhost"))
        );
        assert_eq!(
            latest_link(outbox.dir(), "ann@example.com").unwrap(),
            Some(LINK.to_owned())
        );
    }

    #[tokio::test]
    async fn a_japanese_subject_travels_as_an_encoded_word_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap().quiet();
        let subject = "ワークグループ「経理チーム」への招待";

        let mut japanese = email("hana@example.jp", subject);
        japanese.text = format!("招待されました。\n{LINK}\n");
        japanese.html = format!("<p>招待されました。</p><p><a href=\"{LINK}\">承認</a></p>");

        outbox.send(&japanese).await.unwrap();

        let raw = only_message(&outbox);
        assert!(raw.is_ascii(), "every header and part is 7-bit encoded");
        let text = String::from_utf8(raw.clone()).unwrap();
        let subject_line = text
            .lines()
            .find(|line| line.starts_with("Subject:"))
            .unwrap();
        assert!(subject_line.contains("=?utf-8?"), "{subject_line}");
        let message = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(message.subject(), Some(subject));
        assert_eq!(
            message.body_text(0).as_deref(),
            Some(japanese.text.as_str())
        );
        assert_eq!(
            message.body_html(0).as_deref(),
            Some(japanese.html.as_str())
        );
    }

    #[tokio::test]
    async fn a_line_break_in_the_subject_cannot_add_a_header() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap().quiet();

        outbox
            .send(&email(
                "ann@example.com",
                "Hello\r\nBcc: mallory@example.com\nX-Evil: 1",
            ))
            .await
            .unwrap();

        let raw = only_message(&outbox);
        let message = MessageParser::default().parse(&raw).unwrap();
        assert!(message.bcc().is_none());
        assert!(
            message
                .headers()
                .iter()
                .all(|header| !matches!(&header.name, HeaderName::Other(name) if name == "X-Evil"))
        );
        assert!(message.subject().unwrap().starts_with("Hello"));
        let text = String::from_utf8(raw).unwrap();
        assert!(
            !text
                .lines()
                .any(|line| line.starts_with("Bcc:") || line.starts_with("X-Evil:"))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_sends_never_share_a_file_and_sort_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap().quiet();

        let sends: Vec<_> = (0..20)
            .map(|_| {
                let outbox = outbox.clone();
                tokio::spawn(
                    async move { outbox.send(&email("ann@example.com", "Invitation")).await },
                )
            })
            .collect();
        for send in sends {
            send.await.unwrap().unwrap();
        }
        outbox
            .send(&email("bob@example.com", "Later"))
            .await
            .unwrap();

        let messages = outbox.messages().unwrap();
        assert_eq!(messages.len(), 21);
        let last = messages.last().unwrap().to_string_lossy().into_owned();
        assert!(last.ends_with("-bob@example.com.eml"), "{last}");
    }

    #[test]
    fn the_sender_can_be_configured() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path())
            .unwrap()
            .quiet()
            .with_sender("Acme IT", "invites@acme.example");
        let raw = outbox
            .render(&email("ann@example.com", "Hi"), Utc::now(), "00")
            .unwrap();
        let message = MessageParser::default().parse(&raw).unwrap();
        let from = message.from().unwrap().first().unwrap();
        assert_eq!(from.name(), Some("Acme IT"));
        assert_eq!(from.address(), Some("invites@acme.example"));
        assert!(
            message
                .message_id()
                .is_some_and(|id| id.ends_with("@acme.example"))
        );
    }

    #[tokio::test]
    async fn the_latest_link_is_the_newest_email_to_that_address() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap().quiet();
        let mut first = email("ann@example.com", "First");
        first.accept_link = "http://127.0.0.1:3000/accept#token=first".to_owned();
        let mut second = first.clone();
        second.accept_link = "http://127.0.0.1:3000/accept#token=second".to_owned();

        outbox.send(&first).await.unwrap();
        outbox.send(&second).await.unwrap();
        outbox
            .send(&email("bob@example.com", "Other"))
            .await
            .unwrap();

        assert_eq!(
            latest_link(outbox.dir(), "Ann@Example.com").unwrap(),
            Some(second.accept_link)
        );
        assert_eq!(
            latest_link(outbox.dir(), "carol@example.com").unwrap(),
            None
        );
    }
}
