//! The invitation lifecycle on a fixed clock: transitions, expiry, reminders, tokens, cursors
//! and the secret key.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use chrono::{TimeDelta, TimeZone, Utc};
use domain::{
    address::EmailAddress,
    clock::{INVITATION_LIFETIME, Timestamp},
    ids::{AgentId, InvitationId, WorkgroupId},
    invitation::Occasion,
    invitation::{
        BadSchedule, DELIVERY_GRACE, Delivery, Gone, Invitation, Inviter, MAX_DELIVERY_ATTEMPTS,
        RETRY_BACKOFF, Reminder, ReminderSchedule, Send, Status,
    },
    locale::Locale,
    people::{DisplayName, Workgroup, WorkgroupName},
    role::Role,
    secret::{BadCursor, InvitationToken, SecretKey, SendNonce},
};

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

// --- issue -----------------------------------------------------------------------------------

#[test]
fn issuing_creates_a_pending_invitation_that_stores_only_the_hash_of_its_token() {
    let key = key();
    let (invitation, token) = issued(&key);
    assert_eq!(invitation.status, Status::Pending);
    assert_eq!(invitation.token_hash, Some(token.hash()));
    assert_ne!(
        invitation.token_hash.as_ref().unwrap().as_str(),
        token.expose()
    );
    assert_eq!(invitation.delivery, Delivery::Queued);
    assert_eq!(invitation.version, 1);
    assert!(invitation.reminders_sent.is_empty());
    assert_eq!(invitation.role, Role::Manager);
    assert_eq!(invitation.email.as_str(), "ann@example.com");
    assert_eq!(invitation.invited_by.name.as_str(), "Alice");
    assert_eq!(invitation.sent_at, t0());
    assert_eq!(invitation.expires_at(), t0() + days(30));
    assert_eq!(INVITATION_LIFETIME, days(30));
}

#[test]
fn the_stored_invitation_does_not_contain_its_token() {
    let (invitation, token) = issued(&key());
    let stored = serde_json::to_string(&invitation).unwrap();
    assert!(!stored.contains(token.expose()), "{stored}");
}

#[test]
fn an_invitation_without_a_language_follows_its_workgroup() {
    let (mut invitation, _) = issued(&key());
    assert_eq!(invitation.locale, None);
    assert_eq!(invitation.locale(), Locale::En);
    invitation.workgroup.locale = Locale::Ja;
    assert_eq!(invitation.locale(), Locale::Ja);
    invitation.locale = Some(Locale::En);
    assert_eq!(invitation.locale(), Locale::En);
}

#[test]
fn two_invitations_get_different_ids_and_tokens() {
    let key = key();
    let (first, first_token) = issued(&key);
    let (second, second_token) = issued(&key);
    assert_ne!(first.id, second.id);
    assert_ne!(first_token, second_token);
    assert_ne!(first.token_hash, second.token_hash);
}

// --- renew -----------------------------------------------------------------------------------

#[test]
fn renewing_a_pending_invitation_issues_a_new_token_and_restarts_the_thirty_days() {
    let key = key();
    let (original, old_token) = issued(&key);
    let original = original.with_delivery(Delivery::Sent);
    let original = original.reminded(
        &Reminder {
            days_before: 7,
            covers: vec![7],
        },
        original.sent_at,
    );
    let now = t0() + days(24);
    let bob = inviter("Bob", "bob@example.com");
    let (renewed, new_token) = original.renew(Send {
        by: bob.clone(),
        role: Role::Associate,
        locale: Some(Locale::Ja),
        now,
        key: &key,
    });

    assert_ne!(new_token, old_token);
    assert_ne!(renewed.nonce, original.nonce);
    assert_eq!(renewed.token_hash, Some(new_token.hash()));
    assert_ne!(renewed.token_hash, original.token_hash);
    assert_eq!(renewed.sent_at, now);
    assert_eq!(renewed.expires_at(), now + days(30));
    assert!(renewed.reminders_sent.is_empty());
    assert_eq!(renewed.role, Role::Associate);
    assert_eq!(renewed.locale, Some(Locale::Ja));
    assert_eq!(renewed.invited_by, bob);
    assert_eq!(renewed.status, Status::Pending);
    assert_eq!(renewed.delivery, Delivery::Queued);
    assert_eq!(renewed.version, original.version + 1);
    assert_eq!(renewed.id, original.id);
    assert_eq!(renewed.email, original.email);
    assert_eq!(renewed.workgroup, original.workgroup);
    assert_eq!(renewed.current_token(&key, now), Some(new_token));
}

#[test]
fn renewing_without_a_language_keeps_the_one_asked_for_before() {
    let key = key();
    let (original, _) = Invitation::issue(
        &workgroup(),
        EmailAddress::parse("ann@example.com").unwrap(),
        Send {
            locale: Some(Locale::Ja),
            ..send(
                &key,
                inviter("Alice", "alice@example.com"),
                Role::Manager,
                t0(),
            )
        },
    );
    let (renewed, _) = original.renew(send(
        &key,
        inviter("Alice", "alice@example.com"),
        Role::Manager,
        t0() + days(1),
    ));
    assert_eq!(renewed.locale, Some(Locale::Ja));
}

#[test]
fn renewing_a_declined_invitation_makes_it_pending_again_with_a_working_token() {
    let key = key();
    let declined = declined();
    let now = t0() + days(3);
    let (renewed, token) = declined.renew(send(
        &key,
        inviter("Alice", "alice@example.com"),
        Role::Manager,
        now,
    ));
    assert_eq!(renewed.status, Status::Pending);
    assert_eq!(renewed.token_hash, Some(token.hash()));
    assert_eq!(renewed.version, declined.version + 1);
    assert_eq!(renewed.sent_at, now);
    assert_eq!(renewed.ensure_open(now), Ok(()));
    assert_eq!(renewed.current_token(&key, now), Some(token));
}

// --- decline and ensure_open -----------------------------------------------------------------

#[test]
fn declining_a_pending_invitation_kills_its_token_and_keeps_the_rest() {
    let invitation = pending();
    let declined = invitation.decline(t0() + days(1)).unwrap();
    assert_eq!(declined.status, Status::Declined);
    assert_eq!(declined.token_hash, None);
    assert_eq!(declined.version, invitation.version + 1);
    assert_eq!(declined.sent_at, invitation.sent_at);
    assert_eq!(declined.expires_at(), invitation.expires_at());
    assert_eq!(declined.role, invitation.role);
    assert_eq!(declined.id, invitation.id);
    assert!(
        declined.is_live(t0() + days(1)),
        "stays listed until expiry"
    );
}

#[test]
fn an_invitation_that_can_no_longer_be_answered_cannot_be_declined() {
    for (invitation, now, case) in closed_cases() {
        assert_eq!(invitation.decline(now), Err(Gone), "{case}");
    }
}

#[test]
fn only_a_live_pending_invitation_is_open() {
    let cases = [
        (pending(), t0(), Ok(()), "pending, just sent"),
        (
            pending(),
            t0() + days(30) - seconds(1),
            Ok(()),
            "pending, its last second",
        ),
        (declined(), t0() + days(2), Err(Gone), "declined"),
        (pending(), t0() + days(30), Err(Gone), "pending, expired"),
        (declined(), t0() + days(31), Err(Gone), "declined, expired"),
    ];
    for (invitation, now, expected, case) in cases {
        assert_eq!(invitation.ensure_open(now), expected, "{case}");
        assert_eq!(invitation.is_open(now), expected.is_ok(), "{case}");
    }
}

#[test]
fn recording_a_delivery_changes_only_the_delivery_fields() {
    let invitation = pending();
    for delivery in [
        Delivery::Sent,
        Delivery::Failed,
        Delivery::Bounced,
        Delivery::Complained,
    ] {
        let delivered = invitation.with_delivery(delivery);
        assert_eq!(delivered.delivery, delivery);
        assert_eq!(
            delivered.version, invitation.version,
            "not a lifecycle change"
        );
        assert_eq!(
            Invitation {
                delivery: invitation.delivery,
                retry_at: invitation.retry_at,
                ..delivered
            },
            invitation
        );
    }
}

// --- delivery attempts -----------------------------------------------------------------------

fn resent(invitation: &Invitation, now: Timestamp) -> Invitation {
    let key = key();
    let by = inviter("Alice", "alice@example.com");
    invitation.renew(send(&key, by, invitation.role, now)).0
}

#[test]
fn a_new_email_is_due_after_the_grace_unless_its_sender_reports() {
    let invitation = pending();
    assert_eq!(invitation.delivery, Delivery::Queued);
    assert_eq!(invitation.occasion, Occasion::Invitation);
    assert_eq!(invitation.delivery_attempts, 0);
    assert!(!invitation.retry_due(invitation.sent_at));
    assert!(!invitation.retry_due(invitation.sent_at + DELIVERY_GRACE - TimeDelta::seconds(1)));
    assert!(invitation.retry_due(invitation.sent_at + DELIVERY_GRACE));
    let sent = invitation.attempted(true, invitation.sent_at);
    assert_eq!((sent.delivery, sent.retry_at), (Delivery::Sent, None));
    assert!(!sent.retry_due(invitation.sent_at + days(1)));
}

#[test]
fn failed_attempts_back_off_then_stop_after_the_last() {
    let mut invitation = pending();
    let mut now = invitation.sent_at;
    invitation = invitation
        .claimed_for(&invitation.due_email(), now)
        .expect("claimable");
    for (attempt, wait) in RETRY_BACKOFF.iter().enumerate() {
        assert_eq!(usize::from(invitation.delivery_attempts), attempt + 1);
        let failed = invitation.attempted(false, now);
        assert_eq!(failed.delivery, Delivery::Failed);
        assert_eq!(
            failed.retry_at,
            Some(now + *wait),
            "after attempt {}",
            attempt + 1
        );
        assert_eq!(
            failed.version, invitation.version,
            "a report is not a change"
        );
        assert!(!failed.retry_due(now + *wait - TimeDelta::seconds(1)));
        now += *wait;
        assert!(failed.retry_due(now));
        let reposted = failed.reposted(now);
        assert_eq!(reposted.version, failed.version + 1, "a post is a change");
        assert!(
            !reposted.retry_due(now),
            "posted: not due while the queue holds it"
        );
        invitation = reposted
            .claimed_for(&reposted.due_email(), now)
            .expect("claimable");
        assert_eq!(
            invitation.version,
            reposted.version + 1,
            "a claim is a change"
        );
        assert!(
            !invitation.retry_due(now),
            "claimed: not due while its sender works"
        );
    }
    assert_eq!(invitation.delivery_attempts, MAX_DELIVERY_ATTEMPTS);
    let given_up = invitation.attempted(false, now);
    assert_eq!(
        (given_up.delivery, given_up.retry_at),
        (Delivery::Failed, None)
    );
    assert!(!given_up.retry_due(now + days(1)));
}

#[test]
fn no_attempt_is_due_once_the_invitation_is_declined_or_expired() {
    let invitation = pending().attempted(false, t0());
    let due = invitation.retry_at.unwrap();
    assert!(invitation.retry_due(due));
    assert!(!invitation.decline(t0()).unwrap().retry_due(due));
    assert!(!invitation.retry_due(invitation.expires_at()));
}

#[test]
fn a_resend_starts_the_attempts_over() {
    let invitation = pending().attempted(false, t0());
    let renewed = resent(&invitation, t0() + days(1));
    assert_eq!(renewed.delivery, Delivery::Queued);
    assert_eq!(renewed.delivery_attempts, 0);
    assert_eq!(renewed.retry_at, Some(t0() + days(1) + DELIVERY_GRACE));
}

#[test]
fn no_reminder_goes_to_an_address_that_bounced_or_complained() {
    let schedule = ReminderSchedule::default();
    let invitation = pending();
    let late = invitation.expires_at() - days(1);
    assert!(invitation.due_reminder(&schedule, late).is_some());
    for refused in [Delivery::Bounced, Delivery::Complained] {
        let refused = invitation.with_delivery(refused);
        assert!(refused.due_reminder(&schedule, late).is_none());
        // A resend starts over.
        let renewed = resent(&refused, late);
        assert!(
            renewed
                .due_reminder(&schedule, renewed.expires_at() - days(1))
                .is_some()
        );
    }
}

// --- current token ---------------------------------------------------------------------------

#[test]
fn the_current_token_is_the_one_issued_while_the_invitation_is_open() {
    let key = key();
    let (invitation, token) = issued(&key);
    assert_eq!(invitation.current_token(&key, t0()), Some(token.clone()));
    assert_eq!(
        invitation.current_token(&key, t0() + days(30) - seconds(1)),
        Some(token)
    );
}

#[test]
fn there_is_no_current_token_once_the_invitation_is_declined_or_expired() {
    for (invitation, now, case) in closed_cases() {
        assert_eq!(invitation.current_token(&key(), now), None, "{case}");
    }
}

#[test]
fn the_current_token_needs_the_key_it_was_issued_with() {
    let (invitation, token) = issued(&key());
    let other = SecretKey::from_bytes([8; 32]);
    assert_ne!(invitation.current_token(&other, t0()), Some(token));
}

// --- expiry ----------------------------------------------------------------------------------

#[test]
fn an_invitation_is_live_until_thirty_days_after_it_was_sent_and_gone_from_then_on() {
    let invitation = pending();
    let cases = [
        (t0(), true, "the moment it is sent"),
        (t0() + days(29), true, "one day before"),
        (
            t0() + days(30) - seconds(1),
            true,
            "one second before 30 days",
        ),
        (t0() + days(30), false, "exactly 30 days"),
        (t0() + days(30) + seconds(1), false, "one second after"),
        (t0() + days(365), false, "a year later"),
    ];
    for (now, live, case) in cases {
        assert_eq!(invitation.is_live(now), live, "{case}");
        assert_eq!(invitation.is_open(now), live, "{case}");
    }
}

// --- reminders -------------------------------------------------------------------------------

/// `now` such that the pending invitation sent at [`t0`] has `left` before it expires.
fn with_left(left: TimeDelta) -> Timestamp {
    t0() + days(30) - left
}

fn reminder(days_before: u16, covers: &[u16]) -> Option<Reminder> {
    Some(Reminder {
        days_before,
        covers: covers.to_vec(),
    })
}

fn due(invitation: &Invitation, now: Timestamp) -> Option<Reminder> {
    invitation
        .due_reminder(&ReminderSchedule::default(), now)
        .map(|mut reminder| {
            reminder.covers.sort_unstable_by(|a, b| b.cmp(a));
            reminder
        })
}

#[test]
fn no_reminder_is_due_while_more_than_seven_days_are_left() {
    let invitation = pending();
    for now in [t0(), t0() + days(10), with_left(days(7) + seconds(1))] {
        assert_eq!(due(&invitation, now), None, "at {now}");
    }
}

#[test]
fn the_seven_day_reminder_is_due_at_exactly_seven_days_left_and_within() {
    let invitation = pending();
    for left in [days(7), days(7) - seconds(1), days(3), days(1) + seconds(1)] {
        assert_eq!(
            due(&invitation, with_left(left)),
            reminder(7, &[7]),
            "{left} left"
        );
    }
}

#[test]
fn a_claimed_reminder_is_not_due_again() {
    let invitation = pending();
    let now = with_left(days(7));
    let claimed = invitation.reminded(&due(&invitation, now).unwrap(), now);
    assert_eq!(claimed.reminders_sent, vec![7]);
    assert_eq!(claimed.version, invitation.version + 1);
    for left in [days(7), days(6), days(1) + seconds(1)] {
        assert_eq!(due(&claimed, with_left(left)), None, "{left} left");
    }
}

#[test]
fn the_one_day_reminder_follows_the_seven_day_one() {
    let invitation = pending();
    let after_seven = invitation.reminded(
        &due(&invitation, with_left(days(7))).unwrap(),
        with_left(days(7)),
    );
    assert_eq!(due(&after_seven, with_left(days(1))), reminder(1, &[1]));
    let after_one = after_seven.reminded(&reminder(1, &[1]).unwrap(), with_left(days(1)));
    assert_eq!(after_one.reminders_sent, vec![1, 7]);
    for left in [days(1), seconds(1)] {
        assert_eq!(due(&after_one, with_left(left)), None, "{left} left");
    }
}

#[test]
fn after_a_missed_seven_day_sweep_only_the_one_day_reminder_is_sent_and_covers_both() {
    let invitation = pending();
    let owed = due(&invitation, with_left(days(1))).unwrap();
    assert_eq!(owed, reminder(1, &[7, 1]).unwrap());
    let claimed = invitation.reminded(&owed, with_left(days(1)));
    assert_eq!(claimed.reminders_sent, vec![1, 7]);
    assert_eq!(due(&claimed, with_left(hours(12))), None);
}

#[test]
fn nothing_is_due_for_a_declined_or_expired_invitation() {
    for left in [days(7), days(1), seconds(1)] {
        assert_eq!(
            due(&declined(), with_left(left)),
            None,
            "declined, {left} left"
        );
    }
    for now in [t0() + days(30), t0() + days(31)] {
        assert_eq!(due(&pending(), now), None, "expired at {now}");
    }
}

#[test]
fn renewing_resets_the_reminder_schedule() {
    let key = key();
    let invitation = pending();
    let reminded = invitation.reminded(
        &due(&invitation, with_left(days(7))).unwrap(),
        with_left(days(7)),
    );
    let renewed_at = with_left(days(6));
    let (renewed, _) = reminded.renew(send(
        &key,
        inviter("Alice", "alice@example.com"),
        Role::Manager,
        renewed_at,
    ));
    assert_eq!(due(&renewed, renewed_at), None, "30 days are left again");
    assert_eq!(
        due(&renewed, renewed_at + days(23)),
        reminder(7, &[7]),
        "the seven-day reminder is owed again"
    );
}

#[test]
fn reminder_schedules_parse_from_comma_separated_days() {
    let cases: [(&str, &[u16], &str); 7] = [
        ("7,1", &[7, 1], "the default"),
        ("1,7", &[7, 1], "any order"),
        (" 7 , 1 ", &[7, 1], "spaces around"),
        ("3", &[3], "a single day"),
        ("7,7,1", &[7, 1], "a repeated day"),
        ("29,1", &[29, 1], "the longest"),
        ("14,7,3,1", &[14, 7, 3, 1], "several"),
    ];
    for (input, expected, case) in cases {
        let schedule = ReminderSchedule::parse(input).unwrap_or_else(|_| panic!("{case}"));
        assert_eq!(schedule.days_before(), expected, "{case}");
    }
    assert_eq!(
        ReminderSchedule::parse("7,1").unwrap(),
        ReminderSchedule::default()
    );
    assert_eq!(ReminderSchedule::default().horizon(), days(7));
    assert_eq!(ReminderSchedule::parse("1,14").unwrap().horizon(), days(14));
}

#[test]
fn reminder_schedules_outside_the_thirty_days_or_malformed_are_refused() {
    let cases = [
        ("", "empty"),
        ("0", "on expiry itself"),
        ("30", "the day it is sent"),
        ("45", "before it is sent"),
        ("7,", "a trailing comma"),
        (",", "only a comma"),
        ("seven", "a word"),
        ("-1", "negative"),
        ("7;1", "semicolons"),
        ("7 1", "spaces"),
        ("1.5", "a fraction"),
        ("65536", "too large for a day count"),
    ];
    for (input, case) in cases {
        assert_eq!(ReminderSchedule::parse(input), Err(BadSchedule), "{case}");
    }
}

// --- tokens ----------------------------------------------------------------------------------

#[test]
fn a_derived_token_parses_back_to_itself() {
    let (_, token) = issued(&key());
    let parsed = InvitationToken::parse(token.expose()).expect("a derived token parses");
    assert_eq!(parsed, token);
    assert_eq!(parsed.hash(), token.hash());
    let padded = format!("  {}\n", token.expose());
    assert_eq!(InvitationToken::parse(&padded), Some(token));
}

#[test]
fn tokens_carry_32_bytes_in_43_url_safe_characters() {
    for _ in 0..20 {
        let (_, token) = issued(&key());
        assert_eq!(token.expose().len(), 43);
        assert_eq!(B64.decode(token.expose()).unwrap().len(), 32);
        assert!(
            token
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{}",
            token.expose()
        );
    }
}

#[test]
fn malformed_tokens_are_refused() {
    let (_, token) = issued(&key());
    let good = token.expose().to_owned();
    let cases = [
        (String::new(), "empty"),
        (good[..42].to_owned(), "one character short"),
        (format!("{good}A"), "one character long"),
        (format!("{}+", &good[..42]), "a standard base64 plus"),
        (format!("{}/", &good[..42]), "a standard base64 slash"),
        (format!("{good}="), "padded"),
        (format!("{} {}", &good[..20], &good[21..]), "a space inside"),
        (format!("{}é", &good[..41]), "a non-ASCII character"),
        ("!".repeat(43), "not base64 at all"),
        (
            format!("{}_", &good[..42]),
            "stray bits in the last character",
        ),
        (B64.encode([1u8; 31]), "31 bytes"),
        (B64.encode([1u8; 33]), "33 bytes"),
        (format!("token={good}"), "the fragment pasted whole"),
    ];
    for (input, case) in cases {
        assert_eq!(InvitationToken::parse(&input), None, "{case}: `{input}`");
    }
}

#[test]
fn tokens_depend_on_the_key_the_invitation_and_the_send() {
    let id = InvitationId::generate();
    let nonce = SendNonce::generate();
    let one = SecretKey::from_bytes([1; 32]);
    let two = SecretKey::from_bytes([2; 32]);
    let token = one.invitation_token(&id, &nonce);
    assert_eq!(one.invitation_token(&id, &nonce), token, "deterministic");
    assert_ne!(two.invitation_token(&id, &nonce), token, "another key");
    assert_ne!(
        one.invitation_token(&InvitationId::generate(), &nonce),
        token,
        "another invitation"
    );
    assert_ne!(
        one.invitation_token(&id, &SendNonce::generate()),
        token,
        "another send"
    );
}

#[test]
fn secrets_are_not_shown_in_debug_output() {
    let key = key();
    let (_, token) = issued(&key);
    assert!(!format!("{token:?}").contains(token.expose()));
    assert!(!format!("{key:?}").contains(&key.encode()));
}

// --- cursors ---------------------------------------------------------------------------------

const SCOPE: &str = "invitations:wg_00000000000000000000000000000001:any";

#[test]
fn a_cursor_opens_to_the_position_it_was_sealed_with() {
    let key = key();
    for position in [
        "",
        "2025-03-01T09:00:00Z#inv_1",
        "a.b.c",
        "ünïcødé",
        &"x".repeat(500),
    ] {
        let cursor = key.seal_cursor(SCOPE, position);
        assert_eq!(key.open_cursor(SCOPE, &cursor).as_deref(), Ok(position));
    }
}

#[test]
fn a_cursor_is_refused_anywhere_but_where_it_was_sealed() {
    let key = key();
    let position = "2025-03-01T09:00:00Z#inv_1";
    let cursor = key.seal_cursor(SCOPE, position);
    let (sealed_position, tag) = cursor.split_once('.').unwrap();
    let mut flipped_tag = tag.to_owned();
    let first = flipped_tag.remove(0);
    flipped_tag.insert(0, if first == 'A' { 'B' } else { 'A' });

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "invitations:wg_00000000000000000000000000000002:any",
            cursor.clone(),
            "another workgroup",
        ),
        (
            "invitations:wg_00000000000000000000000000000001:pending",
            cursor.clone(),
            "another status filter",
        ),
        (
            "agents:wg_00000000000000000000000000000001",
            cursor.clone(),
            "another list",
        ),
        (
            SCOPE,
            format!("{}.{tag}", B64.encode("2025-03-01T09:00:00Z#inv_2")),
            "a modified position",
        ),
        (
            SCOPE,
            format!("{sealed_position}.{flipped_tag}"),
            "a modified tag",
        ),
        (
            SCOPE,
            cursor[..cursor.len() - 1].to_owned(),
            "truncated by one",
        ),
        (
            SCOPE,
            cursor[..cursor.len() - 4].to_owned(),
            "truncated by four",
        ),
        (SCOPE, format!("{sealed_position}."), "without its tag"),
        (SCOPE, sealed_position.to_owned(), "without its dot and tag"),
        (SCOPE, format!(".{tag}"), "without its position"),
        (SCOPE, format!("{cursor}AAAA"), "lengthened"),
        (SCOPE, format!("{cursor}.{tag}"), "a second tag"),
        (SCOPE, String::new(), "empty"),
        (SCOPE, "garbage".to_owned(), "garbage"),
        (SCOPE, "!!!.???".to_owned(), "not base64"),
        (
            SCOPE,
            SecretKey::from_bytes([9; 32]).seal_cursor(SCOPE, position),
            "sealed with another key",
        ),
    ];
    for (scope, cursor, case) in cases {
        assert_eq!(key.open_cursor(scope, &cursor), Err(BadCursor), "{case}");
    }
}

// --- secret key ------------------------------------------------------------------------------

/// Two keys are the same when they derive the same things.
fn same_key(a: &SecretKey, b: &SecretKey) -> bool {
    a.encode() == b.encode() && a.derive("test") == b.derive("test")
}

#[test]
fn a_key_decodes_from_its_own_encoding() {
    let key = SecretKey::generate();
    let encoded = key.encode();
    assert_eq!(encoded.len(), 43);
    assert!(same_key(&SecretKey::decode(&encoded).unwrap(), &key));
    assert!(same_key(
        &SecretKey::decode(&format!(" {encoded}\n")).unwrap(),
        &key
    ));
}

#[test]
fn a_key_decodes_from_64_hex_digits_in_either_case() {
    let bytes: [u8; 32] = std::array::from_fn(|i| (i as u8) * 8 + 1);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let expected = SecretKey::from_bytes(bytes);
    assert!(same_key(&SecretKey::decode(&hex).unwrap(), &expected));
    assert!(same_key(
        &SecretKey::decode(&hex.to_ascii_uppercase()).unwrap(),
        &expected
    ));
}

#[test]
fn a_key_in_standard_padded_base64_as_openssl_prints_it_is_accepted() {
    let standard = base64::engine::general_purpose::STANDARD.encode([0xfbu8; 32]);
    assert!(standard.ends_with('='));
    let key = SecretKey::decode(&standard).unwrap();
    assert!(same_key(&key, &SecretKey::from_bytes([0xfb; 32])));
}

#[test]
fn keys_of_the_wrong_length_or_encoding_are_refused() {
    let cases = [
        (String::new(), "empty"),
        (B64.encode([1u8; 31]), "31 bytes of base64url"),
        (B64.encode([1u8; 33]), "33 bytes of base64url"),
        (B64.encode([1u8; 16]), "16 bytes of base64url"),
        ("ab".repeat(31), "62 hex digits"),
        (format!("{}a", "ab".repeat(31)), "63 hex digits"),
        ("ab".repeat(33), "66 hex digits"),
        ("not a key".to_owned(), "words"),
        (
            format!("{}zz", "ab".repeat(31)),
            "64 characters, not all hex",
        ),
    ];
    for (input, case) in cases {
        assert!(SecretKey::decode(&input).is_err(), "{case}: `{input}`");
    }
}

#[test]
fn different_keys_derive_different_sub_keys() {
    let one = SecretKey::from_bytes([1; 32]);
    let two = SecretKey::from_bytes([2; 32]);
    assert_ne!(one.derive("jwt"), two.derive("jwt"));
    assert_ne!(one.derive("jwt"), one.derive("other"));
    assert_eq!(one.derive("jwt"), one.derive("jwt"));
}

#[test]
fn an_invitation_counts_as_just_sent_only_when_pending_and_sent_since_in_the_same_terms() {
    let invitation = pending();
    let sent = invitation.sent_at;
    let role = invitation.role;
    let other_role = if role == Role::Manager {
        Role::Associate
    } else {
        Role::Manager
    };
    assert!(invitation.just_sent_as(sent, role, None));
    assert!(invitation.just_sent_as(sent - TimeDelta::seconds(5), role, None));
    assert!(
        !invitation.just_sent_as(sent + TimeDelta::seconds(1), role, None),
        "sent before"
    );
    assert!(
        !invitation.just_sent_as(sent, other_role, None),
        "another role"
    );
    assert!(
        !invitation.just_sent_as(sent, role, Some(Locale::Ja)),
        "another language"
    );
    let declined = invitation.decline(sent).unwrap();
    assert!(!declined.just_sent_as(sent, role, None), "declined");
}

#[test]
fn a_due_email_is_claimed_by_one_sender_at_a_time_and_only_for_its_send() {
    let invitation = pending();
    let now = invitation.sent_at;
    let due = invitation.due_email();
    let claimed = invitation.claimed_for(&due, now).expect("owed");
    assert_eq!(claimed.delivery_attempts, 1);
    assert_eq!(claimed.version, invitation.version + 1);
    assert_eq!(claimed.claimed_for(&due, now), None, "held by its sender");
    assert_eq!(
        claimed.claimed_for(&due, now + DELIVERY_GRACE - seconds(1)),
        None
    );
    assert!(
        claimed.claimed_for(&due, now + DELIVERY_GRACE).is_some(),
        "a claim lapses after the grace"
    );
    // Handed over: never again; another send's or occasion's email: not this one.
    let sent = claimed.attempted(true, now);
    assert_eq!(sent.claimed_for(&due, now + days(1)), None);
    let renewed = resent(&invitation, now + seconds(1));
    assert_eq!(
        renewed.claimed_for(&due, now + seconds(1)),
        None,
        "superseded"
    );
    let reminder = domain::delivery::DueEmail {
        occasion: Occasion::Reminder { days_before: 7 },
        ..due.clone()
    };
    assert_eq!(invitation.claimed_for(&reminder, now), None);
    assert_eq!(
        invitation.decline(now).unwrap().claimed_for(&due, now),
        None,
        "answered"
    );
}

#[test]
fn a_throttled_email_keeps_its_attempt_and_a_refused_one_is_never_tried_again() {
    let invitation = pending();
    let now = invitation.sent_at;
    let claimed = invitation
        .claimed_for(&invitation.due_email(), now)
        .unwrap();
    let throttled = claimed.throttled(now, seconds(5));
    assert_eq!(
        throttled.version,
        claimed.version + 1,
        "giving the claim back is a change"
    );
    assert_eq!(throttled.delivery_attempts, 0);
    assert_eq!(throttled.delivery, Delivery::Queued);
    assert!(
        throttled
            .claimed_for(&invitation.due_email(), now)
            .is_some()
    );
    let refused = claimed.refused();
    assert_eq!(
        (refused.delivery, refused.retry_at),
        (Delivery::Failed, None)
    );
    assert!(!refused.retry_due(now + days(1)));
    assert_eq!(
        refused.claimed_for(&invitation.due_email(), now + days(1)),
        None
    );
}

#[test]
fn a_due_reminder_becomes_the_current_email_queued_afresh() {
    let invitation = pending().attempted(true, t0());
    let now = with_left(days(7));
    let reminded = invitation.reminded(&due(&invitation, now).unwrap(), now);
    assert_eq!(reminded.occasion, Occasion::Reminder { days_before: 7 });
    assert_eq!(
        (reminded.delivery, reminded.delivery_attempts),
        (Delivery::Queued, 0)
    );
    assert_eq!(reminded.retry_at, Some(now + DELIVERY_GRACE));
    assert_eq!(reminded.due_email().occasion, reminded.occasion);
    assert!(reminded.claimed_for(&reminded.due_email(), now).is_some());
}
