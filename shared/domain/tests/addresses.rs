//! Addresses as people paste them: splitting, normalising, duplicates and limits.

use domain::address::{
    EmailAddress, MAX_PASTE_BYTES, PasteError, PastedEntry, parse_pasted, split_pasted,
};

const LIMIT: usize = 50;

/// An expected entry: valid and normalised, a repeat of an earlier one, or invalid as typed.
#[derive(Debug, Clone, Copy)]
enum E {
    V(&'static str),
    D(&'static str),
    I(&'static str),
}

impl E {
    fn entry(self) -> PastedEntry {
        let address = |text: &str| {
            EmailAddress::parse(text).unwrap_or_else(|e| panic!("bad expectation: {e}"))
        };
        match self {
            E::V(text) => PastedEntry::Valid(address(text)),
            E::D(text) => PastedEntry::Duplicate(address(text)),
            E::I(raw) => PastedEntry::Invalid(raw.to_owned()),
        }
    }
}

use E::{D, I, V};

fn pasted(input: &str) -> Result<Vec<PastedEntry>, PasteError> {
    parse_pasted(&[input], LIMIT)
}

#[test]
fn pasted_text_splits_into_entries_in_input_order() {
    let cases: &[(&str, &[E], &str)] = &[
        // one address
        (
            "ann@example.com",
            &[V("ann@example.com")],
            "a single address",
        ),
        (
            "  ann@example.com \t",
            &[V("ann@example.com")],
            "surrounding blanks",
        ),
        ("Ann@Example.COM", &[V("ann@example.com")], "mixed case"),
        (
            "ann.lee+tag@mail.example.co.uk",
            &[V("ann.lee+tag@mail.example.co.uk")],
            "dots, plus and a long domain",
        ),
        (
            "o'brien@example.ie",
            &[V("o'brien@example.ie")],
            "an apostrophe",
        ),
        (
            "a_b-c@ex-ample.org",
            &[V("a_b-c@ex-ample.org")],
            "underscore and hyphens",
        ),
        // separators
        (
            "ann@example.com,bob@example.com",
            &[V("ann@example.com"), V("bob@example.com")],
            "a comma",
        ),
        (
            "ann@example.com; bob@example.com",
            &[V("ann@example.com"), V("bob@example.com")],
            "a semicolon and a space",
        ),
        (
            "ann@example.com bob@example.com",
            &[V("ann@example.com"), V("bob@example.com")],
            "a space",
        ),
        (
            "ann@example.com\tbob@example.com",
            &[V("ann@example.com"), V("bob@example.com")],
            "a tab",
        ),
        (
            "ann@example.com\nbob@example.com",
            &[V("ann@example.com"), V("bob@example.com")],
            "a new line",
        ),
        (
            "ann@example.com\r\nbob@example.com\r\n",
            &[V("ann@example.com"), V("bob@example.com")],
            "CRLF line ends",
        ),
        (
            "ann@example.com,,bob@example.com;;carl@example.com",
            &[
                V("ann@example.com"),
                V("bob@example.com"),
                V("carl@example.com"),
            ],
            "doubled separators",
        ),
        (
            "ann@example.com ,; \n\tbob@example.com",
            &[V("ann@example.com"), V("bob@example.com")],
            "a run of mixed separators",
        ),
        (
            ",ann@example.com,",
            &[V("ann@example.com")],
            "leading and trailing commas",
        ),
        (
            ";\n\t ann@example.com \r\n;",
            &[V("ann@example.com")],
            "leading and trailing mixed separators",
        ),
        (
            "ann@example.com;bob@example.com,carl@example.com dan@example.com\nerin@example.com",
            &[
                V("ann@example.com"),
                V("bob@example.com"),
                V("carl@example.com"),
                V("dan@example.com"),
                V("erin@example.com"),
            ],
            "every separator at once",
        ),
        // duplicates
        (
            "ann@example.com, ANN@example.com",
            &[V("ann@example.com"), D("ann@example.com")],
            "a repeat differing by case",
        ),
        (
            "Ann@Example.com,ann@EXAMPLE.COM,ann@example.com",
            &[
                V("ann@example.com"),
                D("ann@example.com"),
                D("ann@example.com"),
            ],
            "three spellings of one mailbox",
        ),
        (
            "ann@bücher.example ann@xn--bcher-kva.example",
            &[
                V("ann@xn--bcher-kva.example"),
                D("ann@xn--bcher-kva.example"),
            ],
            "one domain in Unicode and in punycode",
        ),
        (
            "Ann Lee <ann@example.com>, ann@example.com",
            &[V("ann@example.com"), D("ann@example.com")],
            "a repeat once as a named address",
        ),
        // names
        (
            "Ann Lee <ann@example.com>",
            &[V("ann@example.com")],
            "a display name",
        ),
        (
            "<ann@example.com>",
            &[V("ann@example.com")],
            "angle brackets alone",
        ),
        (
            "\"Lee, Ann\" <ann@example.com>, bob@example.com",
            &[V("ann@example.com"), V("bob@example.com")],
            "a quoted display name holding a comma",
        ),
        (
            "Ann Lee <Ann@Example.com>; Bob Hill <bob@example.com>\nCarl <carl@example.com>",
            &[
                V("ann@example.com"),
                V("bob@example.com"),
                V("carl@example.com"),
            ],
            "a list copied from a mail client",
        ),
        (
            "Ann <ann@bücher.example>",
            &[V("ann@xn--bcher-kva.example")],
            "a display name and an internationalised domain",
        ),
        // quoted local parts
        (
            "\"ann lee\"@example.com",
            &[V("\"ann lee\"@example.com")],
            "a space inside quotes does not split",
        ),
        (
            "\"ann lee\"@example.com bob@example.com",
            &[V("\"ann lee\"@example.com"), V("bob@example.com")],
            "a quoted local part followed by another address",
        ),
        (
            "\"ann;lee,x\"@example.com bob@example.com",
            &[I("\"ann;lee,x\"@example.com"), V("bob@example.com")],
            "separators inside quotes do not split (and such an address is refused)",
        ),
        (
            "\"ann\"@example.com, ann@example.com",
            &[V("ann@example.com"), D("ann@example.com")],
            "needless quotes are one mailbox with the bare address",
        ),
        // internationalised domains
        (
            "ann@bücher.example",
            &[V("ann@xn--bcher-kva.example")],
            "a German domain",
        ),
        (
            "ann@BÜCHER.example",
            &[V("ann@xn--bcher-kva.example")],
            "an upper-case internationalised domain",
        ),
        (
            "taro@例え.jp",
            &[V("taro@xn--r8jz45g.jp")],
            "a Japanese domain",
        ),
        (
            "ivan@пример.рф",
            &[V("ivan@xn--e1afmkfd.xn--p1ai")],
            "a Cyrillic domain and top-level domain",
        ),
        // invalid entries keep their place
        (
            "ann@example.com, not-an-address, bob@example.com",
            &[
                V("ann@example.com"),
                I("not-an-address"),
                V("bob@example.com"),
            ],
            "an invalid entry in the middle",
        ),
        (
            "ann lee@example.com",
            &[I("ann"), V("lee@example.com")],
            "an unquoted space splits",
        ),
        (
            "ann@ bob@example.com @example.com",
            &[I("ann@"), V("bob@example.com"), I("@example.com")],
            "a missing domain and a missing local part",
        ),
        (
            "ann@example, bob@example.com",
            &[I("ann@example"), V("bob@example.com")],
            "a domain without a dot",
        ),
        (
            "ann@@example.com;bob@example.com",
            &[I("ann@@example.com"), V("bob@example.com")],
            "two @",
        ),
        (
            "ann@example..com bob@example.com",
            &[I("ann@example..com"), V("bob@example.com")],
            "an empty domain label",
        ),
        (
            "ann@example.com. bob@example.com",
            &[I("ann@example.com."), V("bob@example.com")],
            "a trailing dot",
        ),
        (
            "ann@[192.168.0.1] bob@example.com",
            &[I("ann@[192.168.0.1]"), V("bob@example.com")],
            "a domain literal",
        ),
        (
            "ann@example.123 bob@example.com",
            &[I("ann@example.123"), V("bob@example.com")],
            "a numeric top-level domain",
        ),
        (
            "jöhn@example.com bob@example.com",
            &[I("jöhn@example.com"), V("bob@example.com")],
            "a non-ASCII local part",
        ),
        (
            "ann@-example.com bob@example.com",
            &[I("ann@-example.com"), V("bob@example.com")],
            "a label starting with a hyphen",
        ),
        (
            "mailto:ann@example.com bob@example.com",
            &[I("mailto:ann@example.com"), V("bob@example.com")],
            "a mailto link",
        ),
        (
            "ann@example.com Bob <bob@example.com>",
            &[V("ann@example.com"), V("bob@example.com")],
            "an address followed by a named one on the same line",
        ),
        (
            "<ann@example.com> <bob@example.com>",
            &[V("ann@example.com"), V("bob@example.com")],
            "two bracketed addresses",
        ),
        (
            "Ann <>, bob@example.com",
            &[I("<>"), V("bob@example.com")],
            "empty brackets are echoed as they were typed",
        ),
        (
            "Ann <ann@example.com bob@example.com",
            &[I("Ann"), I("<ann@example.com"), V("bob@example.com")],
            "an unclosed angle bracket",
        ),
    ];
    assert!(cases.len() >= 40);
    for (input, expected, case) in cases {
        let expected: Vec<PastedEntry> = expected.iter().map(|e| e.entry()).collect();
        assert_eq!(pasted(input), Ok(expected), "{case}: {input:?}");
    }
}

#[test]
fn entries_of_several_strings_keep_the_order_of_the_strings() {
    let inputs = [
        "carl@example.com",
        "ann@example.com, bob@example.com",
        "not valid",
        "ANN@example.com",
    ];
    let expected: Vec<PastedEntry> = [
        V("carl@example.com"),
        V("ann@example.com"),
        V("bob@example.com"),
        I("not"),
        I("valid"),
        D("ann@example.com"),
    ]
    .iter()
    .map(|e| e.entry())
    .collect();
    assert_eq!(parse_pasted(&inputs, LIMIT), Ok(expected));
}

#[test]
fn an_address_of_254_characters_is_accepted_and_a_longer_one_refused() {
    let local = "l".repeat(64);
    let domain = |last: usize| {
        format!(
            "{}.{}.{}.com",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(last)
        )
    };
    let longest = format!("{local}@{}", domain(57));
    assert_eq!(longest.len(), 254);
    assert_eq!(EmailAddress::parse(&longest).unwrap().as_str(), longest);
    assert_eq!(
        pasted(&longest),
        Ok(vec![PastedEntry::Valid(
            EmailAddress::parse(&longest).unwrap()
        )])
    );

    let too_long = format!("{local}@{}", domain(58));
    assert_eq!(too_long.len(), 255);
    assert!(EmailAddress::parse(&too_long).is_err());
    assert_eq!(
        pasted(&format!("{too_long} ok@example.com")),
        Ok(vec![
            PastedEntry::Invalid(too_long.clone()),
            PastedEntry::Valid(EmailAddress::parse("ok@example.com").unwrap()),
        ])
    );
}

#[test]
fn a_local_part_of_64_characters_is_accepted_and_a_longer_one_refused() {
    let longest = format!("{}@example.com", "l".repeat(64));
    assert!(EmailAddress::parse(&longest).is_ok());
    let too_long = format!("{}@example.com", "l".repeat(65));
    assert!(EmailAddress::parse(&too_long).is_err());
    assert_eq!(
        pasted(&format!("{too_long},ok@example.com")).unwrap()[0],
        PastedEntry::Invalid(too_long)
    );
}

#[test]
fn an_internationalised_domain_too_long_once_in_punycode_is_refused() {
    // 60 characters of Unicode become more than 63 in punycode.
    let label = "ü".repeat(60);
    assert!(EmailAddress::parse(&format!("ann@{label}.example")).is_err());
}

#[test]
fn parsing_one_address_normalises_it() {
    let cases = [
        ("ann@example.com", "ann@example.com", "already normal"),
        ("  Ann@Example.COM\n", "ann@example.com", "blanks and case"),
        (
            "ann@bücher.example",
            "ann@xn--bcher-kva.example",
            "an internationalised domain",
        ),
        (
            "ann@xn--bcher-kva.example",
            "ann@xn--bcher-kva.example",
            "punycode already",
        ),
        (
            "\"Ann Lee\"@example.com",
            "\"ann lee\"@example.com",
            "a quoted local part",
        ),
        (
            "x@sub.sub.example.museum",
            "x@sub.sub.example.museum",
            "a long top-level domain",
        ),
    ];
    for (input, normalised, case) in cases {
        let address = EmailAddress::parse(input).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(address.as_str(), normalised, "{case}");
        assert_eq!(address.to_string(), normalised, "{case}");
    }
}

#[test]
fn parsing_one_address_refuses_what_cannot_be_invited() {
    let cases = [
        ("", "empty"),
        ("   ", "blank"),
        ("ann", "no @"),
        ("ann@", "no domain"),
        ("@example.com", "no local part"),
        ("ann@example", "a single-label domain"),
        ("ann@localhost", "localhost"),
        ("Ann <ann@example.com>", "a display name"),
        ("ann@[127.0.0.1]", "a domain literal"),
        ("ann@example.42", "a numeric top-level domain"),
        ("ann@192.168.0.1", "an IP address"),
        ("jöhn@example.com", "a non-ASCII local part"),
        ("ann lee@example.com", "an unquoted space"),
        ("\"<ann>\"@example.com", "angle brackets inside quotes"),
        (
            "\"<<  @\"@llC.Clll9.ll9.lAA.C.lllllC.Clll9.lAA.C.lll",
            "an angle bracket inside quotes (found by fuzzing)",
        ),
        ("ann@exa mple.com", "a space in the domain"),
        ("ann@example.com, bob@example.com", "two addresses"),
        (".ann@example.com", "a leading dot"),
        ("ann.@example.com", "a trailing dot in the local part"),
        ("ann..lee@example.com", "two dots in the local part"),
        ("ann@exam_ple.com", "an underscore in the domain"),
        (
            "ann@example.com\r\nBcc: eve@example.com",
            "a header injection",
        ),
    ];
    for (input, case) in cases {
        assert!(
            EmailAddress::parse(input).is_err(),
            "{case}: {input:?} should be refused"
        );
    }
}

#[test]
fn a_refused_address_names_the_input_briefly_and_says_why() {
    let long = format!("{}@", "x".repeat(300));
    let error = EmailAddress::parse(&long).unwrap_err();
    assert_eq!(error.input.chars().count(), 80);
    assert!(!error.reason.is_empty());
    let error = EmailAddress::parse("ann@example").unwrap_err();
    assert_eq!(error.input, "ann@example");
    assert!(error.to_string().contains("ann@example"));
}

#[test]
fn addresses_serialise_normalised_and_refuse_invalid_text() {
    let address: EmailAddress = serde_json::from_str("\"Ann@Bücher.example\"").unwrap();
    assert_eq!(address.as_str(), "ann@xn--bcher-kva.example");
    assert_eq!(
        serde_json::to_string(&address).unwrap(),
        "\"ann@xn--bcher-kva.example\""
    );
    assert!(serde_json::from_str::<EmailAddress>("\"not an address\"").is_err());
}

#[test]
fn an_address_stored_under_earlier_rules_reads_back_as_stored() {
    // Quoted local parts holding `;` or `,` were accepted before; the stores still hold some.
    for stored in [r#""ann;lee"@example.com"#, r#""a,b"@example.com"#] {
        let json = serde_json::to_string(stored).unwrap();
        let address: EmailAddress = serde_json::from_str(&json).unwrap();
        assert_eq!(address.as_str(), stored);
        assert!(
            EmailAddress::parse(stored).is_err(),
            "{stored} is refused as input"
        );
    }
    // Nothing else gets in that way.
    for text in [
        r#""<a>"@example.com"#,
        r#""Ann;Lee"@example.com"#,
        "\"a\r\n;b\"@example.com",
        r#""a;b"@"#,
        "a;b@example.com",
    ] {
        let json = serde_json::to_string(text).unwrap();
        assert!(
            serde_json::from_str::<EmailAddress>(&json).is_err(),
            "{text:?} was read back"
        );
    }
}

#[test]
fn the_local_part_is_the_text_before_the_last_at() {
    let cases = [
        ("ann@example.com", "ann"),
        ("\"a b\"@example.com", "\"a b\""),
        ("Ann.Lee@Example.com", "ann.lee"),
    ];
    for (input, local) in cases {
        assert_eq!(EmailAddress::parse(input).unwrap().local_part(), local);
    }
}

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
