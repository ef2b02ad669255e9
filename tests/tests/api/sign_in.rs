//! Who a caller is, through the handlers on the embedded store: the identity provider must say
//! the address is verified, and a registered person is bound to the issuer and subject that
//! registered them. A token with their address under another sign-in is refused (403
//! problem+json), changes nothing, and is recorded in their workgroups' trails.

use domain::store::People as _;
use domain::{
    ids::{AgentId, WorkgroupId},
    locale::Locale,
    people::{Agent, DisplayName, Person, Workgroup, WorkgroupName},
    role::Role,
};
use serde_json::{Value, json};
use tests::harness::{Answer, Harness, api_gateway_event, start_time};

const ADA: &str = "ada@example.com";
const ANN: &str = "ann@example.com";

/// A request signed in as `email` under the subject `sub` of `iss`.
fn as_other(
    method: &str,
    path: &str,
    email: &str,
    iss: &str,
    sub: &str,
    body: Option<Value>,
) -> Value {
    let mut event = api_gateway_event(method, path, Some(email), body);
    let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
    claims["iss"] = json!(iss);
    claims["sub"] = json!(sub);
    event
}

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example";

async fn events(h: &Harness, wg: &str) -> Vec<Value> {
    let answer = h
        .get(&format!("/workgroups/{wg}/events?limit=100"), ADA)
        .await;
    answer.assert_ok(200)["items"].as_array().unwrap().clone()
}

fn refusals(events: &[Value]) -> Vec<&Value> {
    events
        .iter()
        .filter(|e| e["type"] == "agent.sign_in_refused")
        .collect()
}

#[tokio::test]
async fn an_address_the_provider_does_not_say_is_verified_is_refused_and_changes_nothing() {
    let h = Harness::new();
    for verified in [
        None,
        Some(json!("false")),
        Some(json!("")),
        Some(json!("yes")),
    ] {
        let mut event = api_gateway_event(
            "POST",
            "/workgroups",
            Some(ADA),
            Some(json!({"name": "Acme"})),
        );
        let claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
            .as_object_mut()
            .unwrap();
        match &verified {
            None => claims.remove("email_verified"),
            Some(value) => claims.insert("email_verified".to_owned(), value.clone()),
        };
        let answer = h.send_event(&event).await;
        answer.assert_problem(403);
        assert_eq!(
            answer.body["type"], "/problems/email-not-verified",
            "{verified:?}"
        );
    }
    let mine = h.get("/workgroups", ADA).await;
    assert!(mine.assert_ok(200)["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn another_subject_with_an_agents_address_is_refused_and_changes_nothing() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    let (invitation, token) = h.invited(ADA, &wg, ANN, "manager").await;
    let impostor = |method: &str, path: &str, body: Option<Value>| {
        as_other(method, path, ADA, ISSUER, "someone-else", body)
    };
    let attempts = [
        impostor("GET", "/workgroups", None),
        impostor("POST", "/workgroups", Some(json!({"name": "Mine now"}))),
        impostor("GET", &format!("/workgroups/{wg}/agents"), None),
        impostor(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(json!({"emails": "eve@example.com", "role": "administrator"})),
        ),
        impostor(
            "DELETE",
            &format!("/workgroups/{wg}/invitations/{invitation}"),
            None,
        ),
        impostor(
            "POST",
            &format!("/workgroups/{wg}/invitations/{invitation}/resend"),
            None,
        ),
        // Another issuer with the very same subject is another account too.
        as_other(
            "GET",
            "/workgroups",
            ADA,
            "https://login.example",
            &format!("sub-{ADA}"),
            None,
        ),
    ];
    for attempt in &attempts {
        let answer = h.send_event(attempt).await;
        answer.assert_problem(403);
        assert_eq!(
            answer.body["type"], "/problems/sign-in-refused",
            "{answer:?}"
        );
    }
    assert_eq!(h.mailer.sent().len(), 1, "nothing was sent");
    let invitations = h.invitations(ADA, &wg).await;
    assert_eq!(
        invitations.len(),
        1,
        "neither invited, cancelled nor resent"
    );
    let mine = h.get("/workgroups", ADA).await;
    assert_eq!(mine.assert_ok(200)["items"].as_array().unwrap().len(), 1);
    // Ann's link still works for Ann.
    h.post("/invitations/lookup", None, json!({ "token": token }))
        .await
        .assert_ok(200);

    // The first refusals of the day are in Ada's workgroup's trail, with who tried.
    let trail = events(&h, &wg).await;
    let refused = refusals(&trail);
    assert_eq!(refused.len(), 5, "at most five a day are recorded");
    assert_eq!(refused[0]["agent"]["email"], ADA);
    assert_eq!(refused[0]["actor"]["type"], "sign_in");
    assert_eq!(refused[0]["actor"]["email"], ADA);
    assert!(refused[0].get("invitation").is_none());
    let subjects: Vec<&Value> = refused.iter().map(|e| &e["actor"]["subject"]).collect();
    assert!(subjects.contains(&&json!("someone-else")), "{subjects:?}");
}

#[tokio::test]
async fn an_invitee_signed_in_under_another_subject_cannot_accept() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    let other = h.workgroup("bea@example.com", "Other").await;
    // Ann is a registered agent of Ada's workgroup, invited to Bea's.
    h.member(ADA, &wg, ANN, "associate").await;
    let (_, token) = h.invited("bea@example.com", &other, ANN, "manager").await;
    let accept = as_other(
        "POST",
        "/invitations/accept",
        ANN,
        ISSUER,
        "not-ann",
        Some(json!({ "token": token })),
    );
    let answer = h.send_event(&accept).await;
    answer.assert_problem(403);
    assert_eq!(answer.body["type"], "/problems/sign-in-refused");
    // The invitation is as it was, and Ann herself can accept it.
    h.post("/invitations/lookup", None, json!({ "token": token }))
        .await
        .assert_ok(200);
    h.post("/invitations/accept", Some(ANN), json!({ "token": token }))
        .await
        .assert_ok(200);
    let refused = refusals(&events(&h, &wg).await).len();
    assert_eq!(refused, 1, "recorded where Ann is an agent");
}

#[tokio::test]
async fn a_person_registered_before_sign_ins_were_bound_is_bound_by_their_next_sign_in() {
    let h = Harness::new();
    let workgroup = Workgroup {
        id: WorkgroupId::generate(),
        name: WorkgroupName::parse("Older").unwrap(),
        locale: Locale::En,
    };
    let person = Person {
        id: AgentId::generate(),
        email: domain::address::EmailAddress::parse(ADA).unwrap(),
        name: DisplayName::parse("Ada").unwrap(),
        registered_at: start_time(),
        sign_in: None,
    };
    let founder = Agent::joining(&person, Role::Administrator, start_time());
    h.app
        .store
        .create_workgroup(&workgroup, &founder, Some(&person))
        .await
        .unwrap();
    let first = as_other("GET", "/workgroups", ADA, ISSUER, "ada-1", None);
    h.send_event(&first).await.assert_ok(200);
    h.send_event(&first).await.assert_ok(200);
    let second = as_other("GET", "/workgroups", ADA, ISSUER, "ada-2", None);
    let answer: Answer = h.send_event(&second).await;
    answer.assert_problem(403);
    let stored = h.app.store.person(&person.email).await.unwrap().unwrap();
    assert_eq!(stored.sign_in.unwrap().subject, "ada-1");
}

#[tokio::test]
async fn an_oversized_issuer_or_subject_is_not_a_sign_in() {
    let h = Harness::new();
    let long = "x".repeat(513);
    for (iss, sub) in [(long.as_str(), "ada"), (ISSUER, long.as_str())] {
        let event = as_other("GET", "/workgroups", ADA, iss, sub, None);
        h.send_event(&event).await.assert_problem(401);
    }
    let fits = as_other("GET", "/workgroups", ADA, ISSUER, &"y".repeat(512), None);
    h.send_event(&fits).await.assert_ok(200);
}

#[tokio::test]
async fn a_read_only_deployment_refuses_another_subject_without_writing() {
    let mut h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    h.app.settings.read_only = true;
    let impostor = as_other(
        "GET",
        &format!("/workgroups/{wg}/agents"),
        ADA,
        ISSUER,
        "x",
        None,
    );
    let answer = h.send_event(&impostor).await;
    answer.assert_problem(403);
    assert_eq!(answer.body["type"], "/problems/sign-in-refused");
    h.app.settings.read_only = false;
    assert!(
        refusals(&events(&h, &wg).await).is_empty(),
        "nothing recorded"
    );
}
