//! The languages the service speaks: a workgroup's, an invitation's, each email's. A module of
//! its own, so that invitations, people and messages all name it without naming each other.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The languages emails are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
    Ja,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown locale `{0}`; expected en or ja")]
pub struct UnknownLocale(pub String);

impl FromStr for Locale {
    type Err = UnknownLocale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Locale::En),
            "ja" => Ok(Locale::Ja),
            _ => Err(UnknownLocale(s.chars().take(20).collect())),
        }
    }
}
