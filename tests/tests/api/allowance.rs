//! The inviter's allowance through the handlers on the embedded store:
//! `GET /workgroups/{wg}/allowance` tells administrators and managers how many addresses one
//! request may carry and how many invitation emails they may still send today, the lower of
//! their two daily limits, and moves as they send; others are refused as for inviting.

use chrono::TimeDelta;
use domain::mailer::MailFailure;
use serde_json::{Value, json};
use tests::harness::Harness;

const ADA: &str = "ada@example.com";

async fn allowance(h: &Harness, who: &str, wg: &str) -> Value {
    h.get(&format!("/workgroups/{wg}/allowance"), who)
        .await
        .assert_ok(200)
        .clone()
}

async fn remaining(h: &Harness, who: &str, wg: &str) -> u64 {
    allowance(h, who, wg).await["remaining_today"]
        .as_u64()
        .expect("a count")
}

/// Harness time is 09:00 UTC: the counts start over at the next midnight.
const MIDNIGHT: &str = "2026-11-23T00:00:00Z";

#[tokio::test]
async fn the_allowance_shows_the_limits_and_goes_down_by_the_emails_sent() {
    let mut h = Harness::new();
    h.app.settings.max_addresses_per_request = 20;
    h.app.settings.daily_invitations_per_inviter = 10;
    h.app.settings.daily_invitations_per_inviter_overall = 15;
    let wg = h.workgroup(ADA, "Acme").await;
    assert_eq!(
        allowance(&h, ADA, &wg).await,
        json!({ "max_addresses": 20, "remaining_today": 10, "resets_at": MIDNIGHT })
    );

    // Three emails; an invalid entry and a duplicate cost nothing.
    h.invite(
        ADA,
        &wg,
        json!("a@example.com, b@example.com, c@example.com, nope, a@example.com"),
        "associate",
    )
    .await;
    assert_eq!(remaining(&h, ADA, &wg).await, 7);
    // A manager's allowance is their own, and so is the email that made them one.
    h.member(ADA, &wg, "mia@example.com", "manager").await;
    assert_eq!(remaining(&h, ADA, &wg).await, 6);
    assert_eq!(remaining(&h, "mia@example.com", &wg).await, 10);

    // Eight from another workgroup: Ada's limit across all of them (15) binds in both.
    let other = h.workgroup(ADA, "Other").await;
    let eight: Vec<String> = (0..8).map(|n| format!("o{n}@example.com")).collect();
    h.invite(ADA, &other, json!(eight), "associate").await;
    assert_eq!(remaining(&h, ADA, &other).await, 2, "10 - 8 in it");
    assert_eq!(remaining(&h, ADA, &wg).await, 3, "15 - 12 overall");

    // What it says is what an invite gets: three more go out, a fourth is refused.
    h.invite(
        ADA,
        &wg,
        json!("d@example.com, e@example.com, f@example.com"),
        "associate",
    )
    .await;
    assert_eq!(remaining(&h, ADA, &wg).await, 0);
    h.post(
        &format!("/workgroups/{wg}/invitations"),
        Some(ADA),
        json!({ "emails": "g@example.com", "role": "associate" }),
    )
    .await
    .assert_problem(429);
    assert_eq!(remaining(&h, ADA, &wg).await, 0, "a refusal counts nothing");

    // A limit lowered under what is counted shows 0, never less.
    h.app.settings.daily_invitations_per_inviter_overall = 5;
    assert_eq!(remaining(&h, ADA, &wg).await, 0);

    // The next UTC day starts over.
    h.clock.advance(TimeDelta::hours(15));
    assert_eq!(
        allowance(&h, ADA, &wg).await,
        json!({ "max_addresses": 20, "remaining_today": 5, "resets_at": "2026-11-24T00:00:00Z" })
    );
}

#[tokio::test]
async fn an_email_the_mail_service_refuses_for_good_is_given_back() {
    let mut h = Harness::new();
    h.app.settings.daily_invitations_per_inviter = 4;
    let wg = h.workgroup(ADA, "Acme").await;
    h.mailer.fail_as(Some(MailFailure::Refused));
    h.invite(ADA, &wg, json!("a@example.com"), "associate")
        .await;
    h.mailer.fail_as(None);
    assert_eq!(remaining(&h, ADA, &wg).await, 4);
    h.invite(ADA, &wg, json!("b@example.com"), "associate")
        .await;
    assert_eq!(remaining(&h, ADA, &wg).await, 3);
}

#[tokio::test]
async fn only_those_who_may_invite_read_it_and_strangers_learn_nothing() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    let other = h.workgroup("olga@example.com", "Other").await;
    h.member(ADA, &wg, "mia@example.com", "manager").await;
    h.member(ADA, &wg, "al@example.com", "associate").await;
    h.member(ADA, &wg, "ina@example.com", "inactive").await;

    for who in [ADA, "mia@example.com"] {
        allowance(&h, who, &wg).await;
    }
    for who in ["al@example.com", "ina@example.com"] {
        let detail = h
            .get(&format!("/workgroups/{wg}/allowance"), who)
            .await
            .assert_problem(403)
            .to_owned();
        assert!(detail.contains("invite"), "{detail}");
    }
    // Not a member, or no such workgroup: the same 404, revealing nothing.
    let stranger = h.get(&format!("/workgroups/{other}/allowance"), ADA).await;
    let unknown = h.get("/workgroups/wg_nonsense/allowance", ADA).await;
    assert_eq!(stranger.assert_problem(404), unknown.assert_problem(404));
    h.call("GET", &format!("/workgroups/{wg}/allowance"), None, None)
        .await
        .assert_problem(401);
}
