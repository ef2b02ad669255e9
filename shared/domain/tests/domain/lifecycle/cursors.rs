//! The invitation lifecycle: cursors.

use super::*;

const SCOPE: &str = "invitations:wg_00000000000000000000000000000001:any";

#[test]
fn a_cursor_opens_to_the_position_it_was_sealed_with() {
    let key = key();
    for position in [
        "",
        "2025-03-01T09:00:00Z#inv_1",
        "a.b.c",
        "ünïcødé",
        &"x".repeat(500),
    ] {
        let cursor = key.seal_cursor(SCOPE, position);
        assert_eq!(key.open_cursor(SCOPE, &cursor).as_deref(), Ok(position));
    }
}

#[test]
fn a_cursor_is_refused_anywhere_but_where_it_was_sealed() {
    let key = key();
    let position = "2025-03-01T09:00:00Z#inv_1";
    let cursor = key.seal_cursor(SCOPE, position);
    let (sealed_position, tag) = cursor.split_once('.').unwrap();
    let mut flipped_tag = tag.to_owned();
    let first = flipped_tag.remove(0);
    flipped_tag.insert(0, if first == 'A' { 'B' } else { 'A' });

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "invitations:wg_00000000000000000000000000000002:any",
            cursor.clone(),
            "another workgroup",
        ),
        (
            "invitations:wg_00000000000000000000000000000001:pending",
            cursor.clone(),
            "another status filter",
        ),
        (
            "agents:wg_00000000000000000000000000000001",
            cursor.clone(),
            "another list",
        ),
        (
            SCOPE,
            format!("{}.{tag}", B64.encode("2025-03-01T09:00:00Z#inv_2")),
            "a modified position",
        ),
        (
            SCOPE,
            format!("{sealed_position}.{flipped_tag}"),
            "a modified tag",
        ),
        (
            SCOPE,
            cursor[..cursor.len() - 1].to_owned(),
            "truncated by one",
        ),
        (
            SCOPE,
            cursor[..cursor.len() - 4].to_owned(),
            "truncated by four",
        ),
        (SCOPE, format!("{sealed_position}."), "without its tag"),
        (SCOPE, sealed_position.to_owned(), "without its dot and tag"),
        (SCOPE, format!(".{tag}"), "without its position"),
        (SCOPE, format!("{cursor}AAAA"), "lengthened"),
        (SCOPE, format!("{cursor}.{tag}"), "a second tag"),
        (SCOPE, String::new(), "empty"),
        (SCOPE, "garbage".to_owned(), "garbage"),
        (SCOPE, "!!!.???".to_owned(), "not base64"),
        (
            SCOPE,
            SecretKey::from_bytes([9; 32]).seal_cursor(SCOPE, position),
            "sealed with another key",
        ),
    ];
    for (scope, cursor, case) in cases {
        assert_eq!(key.open_cursor(scope, &cursor), Err(BadCursor), "{case}");
    }
}
