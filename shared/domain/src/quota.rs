//! Daily limits: invitation emails one inviter may send in one workgroup and in all of them
//! together, invitation emails one address may receive, workgroups one person may create.
//! Stores count each on a counter of its own, atomically and conditionally, so concurrent
//! requests cannot overshoot; a request refused by one limit gives back what it took under the
//! others, and a request gives back what it reserved for emails it never handed over.

use std::fmt;

use chrono::{Days, NaiveDate};

use crate::{address::EmailAddress, clock::Timestamp, ids::WorkgroupId};

/// What one daily counter counts, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Counted {
    /// Invitation emails (invites and resends) an inviter hands over in one workgroup.
    EmailsSentIn {
        workgroup: WorkgroupId,
        inviter: EmailAddress,
    },
    /// Invitation emails an inviter hands over, all workgroups together.
    EmailsSent { inviter: EmailAddress },
    /// Invitation emails an address receives, whoever sends them.
    EmailsReceived { recipient: EmailAddress },
    /// Workgroups a person creates.
    WorkgroupsCreated { creator: EmailAddress },
    /// Refused sign-ins recorded in a person's workgroups' trails: bounds what someone holding
    /// a token for their address under another subject can make the service write.
    SignInsRefused { person: EmailAddress },
}

/// Whose counter, and which day's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuotaKey {
    pub counted: Counted,
    pub day: NaiveDate,
}

impl QuotaKey {
    pub fn today(counted: Counted, now: Timestamp) -> Self {
        Self {
            counted,
            day: now.date_naive(),
        }
    }

    /// The counter's name, different for every counter and owner (each kind has its own
    /// prefix before the first `#`), without the day: what stores key the count by.
    pub fn counter(&self) -> String {
        match &self.counted {
            Counted::EmailsSentIn { workgroup, inviter } => {
                format!("sent-in#{workgroup}#{inviter}")
            }
            Counted::EmailsSent { inviter } => format!("sent#{inviter}"),
            Counted::EmailsReceived { recipient } => format!("received#{recipient}"),
            Counted::WorkgroupsCreated { creator } => format!("created#{creator}"),
            Counted::SignInsRefused { person } => format!("refused#{person}"),
        }
    }

    /// The day as stores spell it.
    pub fn day_text(&self) -> String {
        self.day.format("%Y-%m-%d").to_string()
    }

    /// When the day's count starts over.
    pub fn resets_at(&self) -> Timestamp {
        let next = self.day.checked_add_days(Days::new(1)).unwrap_or(self.day);
        next.and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
    }
}

/// A daily limit refused a request: nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverQuota {
    /// Which limit.
    pub counted: Counted,
    pub limit: u32,
    /// When the count starts over.
    pub resets_at: Timestamp,
    /// Seconds from the refusal until then.
    pub retry_after: u32,
}

impl OverQuota {
    /// The limit on creating workgroups, rather than on sending emails.
    pub fn is_on_workgroups(&self) -> bool {
        matches!(self.counted, Counted::WorkgroupsCreated { .. })
    }
}

impl fmt::Display for OverQuota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limit = self.limit;
        match &self.counted {
            Counted::EmailsSentIn { .. } => write!(
                f,
                "the daily limit of {limit} invitation emails per inviter in this workgroup is reached"
            ),
            Counted::EmailsSent { .. } => write!(
                f,
                "the daily limit of {limit} invitation emails per inviter, all workgroups together, is reached"
            ),
            Counted::EmailsReceived { recipient } => write!(
                f,
                "{recipient} cannot be sent more invitation emails today: one address receives at most {limit} a day"
            ),
            Counted::WorkgroupsCreated { .. } => {
                write!(
                    f,
                    "the daily limit of {limit} new workgroups per person is reached"
                )
            }
            Counted::SignInsRefused { .. } => {
                write!(f, "the daily limit of {limit} recorded refusals is reached")
            }
        }
    }
}

impl std::error::Error for OverQuota {}

/// The workgroup's pending cap refused a request: nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the workgroup has {limit} pending invitations, its limit: cancel some, or wait for answers or expiries"
)]
pub struct PendingCapReached {
    pub limit: u32,
    /// Seconds a client should wait before asking again.
    pub retry_after: u32,
}

impl PendingCapReached {
    /// Places free up when invitations are answered or cancelled (any time) or expire
    /// (recorded by the delivery sweep every ten minutes): an hour is a fair wait to suggest.
    pub const RETRY_AFTER: u32 = 3600;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(text: &str) -> EmailAddress {
        EmailAddress::parse(text).unwrap()
    }

    #[test]
    fn counters_of_different_kinds_or_owners_never_share_a_name() {
        let workgroup = WorkgroupId::generate();
        // An address may hold `#`: the kinds differ before the first one anyway.
        let tricky = email(&format!("{workgroup}#ann@example.com"));
        let now = chrono::Utc::now();
        let names: Vec<String> = [
            Counted::EmailsSentIn {
                workgroup: workgroup.clone(),
                inviter: email("ann@example.com"),
            },
            Counted::EmailsSent {
                inviter: tricky.clone(),
            },
            Counted::EmailsReceived {
                recipient: tricky.clone(),
            },
            Counted::WorkgroupsCreated {
                creator: tricky.clone(),
            },
            Counted::SignInsRefused { person: tricky },
        ]
        .into_iter()
        .map(|counted| QuotaKey::today(counted, now).counter())
        .collect();
        let unique: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }

    #[test]
    fn a_count_starts_over_at_the_next_utc_midnight() {
        let now = chrono::DateTime::parse_from_rfc3339("2027-03-04T22:15:00Z")
            .unwrap()
            .to_utc();
        let key = QuotaKey::today(
            Counted::EmailsSent {
                inviter: email("ann@example.com"),
            },
            now,
        );
        assert_eq!(key.day_text(), "2027-03-04");
        assert_eq!(key.resets_at().to_rfc3339(), "2027-03-05T00:00:00+00:00");
    }
}
