//! The configuration a function reads from its environment, once, at cold start.
//!
//! Every variable is listed in [`VARIABLES`]: the templates set them, and a test checks that
//! both templates set exactly these for each function.

use std::{fmt, ops::RangeInclusive};

use api::web::SignIn;
use aws::ses::Sender;
use domain::{Settings, invitation::ReminderSchedule, message::AcceptLinks};

use crate::Function;

/// One environment variable a function reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    pub name: &'static str,
    /// Who must have it set; functions not listed never read it.
    pub needed: Needed,
    pub meaning: &'static str,
}

/// Which functions read a variable, and whether they must have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    /// Required by every function that uses the table.
    WithTheTable,
    /// Required by these functions only.
    In(&'static [Function]),
    /// Required by the functions that run the use cases (all but `feedback`).
    ByTheApp,
    /// Required by the functions that send email.
    ToSendEmail,
    /// Optional, read by the functions that send email.
    OptionalToSendEmail,
    /// Optional, read only by these functions.
    OptionalIn(&'static [Function]),
}

impl Variable {
    pub fn read_by(&self, function: Function) -> bool {
        match self.needed {
            Needed::WithTheTable => function.uses_table(),
            Needed::In(only) => only.contains(&function),
            Needed::ByTheApp => function.runs_app(),
            Needed::ToSendEmail | Needed::OptionalToSendEmail => function.sends_email(),
            Needed::OptionalIn(only) => only.contains(&function),
        }
    }

    pub fn required_by(&self, function: Function) -> bool {
        match self.needed {
            Needed::WithTheTable => function.uses_table(),
            Needed::In(only) => only.contains(&function),
            Needed::ByTheApp => function.runs_app(),
            Needed::ToSendEmail => function.sends_email(),
            Needed::OptionalToSendEmail | Needed::OptionalIn(_) => false,
        }
    }
}

pub const TABLE_NAME: Variable = Variable {
    name: "TABLE_NAME",
    needed: Needed::WithTheTable,
    meaning: "the DynamoDB table",
};
pub const SECRET_KEY_ARN: Variable = Variable {
    name: "SECRET_KEY_ARN",
    needed: Needed::ByTheApp,
    meaning: "the Secrets Manager secret holding the token and cursor key (64 hex digits)",
};
pub const APP_BASE_URL: Variable = Variable {
    name: "APP_BASE_URL",
    needed: Needed::ByTheApp,
    meaning: "where the web app is served; accept links are <APP_BASE_URL>/accept#token=…",
};
pub const SES_SENDER: Variable = Variable {
    name: "SES_SENDER",
    needed: Needed::ToSendEmail,
    meaning: "the From address, `address` or `Name <address>`, a verified SES identity",
};
pub const SES_CONFIGURATION_SET: Variable = Variable {
    name: "SES_CONFIGURATION_SET",
    needed: Needed::OptionalToSendEmail,
    meaning: "the SES configuration set every email is sent with",
};
pub const QUEUE_URL: Variable = Variable {
    name: "QUEUE_URL",
    needed: Needed::In(&[
        Function::Invite,
        Function::Manage,
        Function::Remind,
        Function::Send,
    ]),
    meaning: "the SQS queue due emails are posted to (the send function drains it, and delays what it will try again)",
};
pub const SES_MAX_SEND_RATE: Variable = Variable {
    name: "SES_MAX_SEND_RATE",
    needed: Needed::OptionalIn(&[Function::Send]),
    meaning: "emails per second handed to SES, all senders together (default: the account's maximum send rate, from SES GetAccount)",
};
pub const INVITE_MAX_ADDRESSES: Variable = Variable {
    name: "INVITE_MAX_ADDRESSES",
    // `list` tells inviters the limit before they ask.
    needed: Needed::OptionalIn(&[Function::Invite, Function::List]),
    meaning: "most addresses in one invite request (default 50)",
};
pub const REMINDER_DAYS_BEFORE: Variable = Variable {
    name: "REMINDER_DAYS_BEFORE",
    needed: Needed::OptionalIn(&[Function::Remind]),
    meaning: "days before expiry a reminder goes out, comma-separated (default 7,1)",
};

pub const INVITE_DAILY_LIMIT: Variable = Variable {
    name: "INVITE_DAILY_LIMIT",
    needed: Needed::OptionalIn(&[Function::Invite, Function::List, Function::Manage]),
    meaning: "invitation emails (invites and resends) one inviter may send in one workgroup per UTC day (default 200)",
};

pub const INVITER_DAILY_LIMIT: Variable = Variable {
    name: "INVITER_DAILY_LIMIT",
    needed: Needed::OptionalIn(&[Function::Invite, Function::List, Function::Manage]),
    meaning: "invitation emails one inviter may send per UTC day, all workgroups together (default 500)",
};

pub const RECIPIENT_DAILY_LIMIT: Variable = Variable {
    name: "RECIPIENT_DAILY_LIMIT",
    needed: Needed::OptionalIn(&[Function::Invite, Function::Manage]),
    meaning: "invitation emails one address may receive per UTC day, whoever sends them (default 5)",
};

pub const WORKGROUP_DAILY_LIMIT: Variable = Variable {
    name: "WORKGROUP_DAILY_LIMIT",
    needed: Needed::OptionalIn(&[Function::Workgroups]),
    meaning: "workgroups one person may create per UTC day (default 10)",
};

pub const PENDING_INVITATION_LIMIT: Variable = Variable {
    name: "PENDING_INVITATION_LIMIT",
    needed: Needed::OptionalIn(&[Function::Invite, Function::Manage]),
    meaning: "pending invitations one workgroup may have at once (default 1000)",
};

pub const EVENT_BUS_NAME: Variable = Variable {
    name: "EVENT_BUS_NAME",
    needed: Needed::In(&[Function::Publish]),
    meaning: "the EventBridge bus the audit trail is published to (`default` for the account's default bus)",
};

pub const SIGN_IN_DOMAIN: Variable = Variable {
    name: "SIGN_IN_DOMAIN",
    needed: Needed::OptionalIn(&[Function::List]),
    meaning: "the Cognito hosted UI the web console signs in with (https://<prefix>.auth.<region>.amazoncognito.com); with SIGN_IN_CLIENT_ID",
};

pub const SIGN_IN_CLIENT_ID: Variable = Variable {
    name: "SIGN_IN_CLIENT_ID",
    needed: Needed::OptionalIn(&[Function::List]),
    meaning: "the user pool app client the web console signs in as; with SIGN_IN_DOMAIN",
};

pub const VARIABLES: [Variable; 17] = [
    TABLE_NAME,
    SECRET_KEY_ARN,
    APP_BASE_URL,
    QUEUE_URL,
    SES_SENDER,
    SES_CONFIGURATION_SET,
    SES_MAX_SEND_RATE,
    INVITE_MAX_ADDRESSES,
    INVITE_DAILY_LIMIT,
    INVITER_DAILY_LIMIT,
    RECIPIENT_DAILY_LIMIT,
    WORKGROUP_DAILY_LIMIT,
    PENDING_INVITATION_LIMIT,
    REMINDER_DAYS_BEFORE,
    EVENT_BUS_NAME,
    SIGN_IN_DOMAIN,
    SIGN_IN_CLIENT_ID,
];

/// The whole numbers each count accepts, written as digits with no leading zero. The templates'
/// parameters accept exactly these (tests/tests/infra/parameters.rs compares them).
pub const COUNTS: [(Variable, RangeInclusive<u32>); 7] = [
    (INVITE_MAX_ADDRESSES, 1..=1000),
    (SES_MAX_SEND_RATE, 1..=1000),
    (INVITE_DAILY_LIMIT, 1..=1_000_000),
    (INVITER_DAILY_LIMIT, 1..=1_000_000),
    (RECIPIENT_DAILY_LIMIT, 1..=1_000_000),
    (WORKGROUP_DAILY_LIMIT, 1..=1_000_000),
    (PENDING_INVITATION_LIMIT, 1..=1_000_000),
];

/// A variable that is missing or cannot be used; the message names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

/// Everything a function reads from its environment.
#[derive(Clone)]
pub struct Config {
    pub function: Function,
    pub table: String,
    pub secret_key_arn: String,
    /// Present in the function that sends email.
    pub sender: Option<Sender>,
    /// The queue due emails are posted to, in the functions that make emails due.
    pub queue_url: Option<String>,
    /// Emails per second handed to SES (the send function); `None`: ask SES.
    pub send_rate: Option<u32>,
    pub settings: Settings,
    /// How the web console signs in (the `list` function serves it).
    pub sign_in: SignIn,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("function", &self.function)
            .field("table", &self.table)
            .field("secret_key_arn", &self.secret_key_arn)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

/// The table name, all the feedback function reads.
pub fn table_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    required_from_lookup(TABLE_NAME, lookup)
}

/// One required variable's value, for the functions that read nothing else.
pub fn required_from_lookup(
    variable: Variable,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    lookup(variable.name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| problem(variable, "is not set"))
}

impl Config {
    /// Reads the process environment.
    pub fn from_env(function: Function) -> Result<Self, ConfigError> {
        Self::from_lookup(function, |name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup`; an empty value counts as unset.
    pub fn from_lookup(
        function: Function,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        assert!(function.runs_app(), "{function:?} reads only its table");
        let read = |variable: Variable| -> Result<Option<String>, ConfigError> {
            debug_assert!(
                variable.read_by(function),
                "{} is not read here",
                variable.name
            );
            let value = lookup(variable.name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty());
            if value.is_none() && variable.required_by(function) {
                return Err(problem(variable, "is not set"));
            }
            Ok(value)
        };
        let required = |variable: Variable| read(variable).map(Option::unwrap_or_default);

        let table = required(TABLE_NAME)?;
        let secret_key_arn = required(SECRET_KEY_ARN)?;
        let base_url = required(APP_BASE_URL)?;
        if !is_https_host(&base_url) {
            return Err(problem(
                APP_BASE_URL,
                "must be https:// and a host name, with no path, port or trailing slash (Cognito \
                 calls back only to https, and the console signs in at the origin's root)",
            ));
        }
        let links = AcceptLinks::new(&base_url).map_err(|e| problem(APP_BASE_URL, e))?;
        let mut settings = Settings::new(links);
        settings.read_only = function == Function::List;

        let sender = if function.sends_email() {
            let address = required(SES_SENDER)?;
            let sender = Sender::parse(&address).map_err(|e| problem(SES_SENDER, e))?;
            if !plain_address(written_address(&address)) {
                return Err(problem(
                    SES_SENDER,
                    "the address must be written as SES sends it and IAM compares it \
                     (ses:FromAddress): in lower case, ASCII (an international domain in its \
                     xn-- form)",
                ));
            }
            Some(match read(SES_CONFIGURATION_SET)? {
                Some(set) => sender.with_configuration_set(&set),
                None => sender,
            })
        } else {
            None
        };
        let queue_url = if QUEUE_URL.read_by(function) {
            Some(required(QUEUE_URL)?)
        } else {
            None
        };
        // An optional count, when this function reads it.
        let positive = |variable: Variable| -> Result<Option<u32>, ConfigError> {
            if !variable.read_by(function) {
                return Ok(None);
            }
            read(variable)?
                .map(|text| parse_count(variable, &text))
                .transpose()
        };
        let send_rate = positive(SES_MAX_SEND_RATE)?;
        if let Some(limit) = positive(INVITE_MAX_ADDRESSES)? {
            settings.max_addresses_per_request = limit as usize;
        }
        if let Some(limit) = positive(INVITE_DAILY_LIMIT)? {
            settings.daily_invitations_per_inviter = limit;
        }
        if let Some(limit) = positive(INVITER_DAILY_LIMIT)? {
            settings.daily_invitations_per_inviter_overall = limit;
        }
        if let Some(limit) = positive(RECIPIENT_DAILY_LIMIT)? {
            settings.daily_invitations_per_recipient = limit;
        }
        if let Some(limit) = positive(WORKGROUP_DAILY_LIMIT)? {
            settings.daily_workgroups_per_person = limit;
        }
        if let Some(limit) = positive(PENDING_INVITATION_LIMIT)? {
            settings.pending_invitations_per_workgroup = limit;
        }
        let sign_in = if SIGN_IN_DOMAIN.read_by(function) {
            match (read(SIGN_IN_DOMAIN)?, read(SIGN_IN_CLIENT_ID)?) {
                (Some(domain), Some(client)) if is_https_origin(&domain) => {
                    SignIn::cognito(&domain, &client)
                }
                (Some(_), Some(_)) => {
                    return Err(problem(
                        SIGN_IN_DOMAIN,
                        "must be an https origin, such as https://<prefix>.auth.<region>.amazoncognito.com",
                    ));
                }
                (None, None) => SignIn::None,
                (Some(_), None) => return Err(problem(SIGN_IN_CLIENT_ID, "is not set")),
                (None, Some(_)) => return Err(problem(SIGN_IN_DOMAIN, "is not set")),
            }
        } else {
            SignIn::None
        };
        if REMINDER_DAYS_BEFORE.read_by(function)
            && let Some(days) = read(REMINDER_DAYS_BEFORE)?
        {
            let plain = days.split(',').all(|day| {
                (1..=2).contains(&day.len())
                    && day.bytes().all(|b| b.is_ascii_digit())
                    && !day.starts_with('0')
            });
            settings.reminders = ReminderSchedule::parse(&days)
                .ok()
                .filter(|_| plain)
                .ok_or_else(|| {
                    problem(
                        REMINDER_DAYS_BEFORE,
                        "must be days from 1 to 29, comma-separated, without spaces",
                    )
                })?;
        }
        Ok(Self {
            function,
            table,
            secret_key_arn,
            sender,
            queue_url,
            send_rate,
            settings,
            sign_in,
        })
    }
}

/// A bare `https://host[:port]` (a trailing `/` aside), which the console's security policy can
/// name as the one origin it signs in with.
fn is_https_origin(domain: &str) -> bool {
    let domain = domain.trim_end_matches('/');
    api::web::https_origin(domain).is_some_and(|origin| origin.eq_ignore_ascii_case(domain))
}

/// What a count variable accepts, if it is one.
pub fn count_range(variable: Variable) -> Option<RangeInclusive<u32>> {
    COUNTS
        .iter()
        .find(|(count, _)| count.name == variable.name)
        .map(|(_, range)| range.clone())
}

fn parse_count(variable: Variable, text: &str) -> Result<u32, ConfigError> {
    let range = count_range(variable).expect("a count variable");
    let digits = text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0');
    digits
        .then(|| text.parse::<u32>().ok())
        .flatten()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            problem(
                variable,
                format_args!(
                    "must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// `https://` and a host name (letters, digits, inner hyphens, dots between labels), nothing
/// after it.
fn is_https_host(url: &str) -> bool {
    url.strip_prefix("https://").is_some_and(|host| {
        host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
    })
}

/// The address part of `address` or `Name <address>`, as written.
fn written_address(sender: &str) -> &str {
    match (sender.rfind('<'), sender.ends_with('>')) {
        (Some(open), true) => &sender[open + 1..sender.len() - 1],
        _ => sender,
    }
}

/// An address as SES sends it and IAM compares it: a lower-case dot-atom of at most 64
/// characters, `@`, and two or more lower-case host-name labels, the last not all digits.
fn plain_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let atom = |part: &str| {
        !part.is_empty()
            && part.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || "!#$%&'*+/=?^_`{|}~-".contains(c)
            })
    };
    let label = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    address.len() <= 254
        && local.len() <= 64
        && local.split('.').all(atom)
        && labels.len() >= 2
        && labels.iter().all(|l| label(l))
        && !labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
}

fn problem(variable: Variable, problem: impl fmt::Display) -> ConfigError {
    ConfigError {
        name: variable.name,
        problem: problem.to_string(),
    }
}

#[cfg(test)]
mod tests;
