//! The invitation lifecycle: issue.

use super::*;

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
