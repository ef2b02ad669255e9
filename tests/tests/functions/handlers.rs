//! Each function's handler, built as its `main` builds it (configuration, one SDK config, the
//! secret from Secrets Manager), answering real API Gateway HTTP API payload-2.0 events with the
//! JWT authorizer's claims, on DynamoDB, SES and Secrets Manager in moto. The reminder function
//! takes real EventBridge Scheduler ticks.

use std::time::Duration;

use api::routes::ROUTES;
use chrono::{SubsecRound, Utc};
use domain::{App, clock::ShiftedClock};
use lambda_runtime::{Context, LambdaEvent};
use runtime::Function;
use serde_json::json;
use tests::functions::{Stack, emails_to, latest_token, scheduler_event, send};
use tests::harness::api_gateway_event;

const ADMIN: &str = "admin@acme.example";

#[tokio::test]
async fn the_seed_story_across_the_functions() {
    let stack = Stack::new("functions").await;
    let workgroups = stack.deploy(Function::Workgroups).await;
    let invite = stack.deploy(Function::Invite).await;
    let list = stack.deploy(Function::List).await;
    let manage = stack.deploy(Function::Manage).await;
    let accept = stack.deploy(Function::Accept).await;
    let sender = stack.deploy(Function::Send).await;

    let created = send(
        &workgroups,
        &api_gateway_event(
            "POST",
            "/workgroups",
            Some(ADMIN),
            Some(json!({ "name": "Acme" })),
        ),
    )
    .await;
    let wg = created.assert_ok(201)["id"].as_str().unwrap().to_owned();
    let mine = send(
        &workgroups,
        &api_gateway_event("GET", "/workgroups", Some(ADMIN), None),
    )
    .await;
    assert_eq!(mine.assert_ok(200)["items"][0]["id"], wg.as_str());

    let ann = "ann@people.example";
    let bob = "bob@people.example";
    let invited = send(
        &invite,
        &api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            Some(json!({ "emails": format!("{ann}, {bob}"), "role": "associate" })),
        ),
    )
    .await;
    let results = invited.assert_ok(200)["results"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(
        results.iter().all(|r| r["outcome"] == "invited"),
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| r["invitation"]["delivery"] == "queued"),
        "the answer does not wait for SES: {results:?}"
    );
    assert_eq!((emails_to(ann), emails_to(bob)), (0, 0));
    assert_eq!(tests::functions::drain(&stack, &sender).await, 2);
    assert_eq!((emails_to(ann), emails_to(bob)), (1, 1));

    let pending = send(
        &list,
        &api_gateway_event(
            "GET",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    let items = pending.assert_ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(
        items
            .iter()
            .all(|i| i["status"] == "pending" && i["delivery"] == "sent")
    );
    let bob_id = items.iter().find(|i| i["email"] == bob).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ann_id = items.iter().find(|i| i["email"] == ann).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let openapi = send(
        &list,
        &api_gateway_event("GET", "/openapi.json", None, None),
    )
    .await;
    assert_eq!(openapi.assert_ok(200)["openapi"], "3.1.0");

    // Resend ann (a second email with a new link), cancel bob.
    let first_ann_token = latest_token(ann);
    let resent = send(
        &manage,
        &api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations/{ann_id}/resend"),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    resent.assert_ok(200);
    tests::functions::drain(&stack, &sender).await;
    assert_eq!(emails_to(ann), 2);
    let ann_token = latest_token(ann);
    assert_ne!(ann_token, first_ann_token);
    let bob_token = latest_token(bob);
    let cancelled = send(
        &manage,
        &api_gateway_event(
            "DELETE",
            &format!("/workgroups/{wg}/invitations/{bob_id}"),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    assert_eq!(cancelled.status, 204, "{cancelled:?}");

    // The invitee looks the link up without signing in, then accepts signed in.
    let looked_up = send(
        &accept,
        &api_gateway_event(
            "POST",
            "/invitations/lookup",
            None,
            Some(json!({ "token": ann_token })),
        ),
    )
    .await;
    assert_eq!(looked_up.assert_ok(200)["workgroup"]["name"], "Acme");
    let stale = send(
        &accept,
        &api_gateway_event(
            "POST",
            "/invitations/lookup",
            None,
            Some(json!({ "token": first_ann_token })),
        ),
    )
    .await;
    stale.assert_problem(404);
    let joined = send(
        &accept,
        &api_gateway_event(
            "POST",
            "/invitations/accept",
            Some(ann),
            Some(json!({ "token": ann_token, "name": "Ann" })),
        ),
    )
    .await;
    assert_eq!(joined.assert_ok(200)["agent"]["role"], "associate");
    let declined = send(
        &accept,
        &api_gateway_event(
            "POST",
            "/invitations/decline",
            None,
            Some(json!({ "token": bob_token })),
        ),
    )
    .await;
    declined.assert_problem(404);

    let agents = send(
        &list,
        &api_gateway_event(
            "GET",
            &format!("/workgroups/{wg}/agents"),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    let emails: Vec<&str> = agents.assert_ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [ADMIN, ann]);
}

#[tokio::test]
async fn each_function_answers_only_its_own_routes() {
    let stack = Stack::new("routes").await;
    for function in Function::ALL.into_iter().filter(|f| f.answers_http()) {
        let deployment = stack.deploy(function).await;
        for route in ROUTES {
            let path = route
                .path
                .replace("{wg}", &format!("wg_{:032}", 0))
                .replace("{id}", &format!("inv_{:032}", 0))
                .replace("{file}", "app.js");
            let answer = send(
                &deployment,
                &api_gateway_event(route.method.as_str(), &path, Some(ADMIN), Some(json!({}))),
            )
            .await;
            let unrouted = answer.status == 404 && answer.body["detail"] == "no such route";
            let own = tests::harness::function_of(route.operation) == function.name();
            assert_eq!(
                unrouted, !own,
                "{function:?} {} {path}: {answer:?}",
                route.method
            );
        }
    }
}

#[tokio::test]
async fn functions_that_send_no_email_cannot() {
    let stack = Stack::new("nomail").await;
    for function in Function::ALL.into_iter().filter(|f| f.runs_app()) {
        let config = stack.config(function);
        assert_eq!(
            config.sender.is_some(),
            function.sends_email(),
            "{function:?}"
        );
    }
}

#[tokio::test]
async fn a_scheduler_tick_sends_each_due_reminder_once_even_when_run_twice() {
    let stack = Stack::new("remind").await;
    let remind = stack.deploy(Function::Remind).await;
    let workgroups = stack.deploy(Function::Workgroups).await;
    let sender = stack.deploy(Function::Send).await;
    let wg = tests::functions::workgroup(&workgroups, ADMIN, "Acme").await;

    // Invited 23 days ago (through the same table and sender, on a clock set back), so the
    // 7-day reminder is due now; another invited today is not.
    let now = Utc::now().trunc_subsecs(0);
    let invite = stack.deploy(Function::Invite).await;
    let back_then = App {
        store: invite.app.store.clone(),
        queue: invite.app.queue.clone(),
        clock: ShiftedClock::starting_at(now - chrono::TimeDelta::days(23)),
        key: invite.app.key.clone(),
        settings: invite.app.settings.clone(),
    };
    let old = "old@people.example";
    let new = "new@people.example";
    let event = |email: &str| {
        api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            Some(json!({ "emails": email, "role": "associate" })),
        )
    };
    let request = lambda_http::request::from_str(&event(old).to_string()).unwrap();
    let response = local::routes::answer(&back_then, &api::web::SignIn::None, &request).await;
    let answer =
        tests::functions::answer_of(response.status().as_u16(), None, response.body().as_ref());
    assert_eq!(answer.status, 200, "{answer:?}");
    send(&invite, &event(new)).await.assert_ok(200);
    tests::functions::drain(&stack, &sender).await;
    let original_link = latest_token(old);

    let tick = |time: chrono::DateTime<Utc>| {
        let payload = serde_json::from_value(scheduler_event(&time.to_rfc3339())).unwrap();
        LambdaEvent::new(payload, Context::default())
    };
    // Two invocations of one tick at once (a retry racing the first), then once more.
    let (first, second) = tokio::join!(
        remind::handle(&remind, tick(now)),
        remind::handle(&remind, tick(now))
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    let reminded = |report: &remind::TickReport| report.reminders.expect("reminders swept").sent;
    assert_eq!(
        reminded(&first) + reminded(&second),
        1,
        "{first:?} {second:?}"
    );
    let again = remind::handle(&remind, tick(now)).await.unwrap();
    assert_eq!(reminded(&again), 0, "{again:?}");
    tests::functions::drain(&stack, &sender).await;
    assert_eq!(emails_to(old), 2, "the invitation and one reminder");
    assert_eq!(emails_to(new), 1, "not due: only the invitation");
    // The reminder carries the very link of the original email.
    assert_eq!(latest_token(old), original_link);

    // A tick from long ago (a replayed event) is skipped, not run as of then.
    let stale = remind::handle(&remind, tick(now - chrono::TimeDelta::days(3)))
        .await
        .unwrap();
    assert!(stale.skipped_tick);
    // An event without a time is refused.
    let no_time = serde_json::from_value(json!({
        "detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": {}
    }))
    .unwrap();
    let refused = remind::handle(&remind, LambdaEvent::new(no_time, Context::default())).await;
    assert!(refused.is_err());
    tokio::time::sleep(Duration::ZERO).await;
}

#[tokio::test]
async fn ses_bounces_and_complaints_mark_the_invitation_and_stop_its_email() {
    let stack = Stack::new("feedback").await;
    let workgroups = stack.deploy(Function::Workgroups).await;
    let invite = stack.deploy(Function::Invite).await;
    let manage = stack.deploy(Function::Manage).await;
    let remind = stack.deploy(Function::Remind).await;
    let sender = stack.deploy(Function::Send).await;
    let store = invite.app.store.clone();
    let wg = tests::functions::workgroup(&workgroups, ADMIN, "Acme").await;
    let wg_id = domain::ids::WorkgroupId::parse(&wg).unwrap();
    let (bounced, complaining) = ("gone@people.example", "annoyed@people.example");
    let invited = send(
        &invite,
        &api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            Some(json!({ "emails": [bounced, complaining], "role": "associate" })),
        ),
    )
    .await;
    let results = invited.assert_ok(200)["results"]
        .as_array()
        .unwrap()
        .clone();
    tests::functions::drain(&stack, &sender).await;
    let id_of = |i: usize| {
        domain::ids::InvitationId::parse(results[i]["invitation"]["id"].as_str().unwrap()).unwrap()
    };
    let stored = |id: domain::ids::InvitationId| {
        let (store, wg_id) = (store.clone(), wg_id.clone());
        async move {
            domain::store::Invitations::invitation(&store, &wg_id, &id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let tags_of = |invitation: &domain::invitation::Invitation| {
        vec![
            ("purpose".to_owned(), "invitation".to_owned()),
            ("workgroup".to_owned(), wg.clone()),
            ("invitation".to_owned(), invitation.id.to_string()),
            ("send".to_owned(), invitation.nonce.fingerprint()),
        ]
    };
    let event = |kind: &str, bounce_type: Option<&str>, to: &str, tags: &[(String, String)]| {
        let tags: Vec<(&str, &str)> = tags.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let payload =
            serde_json::from_value(tests::functions::ses_event(kind, bounce_type, to, &tags))
                .unwrap();
        LambdaEvent::new(payload, Context::default())
    };
    let feedback = |e| feedback::handle(&store, e);

    let first = stored(id_of(0)).await;
    let first_tags = tags_of(&first);
    // A soft bounce is SES still trying: nothing changes.
    let soft = feedback(event("Bounce", Some("Transient"), bounced, &first_tags))
        .await
        .unwrap();
    assert_eq!(soft, feedback::FeedbackReport::Ignored);
    assert_eq!(
        stored(id_of(0)).await.delivery,
        domain::invitation::Delivery::Sent
    );
    // A permanent bounce marks it, twice is the same.
    for _ in 0..2 {
        let hard = feedback(event("Bounce", Some("Permanent"), bounced, &first_tags))
            .await
            .unwrap();
        assert_eq!(hard, feedback::FeedbackReport::Recorded);
    }
    assert_eq!(
        stored(id_of(0)).await.delivery,
        domain::invitation::Delivery::Bounced
    );
    let other = stored(id_of(1)).await;
    let complained = feedback(event("Complaint", None, complaining, &tags_of(&other)))
        .await
        .unwrap();
    assert_eq!(complained, feedback::FeedbackReport::Recorded);
    assert_eq!(
        stored(id_of(1)).await.delivery,
        domain::invitation::Delivery::Complained
    );

    // Neither gets a reminder, even when one is due (a tick 29 days on would remind both; the
    // sweep is run on the store directly, as of then).
    let late = first.expires_at() - chrono::TimeDelta::hours(1);
    let report = remind.app.send_due_reminders(late, || true).await.unwrap();
    assert_eq!(report.sent, 0, "{report:?}");
    assert_eq!(emails_to(bounced), 1);
    assert_eq!(emails_to(complaining), 1);

    // An explicit resend mails again, and a late report about the old email changes nothing.
    let resent = send(
        &manage,
        &api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations/{}/resend", first.id),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    assert_eq!(resent.assert_ok(200)["delivery"], "queued");
    tests::functions::drain(&stack, &sender).await;
    assert_eq!(emails_to(bounced), 2);
    let late_report = feedback(event("Bounce", Some("Permanent"), bounced, &first_tags))
        .await
        .unwrap();
    assert_eq!(late_report, feedback::FeedbackReport::Superseded);
    assert_eq!(
        stored(id_of(0)).await.delivery,
        domain::invitation::Delivery::Sent
    );

    // Not ours: no purpose tag, or another system's ids.
    let foreign = feedback(event(
        "Bounce",
        None,
        bounced,
        &[("purpose".into(), "newsletter".into())],
    ))
    .await
    .unwrap();
    assert_eq!(foreign, feedback::FeedbackReport::NotOurs);
    let mut forged = tags_of(&first);
    forged[2].1 = "inv_not-an-id".into();
    let forged = feedback(event("Bounce", None, bounced, &forged))
        .await
        .unwrap();
    assert_eq!(forged, feedback::FeedbackReport::NotOurs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invites_never_pass_the_pending_cap_on_dynamodb() {
    let mut stack = Stack::new("pending-cap").await;
    stack
        .0
        .env
        .insert("PENDING_INVITATION_LIMIT".into(), "5".into());
    let workgroups = stack.deploy(Function::Workgroups).await;
    let invite = stack.deploy(Function::Invite).await;
    let manage = stack.deploy(Function::Manage).await;
    let list = stack.deploy(Function::List).await;
    let sender = stack.deploy(Function::Send).await;
    let wg = tests::functions::workgroup(&workgroups, ADMIN, "Acme").await;
    let emails: Vec<String> = (0..12)
        .map(|i| format!("burst{i}@people.example"))
        .collect();
    let answers = futures::future::join_all(emails.iter().map(|email| {
        let event = api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            Some(json!({ "emails": email, "role": "associate" })),
        );
        let invite = &invite;
        async move { send(invite, &event).await }
    }))
    .await;
    let invited: Vec<&tests::harness::Answer> =
        answers.iter().filter(|a| a.status == 200).collect();
    let refused = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!((invited.len(), refused), (5, 7), "{answers:?}");
    assert_eq!(tests::functions::drain(&stack, &sender).await, 5);
    let events = send(
        &list,
        &api_gateway_event(
            "GET",
            &format!("/workgroups/{wg}/events"),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    let events = events.assert_ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(
        events.len(),
        10,
        "an invitation and a delivery each: {events:?}"
    );

    // Cancelling one frees a place for the next invite.
    let first = invited[0].body["results"][0]["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancelled = send(
        &manage,
        &api_gateway_event(
            "DELETE",
            &format!("/workgroups/{wg}/invitations/{first}"),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    assert_eq!(cancelled.status, 204);
    let next = send(
        &invite,
        &api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            Some(json!({ "emails": "late@people.example", "role": "associate" })),
        ),
    )
    .await;
    next.assert_ok(200);
}

#[tokio::test]
async fn the_list_function_serves_the_console_with_this_deployments_sign_in() {
    let mut stack = Stack::new("console").await;
    let list = stack.deploy(Function::List).await;
    let config = send(&list, &api_gateway_event("GET", "/config.json", None, None)).await;
    assert_eq!(
        config.assert_ok(200),
        &json!({ "signIn": { "kind": "none" } })
    );

    for (name, value) in [
        (
            "SIGN_IN_DOMAIN",
            "https://acme.auth.us-east-1.amazoncognito.com",
        ),
        ("SIGN_IN_CLIENT_ID", "abc123"),
    ] {
        stack.0.env.insert(name.into(), value.into());
    }
    let list = stack.deploy(Function::List).await;
    let config = send(&list, &api_gateway_event("GET", "/config.json", None, None)).await;
    assert_eq!(
        config.assert_ok(200),
        &json!({ "signIn": {
            "kind": "oidc",
            "authorize": "https://acme.auth.us-east-1.amazoncognito.com/oauth2/authorize",
            "token": "https://acme.auth.us-east-1.amazoncognito.com/oauth2/token",
            "clientId": "abc123",
            "scope": "openid email profile"
        } })
    );
    let page = send(&list, &api_gateway_event("GET", "/accept", None, None)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.as_str().unwrap().contains("/web/app.js"));
    // The page may talk to its own origin and the hosted UI's, and to no other.
    let (_, headers) = answer_with_headers(&list, &api_gateway_event("GET", "/", None, None)).await;
    let policy = headers["content-security-policy"].to_str().unwrap();
    let allowed = "'self' https://acme.auth.us-east-1.amazoncognito.com;";
    assert!(
        policy.contains(&format!("connect-src {allowed}")),
        "{policy}"
    );
    assert!(
        policy.contains(&format!("form-action {allowed}")),
        "{policy}"
    );
    assert!(
        !policy.contains("https:;") && !policy.contains("https: "),
        "{policy}"
    );
    // The other functions serve neither.
    let invite = stack.deploy(Function::Invite).await;
    for path in ["/", "/config.json"] {
        let answer = send(&invite, &api_gateway_event("GET", path, None, None)).await;
        answer.assert_problem(404);
    }
}

#[tokio::test]
async fn a_function_whose_table_cannot_be_warmed_up_still_starts_and_says_why_on_use() {
    let stack = Stack::new("coldtable").await;
    let mut config = stack.config(Function::List);
    config.table = "no-such-table".into();
    let list = runtime::Deployment::connect(config, &stack.sdk)
        .await
        .expect("the warm-up's failure does not stop the start");
    let answer = send(
        &list,
        &api_gateway_event(
            "GET",
            &format!("/workgroups/wg_{:032}/agents", 0),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    assert_eq!(answer.status, 500, "{answer:?}");
}

/// A function's answer to an event: status and headers.
async fn answer_with_headers(
    deployment: &runtime::Deployment,
    event: &serde_json::Value,
) -> (u16, lambda_http::http::HeaderMap) {
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = tests::harness::answer_http(deployment, request).await;
    (response.status().as_u16(), response.headers().clone())
}

#[tokio::test]
async fn every_answer_of_a_function_asks_for_https_and_says_nosniff() {
    let stack = Stack::new("headers").await;
    let list = stack.deploy(Function::List).await;
    let workgroups = stack.deploy(Function::Workgroups).await;
    let cases = [
        (&workgroups, too_large_event(), 413),
        (
            &workgroups,
            api_gateway_event(
                "POST",
                "/workgroups",
                Some(ADMIN),
                Some(json!({"name": "A"})),
            ),
            201,
        ),
        (
            &workgroups,
            api_gateway_event("GET", "/workgroups", None, None),
            401,
        ),
        (
            &workgroups,
            api_gateway_event("GET", "/config.json", None, None),
            404,
        ),
        (
            &list,
            api_gateway_event("GET", "/config.json", None, None),
            200,
        ),
        (&list, api_gateway_event("GET", "/", None, None), 200),
        (
            &list,
            api_gateway_event("GET", "/openapi.json", None, None),
            200,
        ),
        (&list, too_large_event(), 413),
    ];
    for (function, event, status) in cases {
        let what = format!(
            "{} {}",
            event["requestContext"]["http"]["method"], event["rawPath"]
        );
        let (answered, headers) = answer_with_headers(function, &event).await;
        assert_eq!(answered, status, "{what}");
        assert_eq!(
            headers["strict-transport-security"], "max-age=31536000; includeSubDomains",
            "{what}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["cache-control"], "no-store", "{what}");
    }
    let answer = send(&workgroups, &too_large_event()).await;
    answer.assert_problem(413);
}

/// A request whose body is one byte over the limit.
fn too_large_event() -> serde_json::Value {
    let mut event = api_gateway_event("POST", "/workgroups", Some(ADMIN), None);
    event["body"] = json!(" ".repeat(api::MAX_BODY_BYTES + 1));
    event
}
