//! Issue 14, parts 1 and 8, through the handlers: every request string has a maximum, checked
//! before any work; a paste is bounded in bytes and entries; pasted spellings of one mailbox are
//! one invitation.

use serde_json::{Value, json};
use tests::harness::Harness;

const ADMIN: &str = "ada@example.com";
const INVITEE: &str = "ann@example.com";

struct World {
    h: Harness,
    wg: String,
    invitation: String,
    token: String,
}

async fn world() -> World {
    let h = Harness::new();
    let wg = h.workgroup(ADMIN, "Acme IT").await;
    let (invitation, token) = h.invited(ADMIN, &wg, INVITEE, "associate").await;
    World {
        h,
        wg,
        invitation,
        token,
    }
}

/// Everything a refused request must leave as it was.
async fn snapshot(w: &World) -> (Vec<Value>, Vec<Value>, Value, usize) {
    (
        w.h.invitations(ADMIN, &w.wg).await,
        w.h.agents(ADMIN, &w.wg).await,
        w.h.get("/workgroups", ADMIN).await.body,
        w.h.mailer.sent().len(),
    )
}

impl World {
    async fn invite(&self, emails: Value) -> tests::harness::Answer {
        self.h
            .post(
                &format!("/workgroups/{}/invitations", self.wg),
                Some(ADMIN),
                json!({ "emails": emails, "role": "associate" }),
            )
            .await
    }
}

/// `ok@example.com` padded with spaces to `bytes` bytes.
fn padded(bytes: usize) -> String {
    format!(
        "ok@example.com{}",
        " ".repeat(bytes - "ok@example.com".len())
    )
}

#[tokio::test]
async fn a_paste_over_64_kib_is_refused_and_changes_nothing() {
    let w = world().await;
    let before = snapshot(&w).await;
    let cases = [
        (json!(padded(65_537)), "one string of 64 KiB and one byte"),
        (
            json!([padded(40_000), padded(25_537)]),
            "two strings of 64 KiB and one byte together",
        ),
        (
            json!("<".repeat(200 * 1024)),
            "200 KiB of angle brackets are not read",
        ),
    ];
    for (emails, case) in cases {
        let answer = w.invite(emails).await;
        let detail = answer.assert_problem(400);
        assert!(detail.contains("65536 bytes"), "{case}: {detail}");
    }
    assert_eq!(snapshot(&w).await, before);
}

#[tokio::test]
async fn a_paste_of_exactly_64_kib_is_read() {
    let w = world().await;
    for (emails, case) in [
        (json!(padded(65_536)), "one string"),
        (json!([padded(30_000), padded(35_536)]), "two strings"),
    ] {
        let answer = w.invite(emails).await;
        let results = answer.assert_ok(200)["results"].as_array().unwrap().clone();
        assert_eq!(results[0]["email"], "ok@example.com", "{case}");
    }
}

#[tokio::test]
async fn fifty_one_entries_are_refused_and_change_nothing() {
    let w = world().await;
    let before = snapshot(&w).await;
    let addresses: Vec<String> = (0..51).map(|i| format!("p{i}@example.com")).collect();
    let cases = [
        (json!(addresses.join(", ")), "51 addresses in one string"),
        (json!(addresses), "51 strings"),
        (
            json!(format!(
                "{} {}",
                addresses[..50].join(" "),
                "<".repeat(60_000)
            )),
            "50 addresses and a run of angle brackets",
        ),
    ];
    for (emails, case) in cases {
        let answer = w.invite(emails).await;
        let detail = answer.assert_problem(400);
        assert!(detail.contains("more than 50"), "{case}: {detail}");
    }
    assert_eq!(snapshot(&w).await, before);
}

#[tokio::test]
async fn sixty_kib_of_angle_brackets_is_answered_as_no_valid_address() {
    let w = world().await;
    let before = snapshot(&w).await;
    let answer = w.invite(json!("<".repeat(60 * 1024))).await;
    assert_eq!(
        answer.assert_problem(400),
        "no valid email address was given"
    );
    assert_eq!(snapshot(&w).await, before);

    // A stray `<` swallows nothing: the address after it is invited.
    let answer = w
        .invite(json!(format!("{} bob@example.com", "<".repeat(60 * 1024))))
        .await;
    let results = answer.assert_ok(200)["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["outcome"], "invalid_email");
    assert_eq!(results[1]["outcome"], "invited");
}

#[tokio::test]
async fn every_request_string_over_its_maximum_is_refused_before_any_work() {
    let w = world().await;
    let wg = w.wg.clone();
    let inv = format!("/workgroups/{wg}/invitations");
    let long_wg = format!("wg_{}", "0".repeat(62));
    let long_id = format!("inv_{}", "0".repeat(61));
    assert_eq!((long_wg.len(), long_id.len()), (65, 65));
    let over = |n: usize| "x".repeat(n + 1);
    let before = snapshot(&w).await;

    // (why, method, path, body, the maximum the detail names)
    let cases: Vec<(&str, &str, String, Option<Value>, usize)> = vec![
        (
            "workgroup name",
            "POST",
            "/workgroups".into(),
            Some(json!({ "name": over(100) })),
            100,
        ),
        (
            "workgroup name padded with spaces",
            "POST",
            "/workgroups".into(),
            Some(json!({ "name": format!(" {} ", "x".repeat(99)) })),
            100,
        ),
        (
            "workgroup locale",
            "POST",
            "/workgroups".into(),
            Some(json!({ "name": "Other", "locale": " en" })),
            2,
        ),
        (
            "invite role",
            "POST",
            inv.clone(),
            Some(json!({ "emails": "b@example.com", "role": over(13) })),
            13,
        ),
        (
            "invite locale",
            "POST",
            inv.clone(),
            Some(json!({ "emails": "b@example.com", "role": "associate", "locale": over(2) })),
            2,
        ),
        (
            "lookup token",
            "POST",
            "/invitations/lookup".into(),
            Some(json!({ "token": over(64) })),
            64,
        ),
        (
            "decline token",
            "POST",
            "/invitations/decline".into(),
            Some(json!({ "token": format!("{}{}", w.token, " ".repeat(22)) })),
            64,
        ),
        (
            "accept token",
            "POST",
            "/invitations/accept".into(),
            Some(json!({ "token": over(64), "name": "Ann" })),
            64,
        ),
        (
            "accept name",
            "POST",
            "/invitations/accept".into(),
            Some(json!({ "token": w.token, "name": over(100) })),
            100,
        ),
        (
            "agents cursor",
            "GET",
            format!("/workgroups/{wg}/agents?cursor={}", over(1024)),
            None,
            1024,
        ),
        (
            "invitations cursor",
            "GET",
            format!("{inv}?cursor={}", over(1024)),
            None,
            1024,
        ),
        (
            "events cursor",
            "GET",
            format!("/workgroups/{wg}/events?cursor={}", over(1024)),
            None,
            1024,
        ),
        (
            "workgroup id",
            "GET",
            format!("/workgroups/{long_wg}/agents"),
            None,
            64,
        ),
        (
            "workgroup id of an invite",
            "POST",
            format!("/workgroups/{long_wg}/invitations"),
            Some(json!({ "emails": "b@example.com", "role": "associate" })),
            64,
        ),
        ("invitation id", "GET", format!("{inv}/{long_id}"), None, 64),
        (
            "invitation id to cancel",
            "DELETE",
            format!("{inv}/{long_id}"),
            None,
            64,
        ),
        (
            "invitation id to resend",
            "POST",
            format!("{inv}/{long_id}/resend"),
            None,
            64,
        ),
    ];
    for (why, method, path, body, max) in cases {
        let as_email = (!path.ends_with("/lookup") && !path.ends_with("/decline")).then_some(ADMIN);
        let as_email = if why == "accept name" || why == "accept token" {
            Some(INVITEE)
        } else {
            as_email
        };
        let answer = w.h.call(method, &path, as_email, body).await;
        let detail = answer.assert_problem(400);
        assert!(
            detail.ends_with(&format!("must be at most {max} characters")),
            "{why}: {detail}"
        );
    }
    for (query, why) in [
        ("status=declinedx", "a status longer than any"),
        ("limit=0100", "a limit of four digits"),
    ] {
        let answer = w.h.get(&format!("{inv}?{query}"), ADMIN).await;
        answer.assert_problem(400);
        assert!(answer.body["detail"].as_str().is_some(), "{why}");
    }
    assert_eq!(snapshot(&w).await, before);
}

#[tokio::test]
async fn a_string_at_its_maximum_gets_past_the_bound() {
    let w = world().await;
    let name = "n".repeat(100);
    let created =
        w.h.post("/workgroups", Some(ADMIN), json!({ "name": name }))
            .await;
    assert_eq!(created.assert_ok(201)["name"], name);
    let unknown_token = "t".repeat(64);
    let answer =
        w.h.post(
            "/invitations/lookup",
            None,
            json!({ "token": unknown_token }),
        )
        .await;
    answer.assert_problem(404);
    let id_64 = format!("inv_{}", "0".repeat(60));
    let answer =
        w.h.get(&format!("/workgroups/{}/invitations/{id_64}", w.wg), ADMIN)
            .await;
    answer.assert_problem(404);
    let answer =
        w.h.get(
            &format!("/workgroups/{}/invitations/{}", w.wg, w.invitation),
            ADMIN,
        )
        .await;
    answer.assert_ok(200);

    // Paths arrive percent-encoded; the maximum counts the characters they encode.
    let encoded = |n: usize| "%C3%A9".repeat(n);
    let answer =
        w.h.get(&format!("/workgroups/{}/agents", encoded(64)), ADMIN)
            .await;
    assert_eq!(answer.assert_problem(404), "workgroup not found");
    let answer =
        w.h.get(&format!("/workgroups/{}/agents", encoded(65)), ADMIN)
            .await;
    assert_eq!(
        answer.assert_problem(400),
        "the workgroup id must be at most 64 characters"
    );
}

#[tokio::test]
async fn a_quoted_spelling_and_the_bare_address_are_one_invitation() {
    let w = world().await;
    let first = w.invite(json!("\"Bob\"@example.com")).await;
    let first = &first.assert_ok(200)["results"][0];
    assert_eq!(first["outcome"], "invited");
    assert_eq!(first["email"], "bob@example.com");

    let again = w.invite(json!("bob@example.com")).await;
    let again = &again.assert_ok(200)["results"][0];
    assert_eq!(again["outcome"], "resent");
    assert_eq!(again["invitation"]["id"], first["invitation"]["id"]);

    let both = w
        .invite(json!("\"carl\"@example.com, Carl@Example.com"))
        .await;
    let outcomes: Vec<&Value> = both.assert_ok(200)["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["outcome"])
        .collect();
    assert_eq!(outcomes, ["invited", "duplicate"]);

    let listed: Vec<Value> =
        w.h.invitations(ADMIN, &w.wg)
            .await
            .into_iter()
            .map(|i| i["email"].clone())
            .collect();
    assert_eq!(
        listed
            .iter()
            .filter(|e| *e == "bob@example.com" || *e == "carl@example.com")
            .count(),
        2,
        "one invitation each: {listed:?}"
    );
}

#[tokio::test]
async fn quoted_local_parts_that_could_name_another_address_are_invalid_entries() {
    let w = world().await;
    let pasted = [
        "\"eve@evil.example\"@example.com",
        "\"eve,bob\"@example.com",
        "\"eve;bob\"@example.com",
        "\"=?utf-8?q?eve=40evil.example?=\"@example.com",
        "=?utf-8?q?eve=40evil.example?=@example.com",
        "dan@example.com",
    ];
    let answer = w.invite(json!(pasted)).await;
    let results = answer.assert_ok(200)["results"].as_array().unwrap().clone();
    let outcomes: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["email"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    let expected: Vec<(&str, &str)> = pasted[..5]
        .iter()
        .map(|p| (*p, "invalid_email"))
        .chain([("dan@example.com", "invited")])
        .collect();
    assert_eq!(outcomes, expected);
    assert_eq!(
        w.h.mailer.sent().last().unwrap().to.as_str(),
        "dan@example.com"
    );
}
