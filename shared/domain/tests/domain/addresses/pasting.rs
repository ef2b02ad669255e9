//! Pastes as a whole: the entry and size limits, quoting, and the linear splitter against the
//! reference one.

use super::*;

#[test]
fn a_paste_without_any_valid_address_is_refused() {
    let cases = [
        ("", "empty"),
        ("   ", "blank"),
        (",;\n\t\r\n", "only separators"),
        ("not-an-address", "one invalid entry"),
        ("ann@, @example.com; ann@example", "several invalid entries"),
        ("Ann Lee <>", "a name without an address"),
    ];
    for (input, case) in cases {
        assert_eq!(pasted(input), Err(PasteError::NoValidAddress), "{case}");
    }
    let nothing: [&str; 0] = [];
    assert_eq!(
        parse_pasted(&nothing, LIMIT),
        Err(PasteError::NoValidAddress),
        "no strings at all"
    );
}

fn numbered(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("agent{i}@example.com")).collect()
}

#[test]
fn exactly_fifty_entries_are_accepted() {
    let addresses = numbered(50);
    let entries = pasted(&addresses.join(", ")).unwrap();
    assert_eq!(entries.len(), 50);
    let shown: Vec<&str> = entries.iter().map(PastedEntry::display).collect();
    assert_eq!(shown, addresses, "in input order");

    let with_repeats = [numbered(40).join("\n"), numbered(10).join(";")];
    assert_eq!(parse_pasted(&with_repeats, LIMIT).unwrap().len(), 50);
}

#[test]
fn more_than_fifty_entries_are_refused_counting_invalid_ones_and_duplicates() {
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![numbered(51).join(",")],
            "51 valid addresses in one string",
        ),
        (numbered(51), "51 strings of one address"),
        (
            vec![
                numbered(25).join(" "),
                numbered(26)[25..].join(" "),
                numbered(25).join(" "),
            ],
            "26 addresses and 25 repeats over three strings",
        ),
        (
            vec![format!(
                "{}, {}",
                numbered(40).join(", "),
                ["bad"; 11].join(", ")
            )],
            "40 valid and 11 invalid",
        ),
        (
            vec![format!(
                "{},{}",
                numbered(1)[0],
                ["ANN@example.com"; 50].join(",")
            )],
            "one address and 50 repeats",
        ),
    ];
    for (inputs, case) in cases {
        assert_eq!(
            parse_pasted(&inputs, LIMIT),
            Err(PasteError::TooMany { limit: 50 }),
            "{case}"
        );
    }
}

#[test]
fn the_limit_is_the_one_given() {
    assert_eq!(
        pasted("a@example.com b@example.com c@example.com").map(|e| e.len()),
        Ok(3)
    );
    assert_eq!(
        parse_pasted(&["a@example.com b@example.com c@example.com"], 2),
        Err(PasteError::TooMany { limit: 2 })
    );
}

#[test]
fn an_entry_is_shown_normalised_when_understood_and_as_typed_otherwise() {
    let entries = pasted("Ann@Bücher.example, ANN@bücher.EXAMPLE, Not An@Address").unwrap();
    let shown: Vec<&str> = entries.iter().map(PastedEntry::display).collect();
    assert_eq!(
        shown,
        [
            "ann@xn--bcher-kva.example",
            "ann@xn--bcher-kva.example",
            "Not",
            "An@Address"
        ]
    );
}

#[test]
fn quotes_that_are_not_needed_are_dropped_and_the_others_kept() {
    let cases = [
        ("\"ann\"@example.com", "ann@example.com", "a plain word"),
        (
            "\"Ann.Lee\"@Example.com",
            "ann.lee@example.com",
            "dotted words",
        ),
        (
            "\"a|b#c+d\"@example.com",
            "a|b#c+d@example.com",
            "symbols a bare local part may hold",
        ),
        (
            "\"Ann Lee\"@example.com",
            "\"ann lee\"@example.com",
            "a space needs the quotes",
        ),
        (
            "\".ann\"@example.com",
            "\".ann\"@example.com",
            "a leading dot needs the quotes",
        ),
        (
            "\"ann..lee\"@example.com",
            "\"ann..lee\"@example.com",
            "two dots need the quotes",
        ),
        (
            "\"a(b)c:d\"@example.com",
            "\"a(b)c:d\"@example.com",
            "parentheses and a colon need the quotes",
        ),
    ];
    for (input, normalised, case) in cases {
        let address = EmailAddress::parse(input).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(address.as_str(), normalised, "{case}");
        assert_eq!(
            EmailAddress::parse(normalised).as_ref(),
            Ok(&address),
            "{case}: the normal form parses to itself"
        );
    }
}

#[test]
fn quoted_local_parts_that_could_name_another_address_are_refused() {
    let cases = [
        ("\"ann@evil.example\"@example.com", "an @ inside quotes"),
        ("\"ann,bob\"@example.com", "a comma inside quotes"),
        ("\"ann;bob\"@example.com", "a semicolon inside quotes"),
        ("\"ann<bob>\"@example.com", "angle brackets inside quotes"),
        ("\"ann\\\"bob\"@example.com", "an escaped quote"),
        ("\"ann\\bob\"@example.com", "a quoted pair"),
        ("\"ann\tbob\"@example.com", "a tab inside quotes"),
        (
            "=?utf-8?q?ann=40evil.example?=@example.com",
            "an encoded word",
        ),
        (
            "\"=?utf-8?b?YW5uQGV2aWwuZXhhbXBsZQ==?=\"@example.com",
            "a quoted encoded word",
        ),
        (
            "\"=?x?q?ann?= bob\"@example.com",
            "an encoded word beside other quoted text",
        ),
        (
            "ann=?x?q?a?=bob@example.com",
            "an encoded word inside a bare local part",
        ),
    ];
    for (input, case) in cases {
        let refused = EmailAddress::parse(input);
        assert!(refused.is_err(), "{case}: {input:?} was accepted");
        assert_eq!(
            pasted(&format!("{input} ok@example.com")),
            Ok(vec![I(input).entry(), V("ok@example.com").entry()]),
            "{case}: refused in a paste, in its place"
        );
    }
    for (input, case) in [
        ("ann=?@example.com", "=? alone"),
        ("ann?=@example.com", "?= alone"),
        ("a?=b=?c@example.com", "?= before =?"),
    ] {
        assert!(EmailAddress::parse(input).is_ok(), "{case}: {input:?}");
    }
}

#[test]
fn a_paste_of_at_most_64_kib_is_read_and_a_longer_one_refused_before_splitting() {
    let filler = |bytes: usize| format!("ok@example.com{}", " ".repeat(bytes - 14));
    assert_eq!(MAX_PASTE_BYTES, 65_536);
    let cases: Vec<(Vec<String>, Result<usize, PasteError>, &str)> = vec![
        (vec![filler(65_536)], Ok(1), "exactly 64 KiB in one string"),
        (
            vec![filler(65_537)],
            Err(PasteError::TooLong { limit: 65_536 }),
            "one byte more",
        ),
        (
            vec![filler(30_000), filler(35_536)],
            Ok(2),
            "64 KiB over two strings",
        ),
        (
            vec![filler(30_000), filler(35_537)],
            Err(PasteError::TooLong { limit: 65_536 }),
            "one byte more over two strings",
        ),
        (
            vec![numbered(3_100).join(",")],
            Err(PasteError::TooLong { limit: 65_536 }),
            "too long is said before too many",
        ),
        (
            vec!["<".repeat(65_537)],
            Err(PasteError::TooLong { limit: 65_536 }),
            "too long is said before no valid address",
        ),
        (
            vec![format!("{} ok@example.com", "é".repeat(32_761))],
            Err(PasteError::TooLong { limit: 65_536 }),
            "bytes are counted, not characters",
        ),
    ];
    for (inputs, expected, case) in cases {
        let total: usize = inputs.iter().map(String::len).sum();
        assert_eq!(
            parse_pasted(&inputs, LIMIT).map(|entries| entries.len()),
            expected,
            "{case} ({total} bytes)"
        );
    }
}

#[test]
fn a_long_run_of_angle_brackets_is_one_invalid_entry() {
    let angles = "<".repeat(60 * 1024);
    assert_eq!(pasted(&angles), Err(PasteError::NoValidAddress));
    assert_eq!(
        split_pasted(&angles).collect::<Vec<_>>(),
        [angles.as_str()],
        "one entry"
    );
    let then_an_address = format!("{angles} ann@example.com");
    assert_eq!(
        pasted(&then_an_address),
        Ok(vec![
            PastedEntry::Invalid(angles.clone()),
            V("ann@example.com").entry()
        ]),
        "a stray < swallows nothing"
    );
}

#[test]
fn splitting_stops_at_the_first_entry_over_the_limit() {
    use std::cell::Cell;
    /// A string that counts how often it is read.
    struct Counted<'a>(&'a str, Cell<usize>);
    impl AsRef<str> for Counted<'_> {
        fn as_ref(&self) -> &str {
            self.1.set(self.1.get() + 1);
            self.0
        }
    }
    let addresses = numbered(60);
    let inputs: Vec<Counted> = addresses
        .iter()
        .map(|a| Counted(a.as_str(), Cell::new(0)))
        .collect();
    assert_eq!(
        parse_pasted(&inputs, LIMIT),
        Err(PasteError::TooMany { limit: LIMIT })
    );
    let reads: Vec<usize> = inputs.iter().map(|i| i.1.get()).collect();
    // Each string is measured once; the first 51 are split; the rest never are.
    assert_eq!(reads[..51], [2; 51], "the first 51 strings are split");
    assert_eq!(reads[51..], [1; 9], "the later ones are only measured");

    let long = "a@b.example ".repeat(1_000);
    let lazily: Vec<&str> = split_pasted(&long).take(3).collect();
    assert_eq!(lazily, ["a@b.example"; 3]);
}

/// The splitter before issue 14, kept as the reference the linear one must agree with: a
/// segment pass on `, ; \n \r`, then a word pass on whitespace inside each segment.
mod reference {
    pub fn split(input: &str) -> Vec<String> {
        split_outside_quotes(input, |c| matches!(c, ',' | ';' | '\n' | '\r'))
            .iter()
            .flat_map(|segment| split_segment(segment))
            .collect()
    }

    fn split_segment(segment: &str) -> Vec<String> {
        let mut entries = Vec::new();
        let mut words: Vec<String> = Vec::new();
        for token in split_outside_quotes(segment, char::is_whitespace) {
            if let Some(open) = token.find('<').filter(|_| token.ends_with('>')) {
                words.clear();
                let inner = token[open + 1..token.len() - 1].trim();
                entries.push(if inner.is_empty() {
                    token
                } else {
                    inner.to_owned()
                });
            } else if token.contains('@') {
                entries.append(&mut words);
                entries.push(token);
            } else {
                words.push(token);
            }
        }
        entries.append(&mut words);
        entries
    }

    fn split_outside_quotes(input: &str, is_separator: impl Fn(char) -> bool) -> Vec<String> {
        let mut parts = Vec::new();
        let mut current = String::new();
        let (mut in_quotes, mut in_angles, mut escaped) = (false, false, false);
        for (at, c) in input.char_indices() {
            if in_angles {
                current.push(c);
                in_angles = c != '>';
            } else if in_quotes {
                current.push(c);
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_quotes = false,
                    _ => {}
                }
            } else if is_separator(c) {
                if !current.trim().is_empty() {
                    parts.push(std::mem::take(&mut current).trim().to_owned());
                }
                current.clear();
            } else {
                in_quotes = c == '"';
                in_angles = c == '<' && input[at..].contains('>');
                current.push(c);
            }
        }
        if !current.trim().is_empty() {
            parts.push(current.trim().to_owned());
        }
        parts
    }
}

/// Checks one text: the same entries as the reference, each a trimmed, non-empty piece of the
/// text, in order and not overlapping.
fn splits_as_the_reference(text: &str) {
    let entries: Vec<&str> = split_pasted(text).collect();
    assert_eq!(entries, reference::split(text), "{text:?}");
    let mut after = 0;
    for entry in entries {
        assert!(
            !entry.is_empty() && entry.trim() == entry,
            "{text:?}: {entry:?}"
        );
        let at = text[after..]
            .find(entry)
            .unwrap_or_else(|| panic!("{text:?}: {entry:?} is not in order"));
        after += at + entry.len();
    }
}

#[test]
fn the_linear_splitter_agrees_with_the_old_one_on_every_short_text() {
    const ALPHABET: [char; 11] = ['a', '@', '.', '<', '>', '"', '\\', ',', ';', ' ', '\n'];
    let mut texts = vec![String::new()];
    for _ in 0..5 {
        texts = texts
            .iter()
            .flat_map(|text| {
                ALPHABET.iter().map(move |c| {
                    let mut longer = text.clone();
                    longer.push(*c);
                    longer
                })
            })
            .collect();
        texts.iter().for_each(|text| splits_as_the_reference(text));
    }
}

#[test]
fn the_linear_splitter_agrees_with_the_old_one_on_random_longer_texts() {
    const PIECES: [&str; 16] = [
        "a",
        "ann@example.com",
        "@",
        ".",
        "<",
        ">",
        "\"",
        "\\",
        ",",
        ";",
        " ",
        "\n",
        "\r\n",
        "\t",
        "é",
        "\u{3000}",
    ];
    // xorshift64: the same texts on every run.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let len = (next() % 40) as usize;
        let text: String = (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        splits_as_the_reference(&text);
    }
}
