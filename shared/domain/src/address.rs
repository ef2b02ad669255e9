//! Email addresses as people paste them into the invite form.

use std::{collections::VecDeque, fmt};

use serde::{Deserialize, Serialize};

/// A deliverable email address, normalised so that two spellings of one mailbox compare equal:
/// trimmed, lower-cased, without quotes that are not needed, and with an internationalised
/// domain in its ASCII (punycode) form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct EmailAddress(String);

/// Why a string is not an address we can invite.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid email address: {reason}")]
pub struct InvalidEmail {
    pub input: String,
    pub reason: String,
}

/// The longest address SMTP can carry (RFC 5321 forward-path minus the angle brackets).
const MAX_ADDRESS_LEN: usize = 254;

/// The longest text that can still be an address as typed: a local part of 64 bytes, `@` and a
/// domain of 254 bytes (the parser refuses anything longer; this refuses it without reading it).
const MAX_TYPED_LEN: usize = 64 + 1 + 254;

impl EmailAddress {
    /// Parses one address.
    ///
    /// Internationalised domains are accepted; display names, domain literals, single-label
    /// domains and non-ASCII local parts are not (SES cannot deliver to the last kind).
    ///
    /// Quoted local parts: `"ann"@example.com` is `ann@example.com` (quotes are dropped when the
    /// quoted text is a plain dot-atom, so both spellings are one mailbox and one invitation).
    /// Other quoted text (`"ann lee"@example.com`) keeps its quotes and may hold only printable
    /// ASCII and spaces, without `@ , ; < > " \`: those would open or close another address in a
    /// `To:` header or a pasted list, and a quoted pair is a second spelling of one mailbox.
    /// A local part holding an RFC 2047 encoded word (`=?…?=`), quoted or not, is refused:
    /// some mail software decodes it into another address. SES and most providers deliver to
    /// none of these refused forms.
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let invalid = |reason: &str| InvalidEmail {
            input: input.chars().take(80).collect(),
            reason: reason.to_owned(),
        };
        let trimmed = input.trim();
        if trimmed.len() > MAX_TYPED_LEN {
            return Err(invalid("it is longer than 254 characters"));
        }
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal();
        let parsed = email_address::EmailAddress::parse_with_options(trimmed, options)
            .map_err(|e| invalid(&e.to_string()))?;
        let local = parsed.local_part();
        if !local.is_ascii() {
            return Err(invalid("the part before @ must be ASCII"));
        }
        let local = match local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
            Some(quoted) => unquoted(quoted).map_err(invalid)?,
            None => local.to_owned(),
        };
        if holds_encoded_word(&local) {
            return Err(invalid(
                "the part before @ cannot hold an encoded word (=?…?=)",
            ));
        }
        let domain = idna::domain_to_ascii_strict(parsed.domain())
            .map_err(|_| invalid("the domain is not a valid host name"))?;
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
            return Err(invalid("the domain needs a dot, as in example.com"));
        }
        if labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(invalid("the domain cannot end in a number"));
        }
        let normalised = format!("{}@{}", local.to_ascii_lowercase(), domain);
        if normalised.len() > MAX_ADDRESS_LEN {
            return Err(invalid("it is longer than 254 characters"));
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the last `@`, as a fallback display name.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(&self.0, |(local, _)| local)
    }
}

/// The local part for quoted text: the text alone when it is a dot-atom, else the text quoted.
fn unquoted(text: &str) -> Result<String, &'static str> {
    let allowed =
        |c: char| matches!(c, ' '..='~') && !matches!(c, '@' | ',' | ';' | '<' | '>' | '"' | '\\');
    if !text.chars().all(allowed) {
        return Err(
            "a quoted part before @ may hold only printable ASCII and spaces, without @ , ; < > \" or \\",
        );
    }
    Ok(if is_dot_atom(text) {
        text.to_owned()
    } else {
        format!("\"{text}\"")
    })
}

/// RFC 5322's dot-atom: atoms of letters, digits and ``!#$%&'*+-/=?^_`{|}~`` joined by dots.
fn is_dot_atom(text: &str) -> bool {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    text.split('.')
        .all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

/// `=?` followed later by `?=`: the frame of an RFC 2047 encoded word.
fn holds_encoded_word(local: &str) -> bool {
    local
        .find("=?")
        .is_some_and(|at| local[at + 2..].contains("?="))
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Addresses are read back from storage and from earlier answers: they are parsed as any
/// address is, except one that earlier, laxer rules let in (a quoted local part holding `@`,
/// `,` or `;`) and these refuse. That one is kept as it was stored, so it still matches the keys
/// written with it rather than failing every read that meets it; it still holds nothing that
/// could break a header.
impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if is_plainly_normalised(&text) {
            return Ok(Self(text));
        }
        match Self::parse(&text) {
            Ok(address) => Ok(address),
            Err(_) if stored_by_earlier_rules(&text) => Ok(Self(text)),
            Err(invalid) => Err(serde::de::Error::custom(invalid)),
        }
    }
}

/// Already in the form [`EmailAddress::parse`] gives the plainest addresses, which is how
/// nearly every stored one reads back: a lower-case dot-atom before the `@` holding no encoded
/// word, and a lower-case ASCII host name of two or more labels, none of them punycode, the
/// last not a number. Whatever this accepts, `parse` returns unchanged (a test checks it), so
/// a page of stored invitations is not put through the full parser address by address
/// (`bench/RESULTS.md`, "The warm path"); anything else is parsed.
fn is_plainly_normalised(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let atext =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let plain_label = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.get(2..4) != Some("--")
    };
    let labels = domain.split('.');
    text.len() <= MAX_ADDRESS_LEN
        && domain.len() <= 253
        && (1..=64).contains(&local.len())
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext))
        && !holds_encoded_word(local)
        && labels.clone().count() >= 2
        && labels.clone().all(plain_label)
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// Normalised as the stores keep addresses, with a quoted local part, and nothing a header
/// could not carry.
fn stored_by_earlier_rules(text: &str) -> bool {
    text.len() <= MAX_ADDRESS_LEN
        && text.starts_with('"')
        && text
            .rsplit_once("\"@")
            .is_some_and(|(_, domain)| !domain.is_empty())
        && text == text.trim()
        && !text
            .chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>') || c.is_uppercase())
}

impl TryFrom<String> for EmailAddress {
    type Error = InvalidEmail;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

/// What became of one pasted entry before any storage is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PastedEntry {
    Valid(EmailAddress),
    Invalid(String),
    /// The same mailbox appeared earlier in the same request.
    Duplicate(EmailAddress),
}

impl PastedEntry {
    /// The text to echo back to the person for this entry.
    pub fn display(&self) -> &str {
        match self {
            Self::Valid(address) | Self::Duplicate(address) => address.as_str(),
            Self::Invalid(raw) => raw,
        }
    }
}

/// Why a pasted list cannot be invited at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasteError {
    #[error("no valid email address was given")]
    NoValidAddress,
    #[error("more than {limit} addresses were given; at most {limit} can be invited at once")]
    TooMany { limit: usize },
    #[error(
        "the pasted addresses are longer than {limit} bytes; paste at most {limit} bytes at once"
    )]
    TooLong { limit: usize },
}

/// The most text one request may paste, all its strings together: 64 KiB, about 2,500
/// addresses, far more than the entries it may hold.
pub const MAX_PASTE_BYTES: usize = 64 * 1024;

/// How much one paste may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasteLimits {
    /// Entries, invalid ones and duplicates included, counted while splitting.
    pub entries: usize,
    /// Bytes of all the strings together, checked before any splitting.
    pub bytes: usize,
}

/// Splits what a person pasted into entries, in input order, and parses each: at most `limit`
/// entries (invalid ones and duplicates included) and [`MAX_PASTE_BYTES`] of text.
///
/// Entries are separated by commas, semicolons, whitespace or new lines (see [`split_pasted`]).
pub fn parse_pasted<S: AsRef<str>>(
    inputs: &[S],
    limit: usize,
) -> Result<Vec<PastedEntry>, PasteError> {
    let limits = PasteLimits {
        entries: limit,
        bytes: MAX_PASTE_BYTES,
    };
    parse_pasted_within(inputs, limits)
}

/// [`parse_pasted`] within other limits. One pass, in time linear in the text: the size is
/// checked before anything is read, and splitting stops at the first entry over the limit.
pub fn parse_pasted_within<S: AsRef<str>>(
    inputs: &[S],
    limits: PasteLimits,
) -> Result<Vec<PastedEntry>, PasteError> {
    let bytes = inputs.iter().fold(0usize, |total, input| {
        total.saturating_add(input.as_ref().len())
    });
    if bytes > limits.bytes {
        return Err(PasteError::TooLong {
            limit: limits.bytes,
        });
    }
    let mut seen = std::collections::HashSet::new();
    let mut entries = Vec::new();
    for entry in inputs.iter().flat_map(|input| split_pasted(input.as_ref())) {
        if entries.len() == limits.entries {
            return Err(PasteError::TooMany {
                limit: limits.entries,
            });
        }
        entries.push(match EmailAddress::parse(entry) {
            Ok(address) if seen.insert(address.clone()) => PastedEntry::Valid(address),
            Ok(address) => PastedEntry::Duplicate(address),
            Err(_) => PastedEntry::Invalid(entry.to_owned()),
        });
    }
    if !entries.iter().any(|e| matches!(e, PastedEntry::Valid(_))) {
        return Err(PasteError::NoValidAddress);
    }
    Ok(entries)
}

/// The entries of one pasted string, in order, each trimmed and never empty; lazily, reading
/// each character once.
///
/// Entries are separated by commas, semicolons, whitespace or new lines, except inside a quoted
/// local part (`"ann lee"@example.com`) or a bracketed address. Within a segment between commas,
/// semicolons or new lines, `Name <address>`, as mail clients copy it, counts as the address
/// alone; words without `@` that name no bracketed address are entries of their own (invalid
/// ones). A `<` opens a bracketed address only when a `>` follows somewhere, so a stray `<`
/// swallows nothing.
pub fn split_pasted(text: &str) -> Entries<'_> {
    Entries {
        text,
        at: 0,
        last_close: text.rfind('>'),
        words: Vec::new(),
        ready: VecDeque::new(),
    }
}

/// The iterator of [`split_pasted`].
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    text: &'a str,
    /// Where reading resumes.
    at: usize,
    /// The last `>` of the text: a `<` before it opens a bracketed address.
    last_close: Option<usize>,
    /// Words without `@` in the current segment: a display name if a bracketed address follows,
    /// entries of their own when the segment ends first.
    words: Vec<&'a str>,
    ready: VecDeque<&'a str>,
}

impl<'a> Iterator for Entries<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            if let Some(entry) = self.ready.pop_front() {
                return Some(entry);
            }
            match self.next_word() {
                Some(word) => self.group(word),
                None if self.ready.is_empty() => return None,
                None => {}
            }
        }
    }
}

impl<'a> Entries<'a> {
    /// The next whitespace-separated word, outside quotes and brackets; at the end of a segment
    /// its pending words become entries.
    fn next_word(&mut self) -> Option<&'a str> {
        let rest = &self.text[self.at..];
        let mut start = None;
        let (mut in_quotes, mut in_angles, mut escaped) = (false, false, false);
        for (offset, c) in rest.char_indices() {
            let at = self.at + offset;
            if in_angles {
                in_angles = c != '>';
            } else if in_quotes {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_quotes = false,
                    _ => {}
                }
            } else if c.is_whitespace() || matches!(c, ',' | ';') {
                let ends_segment = matches!(c, ',' | ';' | '\n' | '\r');
                if let Some(start) = start {
                    self.at = at;
                    return Some(&self.text[start..at]);
                }
                if ends_segment {
                    self.ready.extend(self.words.drain(..));
                }
            } else {
                start.get_or_insert(at);
                in_quotes = c == '"';
                in_angles = c == '<' && self.last_close.is_some_and(|close| close > at);
            }
        }
        self.at = self.text.len();
        match start {
            // An unclosed quote runs to the end, blanks included.
            Some(start) => Some(self.text[start..].trim_end()),
            None => {
                self.ready.extend(self.words.drain(..));
                None
            }
        }
    }

    fn group(&mut self, word: &'a str) {
        if let Some(open) = word.find('<').filter(|_| word.ends_with('>')) {
            // The words before a bracketed address are its display name.
            self.words.clear();
            let inner = word[open + 1..word.len() - 1].trim();
            self.ready
                .push_back(if inner.is_empty() { word } else { inner });
        } else if word.contains('@') {
            self.ready.extend(self.words.drain(..));
            self.ready.push_back(word);
        } else {
            self.words.push(word);
        }
    }
}
