//! The seed story of the source articles, end to end through the HTTP handlers.

use chrono::{DateTime, TimeDelta};
use domain::clock::Clock;
use serde_json::json;
use tests::harness::Harness;

const ADMIN: &str = "ada@example.com";
const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";

fn time(value: &serde_json::Value) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time string")).expect("RFC 3339")
}

#[tokio::test]
async fn an_administrator_invites_two_managers_and_one_joins_while_the_other_declines() {
    let h = Harness::new();

    let created = h
        .post("/workgroups", Some(ADMIN), json!({ "name": "Acme IT" }))
        .await;
    let created = created.assert_ok(201);
    assert_eq!(created["name"], "Acme IT");
    assert_eq!(created["role"], "administrator");
    let wg = created["id"].as_str().unwrap().to_owned();

    // Two addresses pasted in one string, as a person would.
    let results = h
        .invite(
            ADMIN,
            &wg,
            json!("Ann@Example.com, bob@example.com"),
            "manager",
        )
        .await;
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["email"], ANN, "addresses are normalised");
    assert_eq!(results[0]["outcome"], "invited");
    assert_eq!(results[1]["email"], BOB);
    assert_eq!(results[1]["outcome"], "invited");
    assert_eq!(h.mailer.sent().len(), 2, "one email per invitee");

    // The Invited tab: both pending, expiring 30 days after they were sent.
    let pending = h
        .get(
            &format!("/workgroups/{wg}/invitations?status=pending"),
            ADMIN,
        )
        .await;
    let items = pending.assert_ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    for item in &items {
        assert_eq!(item["status"], "pending");
        assert_eq!(item["role"], "manager");
        assert_eq!(item["delivery"], "sent");
        assert_eq!(item["invited_by"]["email"], ADMIN);
        assert_eq!(
            time(&item["expires_at"]) - time(&item["sent_at"]),
            TimeDelta::days(30)
        );
    }

    // Ann opens her link: she has to register.
    let ann_token = h.token_for(ANN);
    let preview = h
        .post("/invitations/lookup", None, json!({ "token": ann_token }))
        .await;
    let preview = preview.assert_ok(200);
    assert_eq!(preview["workgroup"]["name"], "Acme IT");
    assert_eq!(preview["role"], "manager");
    assert_eq!(preview["registration_needed"], true);

    let accepted = h
        .post(
            "/invitations/accept",
            Some(ANN),
            json!({ "token": ann_token, "name": "Ann Lee" }),
        )
        .await;
    let accepted = accepted.assert_ok(200);
    assert_eq!(accepted["workgroup"]["id"], wg.as_str());
    assert_eq!(accepted["workgroup"]["role"], "manager");
    assert_eq!(accepted["agent"]["name"], "Ann Lee");

    // Bob declines without registering; the row stays, marked declined.
    let bob_token = h.token_for(BOB);
    let declined = h
        .post("/invitations/decline", None, json!({ "token": bob_token }))
        .await;
    assert_eq!(declined.assert_ok(200)["status"], "declined");
    let listed = h.invitations(ADMIN, &wg).await;
    assert_eq!(listed.len(), 1, "Ann's accepted invitation left the list");
    assert_eq!(listed[0]["email"], BOB);
    assert_eq!(listed[0]["status"], "declined");
    h.post("/invitations/lookup", None, json!({ "token": bob_token }))
        .await
        .assert_problem(404);

    // The administrator resends it: pending again, with a new link.
    let bob_id = listed[0]["id"].as_str().unwrap().to_owned();
    h.clock.advance(TimeDelta::days(3));
    let resent = h
        .post(
            &format!("/workgroups/{wg}/invitations/{bob_id}/resend"),
            Some(ADMIN),
            json!({}),
        )
        .await;
    let resent = resent.assert_ok(200);
    assert_eq!(resent["status"], "pending");
    assert_eq!(
        time(&resent["expires_at"]) - time(&resent["sent_at"]),
        TimeDelta::days(30)
    );
    let new_token = h.token_for(BOB);
    assert_ne!(new_token, bob_token);
    h.post("/invitations/lookup", None, json!({ "token": new_token }))
        .await
        .assert_ok(200);

    // Then cancels it: gone from the list, and its link is dead.
    let cancelled = h
        .call(
            "DELETE",
            &format!("/workgroups/{wg}/invitations/{bob_id}"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(cancelled.status, 204);
    assert!(h.invitations(ADMIN, &wg).await.is_empty());
    h.post("/invitations/lookup", None, json!({ "token": new_token }))
        .await
        .assert_problem(404);

    // The All tab: the administrator and Ann, with her role.
    let agents = h.agents(ANN, &wg).await;
    let summary: Vec<(String, String, String)> = agents
        .iter()
        .map(|a| {
            (
                a["email"].as_str().unwrap().to_owned(),
                a["name"].as_str().unwrap().to_owned(),
                a["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                ADMIN.to_owned(),
                "ada".to_owned(),
                "administrator".to_owned()
            ),
            (ANN.to_owned(), "Ann Lee".to_owned(), "manager".to_owned()),
        ]
    );

    // Ann sees the workgroup among hers, with her role there.
    let mine = h.get("/workgroups", ANN).await;
    let mine = mine.assert_ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["role"], "manager");
}

#[tokio::test]
async fn a_second_workgroup_only_adds_a_membership_with_its_own_role() {
    let h = Harness::new();
    let first = h.workgroup(ADMIN, "First").await;
    let second = h.workgroup(ADMIN, "Second").await;
    h.member(ADMIN, &first, ANN, "manager").await;

    let (_, token) = h.invited(ADMIN, &second, ANN, "associate").await;
    let preview = h
        .post("/invitations/lookup", None, json!({ "token": token }))
        .await;
    assert_eq!(preview.assert_ok(200)["registration_needed"], false);
    let accepted = h
        .post("/invitations/accept", Some(ANN), json!({ "token": token }))
        .await;
    assert_eq!(
        accepted.assert_ok(200)["agent"]["name"],
        "ann",
        "the registered name is kept"
    );

    let mine = h.get("/workgroups", ANN).await;
    let roles: Vec<(String, String)> = mine.assert_ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["name"].as_str().unwrap().to_owned(),
                w["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![
            ("First".to_owned(), "manager".to_owned()),
            ("Second".to_owned(), "associate".to_owned()),
        ]
    );
}

#[tokio::test]
async fn inviting_the_same_address_again_resends_with_a_new_token_and_may_change_the_role() {
    let h = Harness::new();
    let wg = h.workgroup(ADMIN, "Acme IT").await;
    let (id, first_token) = h.invited(ADMIN, &wg, ANN, "associate").await;
    h.clock.advance(TimeDelta::days(10));

    let results = h
        .invite(ADMIN, &wg, json!(["ann@example.com"]), "manager")
        .await;
    assert_eq!(results[0]["outcome"], "resent");
    assert_eq!(
        results[0]["invitation"]["id"],
        id.as_str(),
        "the same invitation is renewed"
    );
    assert_eq!(results[0]["invitation"]["role"], "manager");
    let renewed_expiry = time(&results[0]["invitation"]["expires_at"]);
    assert_eq!(
        renewed_expiry - time(&results[0]["invitation"]["sent_at"]),
        TimeDelta::days(30)
    );

    h.post("/invitations/lookup", None, json!({ "token": first_token }))
        .await
        .assert_problem(404);
    let second_token = h.token_for(ANN);
    let preview = h
        .post(
            "/invitations/lookup",
            None,
            json!({ "token": second_token }),
        )
        .await;
    assert_eq!(preview.assert_ok(200)["role"], "manager");
    assert_eq!(
        h.invitations(ADMIN, &wg).await.len(),
        1,
        "still one invitation"
    );
}

#[tokio::test]
async fn one_invite_reports_every_pasted_entry_in_order() {
    let h = Harness::new();
    let wg = h.workgroup(ADMIN, "Acme IT").await;
    h.member(ADMIN, &wg, ANN, "associate").await;
    h.invited(ADMIN, &wg, BOB, "associate").await;

    let results = h
        .invite(
            ADMIN,
            &wg,
            json!("carol@example.com; not-an-address\nANN@example.com bob@example.com, Carol@Example.com"),
            "associate",
        )
        .await;
    let outcomes: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["email"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("carol@example.com", "invited"),
            ("not-an-address", "invalid_email"),
            ("ann@example.com", "already_agent"),
            ("bob@example.com", "resent"),
            ("carol@example.com", "duplicate"),
        ]
    );
    assert!(results[0].get("invitation").is_some());
    assert!(results[1].get("invitation").is_none());
    assert!(results[2].get("invitation").is_none());
}

#[tokio::test]
async fn invitations_page_through_an_opaque_cursor_without_gaps_or_repeats() {
    let h = Harness::new();
    let wg = h.workgroup(ADMIN, "Acme IT").await;
    for i in 0..5 {
        h.invite(
            ADMIN,
            &wg,
            json!(format!("person{i}@example.com")),
            "associate",
        )
        .await;
        h.clock.advance(TimeDelta::minutes(1));
    }
    let mut seen = Vec::new();
    let mut path = format!("/workgroups/{wg}/invitations?limit=2");
    loop {
        let page = h.get(&path, ADMIN).await;
        let page = page.assert_ok(200);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|i| i["email"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/workgroups/{wg}/invitations?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..5)
        .rev()
        .map(|i| format!("person{i}@example.com"))
        .collect();
    assert_eq!(seen, expected, "newest first, each once");
}

#[tokio::test]
async fn reminders_go_out_once_per_threshold_and_their_link_accepts() {
    let h = Harness::new();
    let wg = h.workgroup(ADMIN, "Acme IT").await;
    let (_, original_token) = h.invited(ADMIN, &wg, ANN, "associate").await;

    h.clock.advance(TimeDelta::days(22));
    let early = h
        .app
        .send_due_reminders(h.clock.now(), || true)
        .await
        .unwrap();
    assert_eq!(early.sent, 0, "8 days before expiry nothing is due");

    h.clock.advance(TimeDelta::days(1));
    let now = h.clock.now();
    assert_eq!(
        h.app.send_due_reminders(now, || true).await.unwrap().sent,
        1
    );
    assert_eq!(
        h.app.send_due_reminders(now, || true).await.unwrap().sent,
        0,
        "not twice"
    );
    h.deliver_queued().await;
    let reminder = h.mailer.sent().last().unwrap().clone();
    assert!(reminder.subject.contains("Reminder"));

    h.clock.advance(TimeDelta::days(6));
    assert_eq!(
        h.app
            .send_due_reminders(h.clock.now(), || true)
            .await
            .unwrap()
            .sent,
        1,
        "the 1-day reminder"
    );
    h.deliver_queued().await;

    let reminder_token = h.token_for(ANN);
    assert_eq!(
        reminder_token, original_token,
        "the original link keeps working"
    );
    h.post(
        "/invitations/accept",
        Some(ANN),
        json!({ "token": reminder_token, "name": "Ann" }),
    )
    .await
    .assert_ok(200);
}

#[tokio::test]
async fn an_email_that_cannot_be_sent_leaves_the_invitation_saved_and_marked_failed() {
    let h = Harness::new();
    let wg = h.workgroup(ADMIN, "Acme IT").await;
    h.mailer.fail(true);
    let results = h.invite(ADMIN, &wg, json!(ANN), "associate").await;
    assert_eq!(results[0]["outcome"], "invited");
    assert_eq!(
        results[0]["invitation"]["delivery"], "queued",
        "the answer does not wait for the mail service"
    );
    let listed = h.invitations(ADMIN, &wg).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["delivery"], "failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_a_hundred_concurrent_accepts_of_one_link_exactly_one_joins() {
    let h = Harness::new();
    let wg = h.workgroup(ADMIN, "Acme IT").await;
    let (_, token) = h.invited(ADMIN, &wg, ANN, "associate").await;
    let body = json!({ "token": token, "name": "Ann" });
    let answers = futures::future::join_all(
        (0..100).map(|_| h.post("/invitations/accept", Some(ANN), body.clone())),
    )
    .await;
    let joined = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(joined, 1, "exactly one acceptance wins");
    for answer in answers.iter().filter(|a| a.status != 200) {
        answer.assert_problem(404);
    }
    let agents = h.agents(ADMIN, &wg).await;
    assert_eq!(agents.iter().filter(|a| a["email"] == ANN).count(), 1);
    assert!(h.invitations(ADMIN, &wg).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invites_of_one_address_leave_one_invitation_whose_latest_link_works() {
    let mut h = Harness::new();
    // Twenty emails to one address in a day: more than the per-recipient limit allows.
    h.app.settings.daily_invitations_per_recipient = 20;
    let wg = h.workgroup(ADMIN, "Acme IT").await;
    let results =
        futures::future::join_all((0..20).map(|_| h.invite(ADMIN, &wg, json!(ANN), "associate")))
            .await;
    let outcomes: Vec<&str> = results
        .iter()
        .map(|r| r[0]["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == "invited").count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|o| *o == "invited" || *o == "resent"),
        "{outcomes:?}"
    );
    assert_eq!(h.invitations(ADMIN, &wg).await.len(), 1);

    // Only the token of the last write works; all the others were superseded.
    let working: Vec<String> = {
        let mut working = Vec::new();
        for email in h.mailer.sent() {
            let token = email
                .accept_link
                .split_once("#token=")
                .unwrap()
                .1
                .to_owned();
            let answer = h
                .post("/invitations/lookup", None, json!({ "token": token }))
                .await;
            if answer.status == 200 {
                working.push(token);
            }
        }
        working
    };
    assert_eq!(working.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_accept_racing_a_cancel_ends_in_one_consistent_state() {
    for round in 0..10 {
        let h = Harness::new();
        let wg = h.workgroup(ADMIN, "Acme IT").await;
        let (id, token) = h.invited(ADMIN, &wg, ANN, "associate").await;
        let cancel_path = format!("/workgroups/{wg}/invitations/{id}");
        let (accepted, cancelled) = tokio::join!(
            h.post(
                "/invitations/accept",
                Some(ANN),
                json!({ "token": token, "name": "Ann" })
            ),
            h.call("DELETE", &cancel_path, Some(ADMIN), None),
        );
        let joined = h.agents(ADMIN, &wg).await.iter().any(|a| a["email"] == ANN);
        assert!(h.invitations(ADMIN, &wg).await.is_empty(), "round {round}");
        match (accepted.status, cancelled.status) {
            (200, 404) => assert!(joined, "round {round}: accepted but not an agent"),
            (404, 204) => assert!(!joined, "round {round}: cancelled but joined"),
            other => panic!("round {round}: both or neither won: {other:?}"),
        }
    }
}
