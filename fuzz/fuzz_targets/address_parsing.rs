//! Pasted addresses: never a panic, at most the limit of entries, and every address it accepts
//! is already normal (parsing it again gives itself) and is one the mail service can take.

#![no_main]

use libfuzzer_sys::fuzz_target;
use domain::address::{EmailAddress, PastedEntry, parse_pasted};

fuzz_target!(|input: &str| {
    if let Ok(address) = EmailAddress::parse(input) {
        let again = EmailAddress::parse(address.as_str()).expect("a parsed address parses again");
        assert_eq!(again, address, "parsing is idempotent");
        assert!(address.as_str().is_ascii() || address.as_str().contains('@'));
        assert!(!address.as_str().contains(['\r', '\n', '<', '>', ',', ';', '\\']));
        assert_eq!(address.as_str().matches('@').count(), 1, "one @: {address}");
    }
    if let Ok(entries) = parse_pasted(&[input], 50) {
        assert!(entries.len() <= 50);
        assert!(entries.iter().any(|e| matches!(e, PastedEntry::Valid(_))));
        for entry in entries {
            if let PastedEntry::Valid(address) = entry {
                assert_eq!(EmailAddress::parse(address.as_str()).as_ref(), Ok(&address));
            }
        }
    }
});
