//! The invitation lifecycle: secret key.

use super::{
    delivery_attempts::resent,
    reminders::{due, with_left},
    *,
};

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
