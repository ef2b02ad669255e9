//! Workgroups, registered people and their memberships.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    address::EmailAddress,
    clock::Timestamp,
    ids::{AgentId, WorkgroupId},
    locale::Locale,
    role::Role,
};

/// Text a person typed that is shown to others: trimmed, 1 to `MAX` characters, no control
/// characters (so it can never break a header or a line of an email).
macro_rules! display_text {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(input: &str) -> Result<Self, InvalidText> {
                let trimmed = input.trim();
                if trimmed.is_empty() {
                    return Err(InvalidText(concat!($what, " must not be empty")));
                }
                if trimmed.chars().count() > $max {
                    return Err(InvalidText(concat!($what, " must be at most ", $max, " characters")));
                }
                if trimmed.chars().any(breaks_text) {
                    return Err(InvalidText(concat!($what, " must not contain control characters or line separators")));
                }
                Ok(Self(trimmed.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidText;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

/// Control characters, line and paragraph separators, and bidirectional overrides: none of
/// them belongs in a name, and each can break or disguise a line of an email.
fn breaks_text(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidText(pub &'static str);

display_text!(
    /// The name a person registers with, shown in agent lists and emails.
    DisplayName,
    "name",
    100
);
display_text!(
    /// A workgroup's name.
    WorkgroupName,
    "workgroup name",
    100
);

/// A workgroup, with the language its emails default to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workgroup {
    pub id: WorkgroupId,
    pub name: WorkgroupName,
    pub locale: Locale,
}

/// Who signed a person in: the identity provider (`iss`) and its subject for them (`sub`).
/// A provider may reuse an address for another account; it never reuses a subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignIn {
    pub issuer: String,
    pub subject: String,
}

impl SignIn {
    /// The longest issuer and subject a caller may present (Cognito's are under 100).
    pub const MAX_CHARS: usize = 512;
}

/// Someone who has registered. Registration happens once, at the first acceptance (or when
/// they create a workgroup); later acceptances only add memberships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: AgentId,
    pub email: EmailAddress,
    pub name: DisplayName,
    #[serde(with = "crate::clock::rfc3339")]
    pub registered_at: Timestamp,
    /// The sign-in that registered them: a token with their address under another subject is
    /// refused. `None` only for people registered before sign-ins were bound; their next
    /// sign-in binds them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<SignIn>,
}

/// A person's membership of one workgroup: the "All" tab of the People page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    pub email: EmailAddress,
    pub name: DisplayName,
    pub role: Role,
    #[serde(with = "crate::clock::rfc3339")]
    pub joined_at: Timestamp,
}

impl Agent {
    pub fn joining(person: &Person, role: Role, now: Timestamp) -> Self {
        Self {
            id: person.id.clone(),
            email: person.email.clone(),
            name: person.name.clone(),
            role,
            joined_at: now,
        }
    }
}

/// An agent together with the workgroup they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub workgroup: Workgroup,
    pub agent: Agent,
}
