//! `Idempotency-Key` on invite and resend, through the handlers with API Gateway events: a
//! retry gets the first answer and sends no second email; the same key with another request
//! is a 422; keys are per caller; a malformed key is a 400 that changes nothing.

use futures::future::join_all;
use serde_json::{Value, json};
use tests::harness::{Answer, Harness, api_gateway_event};

const ADA: &str = "ada@example.com";
const ALICE: &str = "alice@example.com";

fn with_key(mut event: Value, key: &str) -> Value {
    event["headers"]["idempotency-key"] = json!(key);
    event
}

fn invite_event(wg: &str, by: &str, emails: Value, role: &str) -> Value {
    api_gateway_event(
        "POST",
        &format!("/workgroups/{wg}/invitations"),
        Some(by),
        Some(json!({ "emails": emails, "role": role })),
    )
}

fn replayed(answer: &Answer) -> bool {
    answer.headers.get("idempotent-replayed").is_some()
}

#[tokio::test]
async fn a_retried_invite_gets_the_first_answer_and_sends_no_second_email() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    let event = with_key(
        invite_event(
            &wg,
            ADA,
            json!("ann@example.com, bob@example.com"),
            "manager",
        ),
        "invite-7f3a",
    );
    let first = h.send_event(&event).await;
    first.assert_ok(200);
    assert!(!replayed(&first));
    assert_eq!(h.mailer.sent().len(), 2);

    let again = h.send_event(&event).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body, "the very same answer");
    assert!(replayed(&again));
    assert_eq!(h.mailer.sent().len(), 2, "no second email");

    // The same body re-serialised (other spacing and key order) is the same request.
    let mut reordered = event.clone();
    reordered["body"] =
        json!(r#"{ "role": "manager",  "emails": "ann@example.com, bob@example.com" }"#);
    assert!(replayed(&h.send_event(&reordered).await));

    // Another request under the same key is refused, and changes nothing.
    let other = with_key(
        invite_event(&wg, ADA, json!("cy@example.com"), "manager"),
        "invite-7f3a",
    );
    let refused = h.send_event(&other).await;
    refused.assert_problem(422);
    assert_eq!(h.mailer.sent().len(), 2);
    assert_eq!(h.invitations(ADA, &wg).await.len(), 2);

    // Without a key, or with a new one, the invite runs again (a resend of both).
    let rerun = h
        .send_event(&with_key(
            invite_event(
                &wg,
                ADA,
                json!("ann@example.com, bob@example.com"),
                "manager",
            ),
            "invite-8b21",
        ))
        .await;
    assert!(!replayed(&rerun));
    assert_eq!(h.mailer.sent().len(), 4);
}

#[tokio::test]
async fn keys_belong_to_one_caller() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    h.member(ADA, &wg, ALICE, "administrator").await;
    let sent_before = h.mailer.sent().len();
    let ada = h
        .send_event(&with_key(
            invite_event(&wg, ADA, json!("ann@example.com"), "associate"),
            "k1",
        ))
        .await;
    ada.assert_ok(200);
    // Alice's request under the same key string is hers: it runs (a resend to Ann).
    let alice = h
        .send_event(&with_key(
            invite_event(&wg, ALICE, json!("ann@example.com"), "associate"),
            "k1",
        ))
        .await;
    alice.assert_ok(200);
    assert!(!replayed(&alice));
    assert_eq!(alice.body["results"][0]["outcome"], "resent");
    assert_eq!(h.mailer.sent().len(), sent_before + 2);
}

#[tokio::test]
async fn a_retried_resend_sends_once() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    let (id, _) = h.invited(ADA, &wg, "ann@example.com", "associate").await;
    let event = with_key(
        api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations/{id}/resend"),
            Some(ADA),
            None,
        ),
        "resend-1",
    );
    let answers = join_all((0..5).map(|_| h.send_event(&event))).await;
    let ok: Vec<&Answer> = answers.iter().filter(|a| a.status == 200).collect();
    assert!(!ok.is_empty(), "{answers:?}");
    for answer in &answers {
        assert!(
            answer.status == 200 || answer.status == 409,
            "a retry either replays or is told to wait: {answer:?}"
        );
        if answer.status == 409 {
            assert_eq!(answer.headers.get("retry-after").unwrap(), "1");
        }
    }
    assert_eq!(
        h.mailer.sent().len(),
        2,
        "the invitation and exactly one resend"
    );
    assert!(ok.iter().all(|a| a.body == ok[0].body));
}

#[tokio::test]
async fn a_malformed_key_is_refused_and_changes_nothing() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    for key in ["", &"k".repeat(256), "café"] {
        let answer = h
            .send_event(&with_key(
                invite_event(&wg, ADA, json!("ann@example.com"), "associate"),
                key,
            ))
            .await;
        answer.assert_problem(400);
    }
    assert!(h.mailer.sent().is_empty());
    assert!(h.invitations(ADA, &wg).await.is_empty());
}

#[tokio::test]
async fn a_key_is_kept_only_for_someone_who_may_send_invitations_there() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    h.member(ADA, &wg, "cy@example.com", "associate").await;
    let made_up = "wg_0123456789abcdef0123456789abcdef";
    for n in 0..20 {
        let key = format!("key-{n}");
        let stranger = with_key(
            invite_event(made_up, ALICE, json!("ann@example.com"), "manager"),
            &key,
        );
        h.send_event(&stranger).await.assert_problem(404);
        let outsider = with_key(
            invite_event(&wg, ALICE, json!("ann@example.com"), "manager"),
            &key,
        );
        h.send_event(&outsider).await.assert_problem(404);
        let associate = with_key(
            invite_event(&wg, "cy@example.com", json!("ann@example.com"), "manager"),
            &key,
        );
        h.send_event(&associate).await.assert_problem(403);
    }
    assert_eq!(h.app.store.idempotency_key_count().await.unwrap(), 0);
    assert!(h.invitations(ADA, &wg).await.is_empty());
}

#[tokio::test]
async fn keys_past_their_window_are_forgotten() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    let first = with_key(
        invite_event(&wg, ADA, json!("ann@example.com"), "manager"),
        "k1",
    );
    h.send_event(&first).await.assert_ok(200);
    assert_eq!(h.app.store.idempotency_key_count().await.unwrap(), 1);
    h.clock.advance(chrono::TimeDelta::hours(25));
    let second = with_key(
        invite_event(&wg, ADA, json!("bob@example.com"), "manager"),
        "k2",
    );
    h.send_event(&second).await.assert_ok(200);
    assert_eq!(
        h.app.store.idempotency_key_count().await.unwrap(),
        1,
        "the first key, a day old, was forgotten"
    );
}
