//! The invitee's own invitations through the handlers on the embedded store:
//! `GET /me/invitations` lists the caller's live invitations in every workgroup, and
//! `POST /me/invitations/{id}/accept` and `…/decline` answer one by id, under the rules of the
//! token: anything but a live pending invitation of the caller's is the same 404, and changes
//! nothing. A resend keeps the id, so the id still works after it (only the old token dies).

use chrono::TimeDelta;
use serde_json::{Value, json};
use tests::harness::{Answer, Harness};

const ADA: &str = "ada@example.com";
const ANN: &str = "ann@example.com";

async fn mine(h: &Harness, who: &str) -> Vec<Value> {
    h.get("/me/invitations", who).await.assert_ok(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

async fn accept(h: &Harness, who: &str, id: &str, body: Value) -> Answer {
    h.post(&format!("/me/invitations/{id}/accept"), Some(who), body)
        .await
}

async fn decline(h: &Harness, who: &str, id: &str) -> Answer {
    h.post(
        &format!("/me/invitations/{id}/decline"),
        Some(who),
        json!({}),
    )
    .await
}

/// The invitation as the workgroup's administrator sees it, if listed.
async fn as_listed(h: &Harness, wg: &str, id: &str) -> Option<Value> {
    h.invitations(ADA, wg)
        .await
        .into_iter()
        .find(|invitation| invitation["id"] == id)
}

/// Both by-id answers are the same 404, and the invitation is as it was.
async fn assert_unanswerable(h: &Harness, who: &str, wg: &str, id: &str) {
    let before = as_listed(h, wg, id).await;
    let agents = h.agents(ADA, wg).await;
    let accepted = accept(h, who, id, json!({ "name": "Ann" })).await;
    let declined = decline(h, who, id).await;
    assert_eq!(accepted.assert_problem(404), "invitation not found");
    assert_eq!(declined.assert_problem(404), "invitation not found");
    assert_eq!(
        as_listed(h, wg, id).await,
        before,
        "the invitation is unchanged"
    );
    assert_eq!(h.agents(ADA, wg).await, agents, "no one joined");
    assert!(
        mine(h, who).await.iter().all(|item| item["id"] != id),
        "and it is not in the caller's list"
    );
}

#[tokio::test]
async fn an_invitee_sees_their_invitations_of_every_workgroup_and_accepts_one_by_id() {
    let h = Harness::new();
    let acme = h.workgroup(ADA, "Acme").await;
    let globex = h.workgroup("gus@example.com", "Globex").await;
    let (acme_id, _) = h.invited(ADA, &acme, ANN, "manager").await;
    h.clock.advance(TimeDelta::minutes(5));
    let (globex_id, _) = h
        .invited("gus@example.com", &globex, ANN, "associate")
        .await;
    h.invited(ADA, &acme, "bob@example.com", "associate").await;

    let listed = mine(&h, ANN).await;
    assert_eq!(
        listed,
        vec![
            json!({
                "id": globex_id, "workgroup": { "id": globex, "name": "Globex" },
                "role": "associate",
                "invited_by": listed[0]["invited_by"], "sent_at": "2026-11-22T09:05:00Z",
                "expires_at": "2026-12-22T09:05:00Z"
            }),
            json!({
                "id": acme_id, "workgroup": { "id": acme, "name": "Acme" }, "role": "manager",
                "invited_by": listed[1]["invited_by"], "sent_at": "2026-11-22T09:00:00Z",
                "expires_at": "2026-12-22T09:00:00Z"
            }),
        ],
        "newest first, only Ann's"
    );
    assert_eq!(listed[1]["invited_by"]["email"], ADA);
    assert_eq!(mine(&h, "nobody@example.com").await, Vec::<Value>::new());

    // The first acceptance registers: without a name it is refused and changes nothing.
    let refused = accept(&h, ANN, &acme_id, json!({})).await;
    assert!(refused.assert_problem(400).contains("name"));
    assert_eq!(mine(&h, ANN).await.len(), 2);
    let joined = accept(&h, ANN, &acme_id, json!({ "name": "Ann Lee" })).await;
    let joined = joined.assert_ok(200);
    assert_eq!(
        joined["workgroup"],
        json!({ "id": acme, "name": "Acme", "role": "manager" })
    );
    assert_eq!(joined["agent"]["email"], ANN);
    assert_eq!(joined["agent"]["name"], "Ann Lee");
    assert!(as_listed(&h, &acme, &acme_id).await.is_none());
    assert!(h.agents(ADA, &acme).await.iter().any(|a| a["email"] == ANN));

    // Registered now: the next acceptance needs no name, nor even a body.
    let second = h
        .call(
            "POST",
            &format!("/me/invitations/{globex_id}/accept"),
            Some(ANN),
            None,
        )
        .await;
    assert_eq!(second.assert_ok(200)["agent"]["name"], "Ann Lee");
    assert_eq!(mine(&h, ANN).await, Vec::<Value>::new());

    // The same events as accepting by token.
    let events = h.get(&format!("/workgroups/{acme}/events"), ADA).await;
    let newest = &events.assert_ok(200)["items"][0];
    assert_eq!(newest["type"], "invitation.accepted");
    assert_eq!(newest["actor"]["email"], ANN);
}

#[tokio::test]
async fn declining_by_id_answers_as_by_token_and_kills_the_token() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    let (id, token) = h.invited(ADA, &wg, ANN, "associate").await;

    let declined = decline(&h, ANN, &id).await;
    assert_eq!(
        declined.assert_ok(200),
        &json!({ "workgroup": { "id": wg, "name": "Acme" }, "status": "declined" })
    );
    assert_eq!(as_listed(&h, &wg, &id).await.unwrap()["status"], "declined");
    h.post(
        "/invitations/accept",
        Some(ANN),
        json!({ "token": token, "name": "Ann" }),
    )
    .await
    .assert_problem(404);
    let events = h.get(&format!("/workgroups/{wg}/events"), ADA).await;
    let newest = &events.assert_ok(200)["items"][0];
    assert_eq!(newest["type"], "invitation.declined");
    assert_eq!(newest["actor"], json!({ "type": "invitee", "email": ANN }));
    assert_unanswerable(&h, ANN, &wg, &id).await;
}

#[tokio::test]
async fn only_the_callers_live_pending_invitations_can_be_answered_by_id() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;

    // Another person's: the same 404 as an unknown id, and it stays pending.
    let (bobs, _) = h.invited(ADA, &wg, "bob@example.com", "associate").await;
    assert_unanswerable(&h, ANN, &wg, &bobs).await;
    assert_unanswerable(&h, ANN, &wg, "inv_00000000000000000000000000000000").await;
    assert_eq!(
        as_listed(&h, &wg, &bobs).await.unwrap()["status"],
        "pending"
    );
    // An administrator is no exception: it is Bob's to answer.
    assert_unanswerable(&h, ADA, &wg, &bobs).await;

    // Declined by its link.
    let (declined, token) = h.invited(ADA, &wg, "dee@example.com", "associate").await;
    h.post("/invitations/decline", None, json!({ "token": token }))
        .await
        .assert_ok(200);
    assert_unanswerable(&h, "dee@example.com", &wg, &declined).await;

    // Cancelled.
    let (cancelled, _) = h.invited(ADA, &wg, "cy@example.com", "associate").await;
    h.call(
        "DELETE",
        &format!("/workgroups/{wg}/invitations/{cancelled}"),
        Some(ADA),
        None,
    )
    .await
    .assert_ok(204);
    assert_unanswerable(&h, "cy@example.com", &wg, &cancelled).await;

    // Accepted by its link.
    let (accepted, token) = h.invited(ADA, &wg, "al@example.com", "associate").await;
    h.post(
        "/invitations/accept",
        Some("al@example.com"),
        json!({ "token": token, "name": "Al" }),
    )
    .await
    .assert_ok(200);
    assert_unanswerable(&h, "al@example.com", &wg, &accepted).await;

    // Resent: a new token, the same id, which still works (the old token does not).
    let (resent, old_token) = h.invited(ADA, &wg, "rae@example.com", "associate").await;
    h.post(
        &format!("/workgroups/{wg}/invitations/{resent}/resend"),
        Some(ADA),
        json!(null),
    )
    .await
    .assert_ok(200);
    h.post("/invitations/lookup", None, json!({ "token": old_token }))
        .await
        .assert_problem(404);
    assert_eq!(mine(&h, "rae@example.com").await[0]["id"], resent);
    accept(&h, "rae@example.com", &resent, json!({ "name": "Rae" }))
        .await
        .assert_ok(200);

    // Expired: gone from the list and from every action.
    let (expiring, _) = h.invited(ADA, &wg, "ed@example.com", "associate").await;
    h.clock.advance(TimeDelta::days(30));
    assert_eq!(mine(&h, "ed@example.com").await, Vec::<Value>::new());
    for action in ["accept", "decline"] {
        h.post(
            &format!("/me/invitations/{expiring}/{action}"),
            Some("ed@example.com"),
            json!({ "name": "Ed" }),
        )
        .await
        .assert_problem(404);
    }
    assert!(
        h.agents(ADA, &wg)
            .await
            .iter()
            .all(|a| a["email"] != "ed@example.com")
    );
}

#[tokio::test]
async fn the_list_is_paged_with_cursors_sealed_to_the_caller() {
    let h = Harness::new();
    let mut ids = Vec::new();
    for n in 0..3 {
        let wg = h.workgroup(ADA, &format!("Group {n}")).await;
        ids.push(h.invited(ADA, &wg, ANN, "associate").await.0);
        h.invited(ADA, &wg, "bob@example.com", "associate").await;
        h.clock.advance(TimeDelta::seconds(1));
    }
    let first = h.get("/me/invitations?limit=2", ANN).await;
    let first = first.assert_ok(200);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = h
        .get(&format!("/me/invitations?limit=2&cursor={cursor}"), ANN)
        .await;
    let second = second.assert_ok(200);
    assert_eq!(second["next_cursor"], Value::Null);
    let listed: Vec<&Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|item| &item["id"])
        .collect();
    ids.reverse();
    assert_eq!(
        listed,
        ids.iter()
            .map(|id| json!(id))
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>()
    );
    // Bob cannot page through Ann's list with her cursor.
    h.get(
        &format!("/me/invitations?limit=2&cursor={cursor}"),
        "bob@example.com",
    )
    .await
    .assert_problem(400);
    h.call("GET", "/me/invitations", None, None)
        .await
        .assert_problem(401);
}

#[tokio::test]
async fn accepting_by_id_and_by_token_at_once_has_exactly_one_winner() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    for round in 0..20 {
        let invitee = format!("racer{round}@example.com");
        let (id, token) = h.invited(ADA, &wg, &invitee, "associate").await;
        let name = json!({ "name": "Racer" });
        let (by_id, by_token) = tokio::join!(
            accept(&h, &invitee, &id, name.clone()),
            h.post(
                "/invitations/accept",
                Some(&invitee),
                json!({ "token": token, "name": "Racer" })
            ),
        );
        let mut statuses = [by_id.status, by_token.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 404],
            "round {round}: {by_id:?} {by_token:?}"
        );
        let joined = h
            .agents(ADA, &wg)
            .await
            .into_iter()
            .filter(|agent| agent["email"] == invitee.as_str())
            .count();
        assert_eq!(joined, 1, "round {round}: one membership");
        let events = h
            .get(&format!("/workgroups/{wg}/events?limit=100"), ADA)
            .await;
        let accepted = events.assert_ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "invitation.accepted" && e["invitation"]["id"] == id.as_str())
            .count();
        assert_eq!(accepted, 1, "round {round}: one event");
    }
}
