//! The limits no one can dodge by creating workgroups, through the handlers on the embedded
//! store: invitation emails per inviter across every workgroup, per recipient whoever sends
//! them, workgroups created per person; each a 429 problem+json with `Retry-After` that changes
//! nothing, exact under twenty concurrent requests; and quotas charged only for emails the
//! mail service took.

use chrono::TimeDelta;
use domain::mailer::MailFailure;
use futures::future::join_all;
use serde_json::json;
use tests::harness::{Answer, Harness};

const ADA: &str = "ada@example.com";

async fn invite(h: &Harness, by: &str, wg: &str, emails: &str) -> Answer {
    h.post(
        &format!("/workgroups/{wg}/invitations"),
        Some(by),
        json!({ "emails": emails, "role": "associate" }),
    )
    .await
}

fn count(answers: &[Answer], status: u16) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

/// Asserts every refusal is the limit's 429 problem of `kind`, with a wait until midnight.
fn assert_refused_by(answers: &[Answer], kind: &str) {
    for answer in answers
        .iter()
        .filter(|a| a.status != 200 && a.status != 201)
    {
        answer.assert_problem(429);
        assert_eq!(
            answer.body["type"],
            format!("/problems/{kind}"),
            "{answer:?}"
        );
        // The harness starts at 09:00 UTC: 15 hours to midnight.
        assert_eq!(answer.headers.get("retry-after").unwrap(), "54000");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_workgroup_creations_make_exactly_the_daily_limit() {
    let mut h = Harness::new();
    h.app.settings.daily_workgroups_per_person = 3;
    let answers = join_all((0..20).map(|n| {
        h.post(
            "/workgroups",
            Some(ADA),
            json!({ "name": format!("FREE PRIZE claim at https://evil.example/{n}") }),
        )
    }))
    .await;
    assert_eq!((count(&answers, 201), count(&answers, 429)), (3, 17));
    assert_refused_by(&answers, "too-many-workgroups");
    let mine = h.get("/workgroups", ADA).await;
    assert_eq!(mine.assert_ok(200)["items"].as_array().unwrap().len(), 3);
    // Someone else's limit is their own, and a new day starts over.
    h.workgroup("bea@example.com", "Bea's").await;
    h.clock.advance(TimeDelta::hours(15));
    h.workgroup(ADA, "Tomorrow's").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_inviters_daily_limit_holds_across_all_their_workgroups() {
    let mut h = Harness::new();
    h.app.settings.daily_invitations_per_inviter_overall = 10;
    let mut workgroups = Vec::new();
    for n in 0..5 {
        workgroups.push(h.workgroup(ADA, &format!("Group {n}")).await);
    }
    // Twenty invites of one new address each, spread over five workgroups: ten go out.
    let answers = join_all((0..20).map(|n| {
        let wg = workgroups[n % 5].clone();
        let h = &h;
        async move { invite(h, ADA, &wg, &format!("target{n}@example.com")).await }
    }))
    .await;
    assert_eq!((count(&answers, 200), count(&answers, 429)), (10, 10));
    assert_refused_by(&answers, "too-many-invitations");
    let detail = answers.iter().find(|a| a.status == 429).unwrap().body["detail"].clone();
    assert!(
        detail.as_str().unwrap().contains("all workgroups together"),
        "{detail}"
    );
    assert_eq!(h.mailer.sent().len(), 10);
    let mut invited = 0;
    for wg in &workgroups {
        invited += h.invitations(ADA, wg).await.len();
    }
    assert_eq!(invited, 10, "a refused request changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_address_receives_at_most_its_daily_limit_whoever_sends() {
    let mut h = Harness::new();
    h.app.settings.daily_invitations_per_recipient = 5;
    let mut senders = Vec::new();
    for n in 0..20 {
        let admin = format!("admin{n}@example.com");
        let wg = h.workgroup(&admin, &format!("Shop {n}")).await;
        senders.push((admin, wg));
    }
    let answers = join_all(
        senders
            .iter()
            .map(|(admin, wg)| invite(&h, admin, wg, "target@example.com")),
    )
    .await;
    assert_eq!((count(&answers, 200), count(&answers, 429)), (5, 15));
    assert_refused_by(&answers, "too-many-invitations");
    let detail = answers.iter().find(|a| a.status == 429).unwrap().body["detail"].clone();
    assert!(
        detail.as_str().unwrap().contains("target@example.com"),
        "{detail}"
    );
    let received = h
        .mailer
        .sent()
        .iter()
        .filter(|email| email.to.as_str() == "target@example.com")
        .count();
    assert_eq!(received, 5);
    // A pasted list holding that address is refused whole: its other addresses get nothing.
    let (admin, wg) = &senders[0];
    let mixed = invite(&h, admin, wg, "other@example.com, target@example.com").await;
    mixed.assert_problem(429);
    assert!(
        h.mailer
            .sent()
            .iter()
            .all(|email| email.to.as_str() != "other@example.com")
    );
    h.clock.advance(TimeDelta::hours(15));
    invite(&h, admin, wg, "target@example.com")
        .await
        .assert_ok(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invites_of_one_address_charge_only_the_emails_sent() {
    let mut h = Harness::new();
    h.app.settings.daily_invitations_per_inviter = 60;
    h.app.settings.daily_invitations_per_recipient = 60;
    let wg = h.workgroup(ADA, "Acme").await;
    let answers = join_all((0..50).map(|_| invite(&h, ADA, &wg, "ann@example.com"))).await;
    assert_eq!(count(&answers, 200), 50, "{answers:?}");
    let sent = h.mailer.sent().len();
    assert!((1..=50).contains(&sent));
    // Exactly what was sent was charged: what is left of 60 can all be used, and no more.
    let rest: Vec<String> = (0..60 - sent)
        .map(|n| format!("new{n}@example.com"))
        .collect();
    invite(&h, ADA, &wg, &rest[..rest.len().min(50)].join(","))
        .await
        .assert_ok(200);
    if rest.len() > 50 {
        invite(&h, ADA, &wg, &rest[50..].join(","))
            .await
            .assert_ok(200);
    }
    invite(&h, ADA, &wg, "one-too-many@example.com")
        .await
        .assert_problem(429);
    assert_eq!(h.mailer.sent().len(), 60);
}

#[tokio::test]
async fn emails_the_mail_service_refused_for_good_cost_no_quota() {
    let mut h = Harness::new();
    h.app.settings.daily_invitations_per_inviter = 2;
    h.app.settings.daily_invitations_per_recipient = 1;
    let wg = h.workgroup(ADA, "Acme").await;
    h.mailer.fail_as(Some(MailFailure::Refused));
    let answer = invite(&h, ADA, &wg, "ann@example.com, bob@example.com").await;
    let results = answer.assert_ok(200)["results"].clone();
    assert_eq!(
        results[0]["invitation"]["delivery"], "queued",
        "answered first"
    );
    let listed = h.invitations(ADA, &wg).await;
    assert!(
        listed.iter().all(|i| i["delivery"] == "failed"),
        "{listed:?}"
    );
    h.mailer.fail_as(None);
    // Both emails still fit in the inviter's two and each recipient's one.
    invite(&h, ADA, &wg, "ann@example.com, bob@example.com")
        .await
        .assert_ok(200);
    assert_eq!(h.mailer.sent().len(), 2);
    invite(&h, ADA, &wg, "cy@example.com")
        .await
        .assert_problem(429);
}

#[tokio::test]
async fn a_resend_of_an_email_not_yet_handed_over_gives_back_the_first() {
    let mut h = Harness::new();
    h.app.settings.daily_invitations_per_inviter = 2;
    let wg = h.workgroup(ADA, "Acme").await;
    // SES cannot be reached: the email stays owed, and counted, for its next attempt.
    h.mailer.fail(true);
    let results = h
        .invite(ADA, &wg, json!("ann@example.com"), "associate")
        .await;
    let id = results[0]["invitation"]["id"].as_str().unwrap().to_owned();
    h.mailer.fail(false);
    // The resend replaces it: the first will never go out, so it is given back.
    h.post(
        &format!("/workgroups/{wg}/invitations/{id}/resend"),
        Some(ADA),
        json!(null),
    )
    .await
    .assert_ok(200);
    assert_eq!(h.mailer.sent().len(), 1);
    invite(&h, ADA, &wg, "bob@example.com").await.assert_ok(200);
    invite(&h, ADA, &wg, "cy@example.com")
        .await
        .assert_problem(429);
}

#[tokio::test]
async fn a_re_invite_at_the_pending_cap_is_a_resend() {
    let mut h = Harness::new();
    h.app.settings.pending_invitations_per_workgroup = 2;
    let wg = h.workgroup(ADA, "Acme").await;
    invite(&h, ADA, &wg, "ann@example.com, bob@example.com")
        .await
        .assert_ok(200);
    invite(&h, ADA, &wg, "cy@example.com")
        .await
        .assert_problem(429);
    let again = invite(&h, ADA, &wg, "ann@example.com").await;
    assert_eq!(again.assert_ok(200)["results"][0]["outcome"], "resent");
    assert_eq!(h.mailer.sent().len(), 3);
    // Still at the cap: a new address is refused, and so is a list that holds one.
    invite(&h, ADA, &wg, "ann@example.com, cy@example.com")
        .await
        .assert_problem(429);
    assert_eq!(h.invitations(ADA, &wg).await.len(), 2);
    assert_eq!(h.mailer.sent().len(), 3);
}
