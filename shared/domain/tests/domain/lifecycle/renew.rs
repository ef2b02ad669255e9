//! The invitation lifecycle: renew.

use super::*;

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
