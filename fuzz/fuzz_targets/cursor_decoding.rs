//! List cursors from query strings: never a panic; only what the key sealed for that scope
//! opens, and a sealed position comes back whole.

#![no_main]

use libfuzzer_sys::fuzz_target;
use domain::secret::SecretKey;

fuzz_target!(|input: (&str, &str)| {
    let (cursor, position) = input;
    let key = SecretKey::from_bytes([7; 32]);
    // Anything from outside: refused unless it is a cursor this key sealed for this scope.
    if let Ok(opened) = key.open_cursor("events:wg", cursor) {
        assert_eq!(key.seal_cursor("events:wg", &opened), cursor);
    }
    let sealed = key.seal_cursor("invitations:wg:any", position);
    assert_eq!(
        key.open_cursor("invitations:wg:any", &sealed).as_deref(),
        Ok(position)
    );
    assert!(key.open_cursor("invitations:other:any", &sealed).is_err());
    assert!(
        SecretKey::from_bytes([8; 32])
            .open_cursor("invitations:wg:any", &sealed)
            .is_err()
    );
});
