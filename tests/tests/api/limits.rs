//! The daily quota of invitation emails per inviter and the workgroup's pending cap, through
//! the handlers on the embedded store: 429 problem+json with `Retry-After`, nothing changed,
//! counted atomically under concurrency; for the quota, invalid entries and duplicates free and
//! resends counted; for the cap, places freed by cancelling.

use chrono::TimeDelta;
use futures::future::join_all;
use serde_json::json;
use tests::harness::{Answer, Harness};

const ADA: &str = "ada@example.com";

fn harness(limit: u32) -> Harness {
    let mut h = Harness::new();
    h.app.settings.daily_invitations_per_inviter = limit;
    h
}

async fn invite(h: &Harness, wg: &str, emails: &str) -> Answer {
    h.post(
        &format!("/workgroups/{wg}/invitations"),
        Some(ADA),
        json!({ "emails": emails, "role": "associate" }),
    )
    .await
}

#[tokio::test]
async fn an_invite_past_the_daily_quota_is_refused_whole_and_changes_nothing() {
    let h = harness(3);
    let wg = h.workgroup(ADA, "Acme").await;
    invite(&h, &wg, "a@example.com, b@example.com")
        .await
        .assert_ok(200);
    let refused = invite(&h, &wg, "c@example.com, d@example.com").await;
    let detail = refused.assert_problem(429);
    assert!(detail.contains("daily limit of 3"), "{detail}");
    // The harness starts at 09:00 UTC: 15 hours to midnight.
    assert_eq!(refused.headers.get("retry-after").unwrap(), "54000");
    assert_eq!(h.mailer.sent().len(), 2);
    assert_eq!(h.invitations(ADA, &wg).await.len(), 2);
    // What is left can still be used; invalid entries and duplicates cost nothing.
    let last = invite(&h, &wg, "c@example.com, c@example.com, not an address").await;
    assert_eq!(last.assert_ok(200)["results"][0]["outcome"], "invited");
    assert!(invite(&h, &wg, "d@example.com").await.status == 429);
    // A new day, a new quota.
    h.clock.advance(TimeDelta::hours(15));
    invite(&h, &wg, "d@example.com").await.assert_ok(200);
}

#[tokio::test]
async fn addresses_that_need_no_email_are_given_back() {
    let h = harness(2);
    let wg = h.workgroup(ADA, "Acme").await;
    // Ada herself is an agent: no email, so the reservation for her is given back.
    let answer = invite(&h, &wg, &format!("{ADA}, b@example.com")).await;
    assert_eq!(
        answer.assert_ok(200)["results"][0]["outcome"],
        "already_agent"
    );
    invite(&h, &wg, "c@example.com").await.assert_ok(200);
    invite(&h, &wg, "d@example.com").await.assert_problem(429);
}

#[tokio::test]
async fn resends_count_against_the_quota() {
    let h = harness(2);
    let wg = h.workgroup(ADA, "Acme").await;
    let (id, _) = h.invited(ADA, &wg, "ann@example.com", "associate").await;
    let path = format!("/workgroups/{wg}/invitations/{id}/resend");
    let resend = || h.post(&path, Some(ADA), json!(null));
    resend().await.assert_ok(200);
    let refused = resend().await;
    refused.assert_problem(429);
    assert!(refused.headers.get("retry-after").is_some());
    assert_eq!(h.mailer.sent().len(), 2);
    // A resend that fails for another reason costs nothing.
    let h = harness(1);
    let wg = h.workgroup(ADA, "Acme").await;
    let missing = format!("/workgroups/{wg}/invitations/inv_{:032}/resend", 0);
    h.post(&missing, Some(ADA), json!(null))
        .await
        .assert_problem(404);
    invite(&h, &wg, "ann@example.com").await.assert_ok(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invites_never_overshoot_the_quota() {
    let h = harness(5);
    let wg = h.workgroup(ADA, "Acme").await;
    let emails: Vec<String> = (0..12).map(|i| format!("burst{i}@example.com")).collect();
    let answers = join_all(emails.iter().map(|email| invite(&h, &wg, email))).await;
    let accepted = answers.iter().filter(|a| a.status == 200).count();
    let refused = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!((accepted, refused), (5, 7), "{answers:?}");
    assert_eq!(h.mailer.sent().len(), 5);
    assert_eq!(h.invitations(ADA, &wg).await.len(), 5);
}

// --- the workgroup's pending cap ---------------------------------------------------------------

fn capped(limit: u32) -> Harness {
    let mut h = Harness::new();
    h.app.settings.pending_invitations_per_workgroup = limit;
    h
}

#[tokio::test]
async fn an_invite_past_the_pending_cap_is_refused_whole_with_retry_after() {
    let h = capped(2);
    let wg = h.workgroup(ADA, "Acme").await;
    invite(&h, &wg, "a@example.com").await.assert_ok(200);
    let refused = invite(&h, &wg, "b@example.com, c@example.com").await;
    let detail = refused.assert_problem(429);
    assert!(detail.contains("2 pending invitations"), "{detail}");
    assert_eq!(
        refused.body["type"],
        "/problems/too-many-pending-invitations"
    );
    assert_eq!(refused.headers.get("retry-after").unwrap(), "3600");
    assert_eq!(h.mailer.sent().len(), 1);
    assert_eq!(h.invitations(ADA, &wg).await.len(), 1);
    // Another workgroup has a cap of its own.
    let other = h.workgroup(ADA, "Other").await;
    invite(&h, &other, "b@example.com, c@example.com")
        .await
        .assert_ok(200);
    // A cancelled invitation frees its place.
    invite(&h, &wg, "b@example.com").await.assert_ok(200);
    invite(&h, &wg, "c@example.com").await.assert_problem(429);
    let first = h.invitations(ADA, &wg).await[1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancelled = h
        .call(
            "DELETE",
            &format!("/workgroups/{wg}/invitations/{first}"),
            Some(ADA),
            None,
        )
        .await;
    assert_eq!(cancelled.status, 204);
    invite(&h, &wg, "c@example.com").await.assert_ok(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invites_never_pass_the_pending_cap() {
    let h = capped(5);
    let wg = h.workgroup(ADA, "Acme").await;
    let emails: Vec<String> = (0..12).map(|i| format!("burst{i}@example.com")).collect();
    let answers = join_all(emails.iter().map(|email| invite(&h, &wg, email))).await;
    let accepted = answers.iter().filter(|a| a.status == 200).count();
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert_eq!((accepted, refused.len()), (5, 7), "{answers:?}");
    for answer in refused {
        assert_eq!(
            answer.body["type"], "/problems/too-many-pending-invitations",
            "{answer:?}"
        );
    }
    assert_eq!(h.mailer.sent().len(), 5);
    assert_eq!(h.invitations(ADA, &wg).await.len(), 5);
}
