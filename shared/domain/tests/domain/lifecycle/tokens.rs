//! The invitation lifecycle: tokens.

use super::*;

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
