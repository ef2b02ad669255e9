//! Email addresses as people paste them into the invite form.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A deliverable email address, normalised so that two spellings of one mailbox compare equal:
/// trimmed, lower-cased, and with an internationalised domain in its ASCII (punycode) form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
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

impl EmailAddress {
    /// Parses one address. Quoted local parts and internationalised domains are accepted;
    /// display names, domain literals, single-label domains and non-ASCII local parts are not
    /// (SES cannot deliver to the last kind).
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let invalid = |reason: &str| InvalidEmail {
            input: input.chars().take(80).collect(),
            reason: reason.to_owned(),
        };
        let trimmed = input.trim();
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal();
        let parsed = email_address::EmailAddress::parse_with_options(trimmed, options)
            .map_err(|e| invalid(&e.to_string()))?;
        let local = parsed.local_part();
        if !local.is_ascii() {
            return Err(invalid("the part before @ must be ASCII"));
        }
        // A quoted local part may hold them, but an address is written into `To:` and beside
        // display names as `Name <address>`, where they would open or close another address.
        if local.contains(['<', '>', '\r', '\n']) {
            return Err(invalid("the part before @ cannot hold < or >"));
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

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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
    #[error("{count} addresses were given; at most {limit} can be invited at once")]
    TooMany { count: usize, limit: usize },
}

/// Splits what a person pasted into entries, in input order.
///
/// Entries are separated by commas, semicolons, whitespace or new lines, except inside a quoted
/// local part (`"ann lee"@example.com`). A segment between commas, semicolons or new lines that
/// holds `Name <address>`, as mail clients copy it, counts as that one address.
/// `limit` counts every entry, invalid ones and duplicates included.
pub fn parse_pasted<S: AsRef<str>>(
    inputs: &[S],
    limit: usize,
) -> Result<Vec<PastedEntry>, PasteError> {
    let raw: Vec<String> = inputs
        .iter()
        .flat_map(|input| split_segments(input.as_ref()))
        .flat_map(|segment| split_segment(&segment))
        .collect();
    if raw.len() > limit {
        return Err(PasteError::TooMany {
            count: raw.len(),
            limit,
        });
    }
    let mut seen = std::collections::HashSet::new();
    let entries: Vec<PastedEntry> = raw
        .into_iter()
        .map(|entry| match EmailAddress::parse(&entry) {
            Ok(address) if seen.insert(address.clone()) => PastedEntry::Valid(address),
            Ok(address) => PastedEntry::Duplicate(address),
            Err(_) => PastedEntry::Invalid(entry),
        })
        .collect();
    if !entries.iter().any(|e| matches!(e, PastedEntry::Valid(_))) {
        return Err(PasteError::NoValidAddress);
    }
    Ok(entries)
}

/// Splits on `,`, `;` and line breaks outside double quotes.
fn split_segments(input: &str) -> Vec<String> {
    split_outside_quotes(input, |c| matches!(c, ',' | ';' | '\n' | '\r'))
}

/// Splits a segment on whitespace into addresses. `Name <address>`, as mail clients copy it,
/// counts as the address alone; words without `@` that name no bracketed address are entries
/// of their own (invalid ones).
fn split_segment(segment: &str) -> Vec<String> {
    let mut entries = Vec::new();
    let mut words: Vec<String> = Vec::new();
    for token in split_outside_quotes(segment, char::is_whitespace) {
        if let Some(open) = token.find('<').filter(|_| token.ends_with('>')) {
            // Words before a bracketed address are its display name.
            words.clear();
            let inner = token[open + 1..token.len() - 1].trim();
            entries.push(if inner.is_empty() {
                token
            } else {
                inner.to_owned()
            });
        } else if token.contains('@') {
            entries.append(&mut words);
            entries.push(token);
        } else {
            words.push(token);
        }
    }
    entries.append(&mut words);
    entries
}

fn split_outside_quotes(input: &str, is_separator: impl Fn(char) -> bool) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut in_angles = false;
    let mut escaped = false;
    for (at, c) in input.char_indices() {
        if in_angles {
            current.push(c);
            in_angles = c != '>';
        } else if in_quotes {
            current.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_quotes = false,
                _ => {}
            }
        } else if is_separator(c) {
            if !current.trim().is_empty() {
                parts.push(std::mem::take(&mut current).trim().to_owned());
            }
            current.clear();
        } else {
            in_quotes = c == '"';
            // Only a bracket that closes later groups `<...>`, so a stray `<` swallows nothing.
            in_angles = c == '<' && input[at..].contains('>');
            current.push(c);
        }
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_owned());
    }
    parts
}
