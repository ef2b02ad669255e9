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

mod events_and_startup;

const ADMIN: &str = "admin@acme.example";

#[tokio::test]
async fn the_seed_story_across_the_functions() {
    let stack = Stack::new("functions").await;
    let workgroups = stack.deploy(Function::Workgroups).await;
    let invite = stack.deploy(Function::Invite).await;
    let list = stack.deploy(Function::List).await;
    let manage = stack.deploy(Function::Manage).await;
    let accept = stack.deploy(Function::Accept).await;
    let sender = stack.sender().await;

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
    let sender = stack.sender().await;
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

/// A function's answer to an event: status and headers.
async fn answer_with_headers(
    deployment: &runtime::Deployment,
    event: &serde_json::Value,
) -> (u16, lambda_http::http::HeaderMap) {
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = tests::harness::answer_http(deployment, request).await;
    (response.status().as_u16(), response.headers().clone())
}

/// A request whose body is one byte over the limit.
fn too_large_event() -> serde_json::Value {
    let mut event = api_gateway_event("POST", "/workgroups", Some(ADMIN), None);
    event["body"] = json!(" ".repeat(api::MAX_BODY_BYTES + 1));
    event
}
