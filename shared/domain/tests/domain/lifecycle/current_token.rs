//! The invitation lifecycle: current token.

use super::*;

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
