//! The splitter of pasted text: its entries are trimmed, non-empty pieces of the text in order
//! and never overlapping; taking a few gives the first of all of them (it is lazy); the entry
//! limit refuses exactly the texts with more entries, and the byte bound exactly the longer
//! texts, whatever they hold.

#![no_main]

use libfuzzer_sys::fuzz_target;
use domain::address::{PasteError, PasteLimits, parse_pasted_within, split_pasted};

fuzz_target!(|input: &str| {
    let entries: Vec<&str> = split_pasted(input).collect();
    let mut after = 0;
    for entry in &entries {
        assert!(!entry.is_empty() && entry.trim() == *entry, "{entry:?}");
        let at = input[after..].find(entry).expect("entries are pieces of the text, in order");
        after += at + entry.len();
    }
    let first: Vec<&str> = split_pasted(input).take(2).collect();
    assert_eq!(first, entries[..entries.len().min(2)]);

    let within = |entries, bytes| parse_pasted_within(&[input], PasteLimits { entries, bytes });
    if let Some(fewer) = entries.len().checked_sub(1) {
        assert_eq!(
            within(fewer, usize::MAX),
            Err(PasteError::TooMany { limit: fewer })
        );
        assert!(!matches!(
            within(entries.len(), usize::MAX),
            Err(PasteError::TooMany { .. })
        ));
    }
    if let Some(shorter) = input.len().checked_sub(1) {
        assert_eq!(
            within(0, shorter),
            Err(PasteError::TooLong { limit: shorter })
        );
        assert!(!matches!(
            within(usize::MAX, input.len()),
            Err(PasteError::TooLong { .. })
        ));
    }
});
