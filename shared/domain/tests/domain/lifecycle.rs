//! The invitation lifecycle on a fixed clock: transitions, expiry, reminders, tokens, cursors
//! and the secret key.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use chrono::{TimeDelta, TimeZone, Utc};
use domain::{
    address::EmailAddress,
    clock::{INVITATION_LIFETIME, Timestamp},
    delivery::Occasion,
    ids::{AgentId, InvitationId, WorkgroupId},
    invitation::{
        BadSchedule, DELIVERY_GRACE, Delivery, Gone, Invitation, Inviter, MAX_DELIVERY_ATTEMPTS,
        RETRY_BACKOFF, Reminder, ReminderSchedule, Send, Status,
    },
    locale::Locale,
    people::{DisplayName, Workgroup, WorkgroupName},
    role::Role,
    secret::{BadCursor, InvitationToken, SecretKey, SendNonce},
};

mod current_token;
mod cursors;
mod decline;
mod delivery_attempts;
mod expiry;
mod issue;
mod reminders;
mod renew;
mod secret_key;
mod tokens;

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

fn hours(n: i64) -> TimeDelta {
    TimeDelta::hours(n)
}

fn seconds(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn key() -> SecretKey {
    SecretKey::from_bytes([7; 32])
}

fn workgroup() -> Workgroup {
    Workgroup {
        id: WorkgroupId::generate(),
        name: WorkgroupName::parse("Support desk").unwrap(),
        locale: Locale::En,
    }
}

fn inviter(name: &str, email: &str) -> Inviter {
    Inviter {
        id: AgentId::generate(),
        email: EmailAddress::parse(email).unwrap(),
        name: DisplayName::parse(name).unwrap(),
    }
}

fn send<'a>(key: &'a SecretKey, by: Inviter, role: Role, now: Timestamp) -> Send<'a> {
    Send {
        by,
        role,
        locale: None,
        now,
        key,
    }
}

/// A manager invitation for ann@example.com sent at [`t0`] by Alice, and its token.
fn issued(key: &SecretKey) -> (Invitation, InvitationToken) {
    Invitation::issue(
        &workgroup(),
        EmailAddress::parse("ann@example.com").unwrap(),
        send(
            key,
            inviter("Alice", "alice@example.com"),
            Role::Manager,
            t0(),
        ),
    )
}

fn pending() -> Invitation {
    issued(&key()).0
}

fn declined() -> Invitation {
    pending().decline(t0() + days(1)).unwrap()
}

/// `(invitation, now)` pairs of an invitation that can no longer be answered.
fn closed_cases() -> Vec<(Invitation, Timestamp, &'static str)> {
    vec![
        (declined(), t0() + days(2), "declined"),
        (pending(), t0() + days(30), "pending, expired this second"),
        (pending(), t0() + days(45), "pending, long expired"),
        (declined(), t0() + days(30), "declined and expired"),
    ]
}
