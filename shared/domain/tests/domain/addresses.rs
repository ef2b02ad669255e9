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

mod pasting;

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
