//! Invitation tokens from request bodies: never a panic; what is accepted has the one shape
//! tokens have, and its hash is stable.

#![no_main]

use libfuzzer_sys::fuzz_target;
use domain::secret::InvitationToken;

fuzz_target!(|input: &str| {
    if let Some(token) = InvitationToken::parse(input) {
        assert_eq!(token.expose().len(), 43);
        assert_eq!(
            token.hash(),
            InvitationToken::parse(token.expose()).unwrap().hash()
        );
    }
});
