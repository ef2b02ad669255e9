//! The audit trail through the handlers on the embedded store: `GET /workgroups/{wg}/events`
//! for administrators and managers only, paged with cursors of its own, nothing of another
//! workgroup; and the local publisher's `events.jsonl`.

use domain::store::{EventLog as _, Invitations as _};
use serde_json::{Value, json};
use tests::harness::Harness;

const ADA: &str = "ada@example.com";

async fn all_events(h: &Harness, who: &str, wg: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut path = format!("/workgroups/{wg}/events?limit=2");
    loop {
        let answer = h.get(&path, who).await;
        let page = answer.assert_ok(200);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        events.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/workgroups/{wg}/events?limit=2&cursor={cursor}"),
            None => return events,
        }
    }
}

#[tokio::test]
async fn the_trail_lists_each_change_newest_first_with_its_actor() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    h.member(ADA, &wg, "mia@example.com", "manager").await;
    let (id, token) = h
        .invited("mia@example.com", &wg, "bo@example.com", "associate")
        .await;
    h.post("/invitations/decline", None, json!({ "token": token }))
        .await
        .assert_ok(200);
    let resent = h
        .post(
            &format!("/workgroups/{wg}/invitations/{id}/resend"),
            Some(ADA),
            json!(null),
        )
        .await;
    resent.assert_ok(200);

    let events = all_events(&h, "mia@example.com", &wg).await;
    let summary: Vec<(String, String)> = events
        .iter()
        .rev()
        .map(|e| {
            let actor = e["actor"]["email"]
                .as_str()
                .unwrap_or(e["actor"]["type"].as_str().unwrap());
            (e["type"].as_str().unwrap().to_owned(), actor.to_owned())
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("invitation.invited", ADA),
        ("invitation.delivery", "system"),
        ("invitation.accepted", "mia@example.com"),
        ("invitation.invited", "mia@example.com"),
        ("invitation.delivery", "system"),
        ("invitation.declined", "bo@example.com"),
        ("invitation.resent", ADA),
        ("invitation.delivery", "system"),
    ]
    .iter()
    .map(|(t, a)| (t.to_string(), a.to_string()))
    .collect();
    assert_eq!(summary, expected);
    let declined = events
        .iter()
        .find(|e| e["type"] == "invitation.declined")
        .unwrap();
    assert_eq!(
        declined["actor"],
        json!({ "type": "invitee", "email": "bo@example.com" })
    );
    assert_eq!(declined["invitation"]["id"], id);
    assert_eq!(declined["invitation"]["role"], "associate");
    assert_eq!(declined["workgroup"], wg);
    let delivered = events
        .iter()
        .find(|e| e["type"] == "invitation.delivery")
        .unwrap();
    assert_eq!(delivered["delivery"], "sent");
    assert_eq!(delivered["attempt"], 1);
    // No token, hash or nonce is ever part of an event.
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(&token));
    for secretive in ["nonce", "token", "hash"] {
        assert!(!text.contains(secretive), "{secretive} in {text}");
    }
}

#[tokio::test]
async fn only_administrators_and_managers_of_the_workgroup_read_its_trail() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    let other = h.workgroup("olga@example.com", "Other").await;
    h.invite(
        "olga@example.com",
        &other,
        json!("secret@example.com"),
        "associate",
    )
    .await;
    h.member(ADA, &wg, "mia@example.com", "manager").await;
    h.member(ADA, &wg, "al@example.com", "associate").await;
    h.member(ADA, &wg, "ina@example.com", "inactive").await;

    for who in [ADA, "mia@example.com"] {
        let events = all_events(&h, who, &wg).await;
        assert!(!events.is_empty());
        assert!(events.iter().all(|e| e["workgroup"] == wg), "{events:?}");
    }
    for who in ["al@example.com", "ina@example.com"] {
        h.get(&format!("/workgroups/{wg}/events"), who)
            .await
            .assert_problem(403);
    }
    // Not a member: the workgroup is not revealed.
    h.get(&format!("/workgroups/{other}/events"), ADA)
        .await
        .assert_problem(404);
    h.get("/workgroups/wg_nonsense/events", ADA)
        .await
        .assert_problem(404);
    let unsigned = h
        .call("GET", &format!("/workgroups/{wg}/events"), None, None)
        .await;
    unsigned.assert_problem(401);
}

#[tokio::test]
async fn bad_pages_are_refused() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    let other = h.workgroup(ADA, "Other").await;
    h.invite(ADA, &wg, json!("a@example.com, b@example.com"), "associate")
        .await;
    for limit in ["0", "101", "many"] {
        h.get(&format!("/workgroups/{wg}/events?limit={limit}"), ADA)
            .await
            .assert_problem(400);
    }
    let page = h
        .get(&format!("/workgroups/{wg}/events?limit=1"), ADA)
        .await;
    let cursor = page.assert_ok(200)["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    // Another workgroup's trail, or another list, does not take it.
    h.get(&format!("/workgroups/{other}/events?cursor={cursor}"), ADA)
        .await
        .assert_problem(400);
    h.get(
        &format!("/workgroups/{wg}/invitations?cursor={cursor}"),
        ADA,
    )
    .await
    .assert_problem(400);
    h.get(&format!("/workgroups/{wg}/events?cursor=forged"), ADA)
        .await
        .assert_problem(400);
}

#[tokio::test]
async fn the_local_publisher_appends_each_event_once_in_order() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    h.invite(ADA, &wg, json!("a@example.com, b@example.com"), "associate")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    let published = local::events::publish(&h.app.store, &file).await.unwrap();
    assert_eq!(published, 4);
    assert_eq!(
        local::events::publish(&h.app.store, &file).await.unwrap(),
        0,
        "nothing twice"
    );
    h.invite(ADA, &wg, json!("c@example.com"), "associate")
        .await;
    assert_eq!(
        local::events::publish(&h.app.store, &file).await.unwrap(),
        2
    );

    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let mut listed = all_events(&h, ADA, &wg).await;
    listed.reverse();
    assert_eq!(lines.len(), 6);
    let ids = |events: &[Value]| -> Vec<String> {
        let mut ids: Vec<String> = events
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&lines), ids(&listed), "each listed event, once");
    assert_eq!(
        lines.last().unwrap()["invitation"]["email"],
        "c@example.com"
    );
}

#[tokio::test]
async fn the_embedded_store_forgets_published_events_after_their_retention() {
    use domain::{
        audit::{Actor, Change, EVENT_RETENTION, Event},
        store::PageRequest,
    };
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    h.invite(ADA, &wg, json!("a@example.com"), "associate")
        .await;
    let wg = domain::ids::WorkgroupId::parse(&wg).unwrap();
    let everything = PageRequest {
        after: None,
        limit: 100,
    };
    let store = &h.app.store;
    let first = store.events(&wg, everything.clone()).await.unwrap().items;
    assert_eq!(first.len(), 2);

    // A year and a day on, a change of another invitation: the old events are forgotten once
    // published, never before.
    let later = first[0].at + EVENT_RETENTION + chrono::TimeDelta::days(1);
    let (invitation, _) = h
        .invited(ADA, &wg.to_string(), "b@example.com", "associate")
        .await;
    let invitation = store
        .invitation(&wg, &domain::ids::InvitationId::parse(&invitation).unwrap())
        .await
        .unwrap()
        .unwrap();
    let record = |at| {
        Event::of(
            &invitation,
            Change::Reminded { days_before: 7 },
            Actor::System,
            at,
        )
    };
    store
        .record_delivery(&invitation, &record(later))
        .await
        .unwrap();
    let kept = store.events(&wg, everything.clone()).await.unwrap().items;
    assert_eq!(kept.len(), 5, "unpublished events are kept: {kept:?}");

    let dir = tempfile::tempdir().unwrap();
    local::events::publish(store, &dir.path().join("events.jsonl"))
        .await
        .unwrap();
    store
        .record_delivery(&invitation, &record(later))
        .await
        .unwrap();
    let kept = store.events(&wg, everything).await.unwrap().items;
    let ids: Vec<_> = kept.iter().map(|e| e.id.clone()).collect();
    assert!(
        first.iter().all(|old| !ids.contains(&old.id)),
        "the year-old events are gone: {kept:?}"
    );
    assert!(
        kept.iter().all(|e| e.at == later),
        "only this year's stay: {kept:?}"
    );
    assert_eq!(kept.len(), 2);
}
