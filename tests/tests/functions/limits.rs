//! The daily limits and the sign-in binding through the functions as deployed, on DynamoDB,
//! SES and Secrets Manager in moto: twenty concurrent requests at each limit make exactly the
//! limit, the rest are 429 problem+json and change nothing; another subject with an agent's
//! address is refused and recorded.

use futures::future::join_all;
use runtime::{Deployment, Function};
use serde_json::{Value, json};
use tests::functions::{Stack, emails_to, send};
use tests::harness::{Answer, api_gateway_event};

const ADMIN: &str = "admin@acme.example";

async fn stack_with(label: &str, env: &[(&str, &str)]) -> Stack {
    let mut stack = Stack::new(label).await;
    for (name, value) in env {
        stack.0.env.insert((*name).to_owned(), (*value).to_owned());
    }
    stack
}

fn invite_event(by: &str, wg: &str, email: &str) -> Value {
    api_gateway_event(
        "POST",
        &format!("/workgroups/{wg}/invitations"),
        Some(by),
        Some(json!({ "emails": email, "role": "associate" })),
    )
}

fn counted(answers: &[Answer], kind: &str) -> (usize, usize) {
    let granted = answers.iter().filter(|a| a.status / 100 == 2).count();
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.status / 100 != 2).collect();
    for answer in &refused {
        answer.assert_problem(429);
        assert_eq!(
            answer.body["type"],
            format!("/problems/{kind}"),
            "{answer:?}"
        );
    }
    (granted, refused.len())
}

async fn my_workgroups(workgroups: &Deployment, who: &str) -> usize {
    let mine = send(
        workgroups,
        &api_gateway_event("GET", "/workgroups", Some(who), None),
    )
    .await;
    mine.assert_ok(200)["items"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_workgroup_creations_make_exactly_the_limit_on_dynamodb() {
    let stack = stack_with("workgroup-limit", &[("WORKGROUP_DAILY_LIMIT", "3")]).await;
    let workgroups = stack.deploy(Function::Workgroups).await;
    // Registered first, so the burst races on the limit, not on registering.
    tests::functions::workgroup(&workgroups, ADMIN, "First").await;
    let answers = join_all((0..20).map(|n| {
        let event = api_gateway_event(
            "POST",
            "/workgroups",
            Some(ADMIN),
            Some(json!({ "name": format!("FREE PRIZE {n}") })),
        );
        let workgroups = &workgroups;
        async move { send(workgroups, &event).await }
    }))
    .await;
    assert_eq!(counted(&answers, "too-many-workgroups"), (2, 18));
    assert_eq!(my_workgroups(&workgroups, ADMIN).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_inviters_limit_holds_across_workgroups_on_dynamodb() {
    let stack = stack_with("inviter-limit", &[("INVITER_DAILY_LIMIT", "10")]).await;
    let workgroups = stack.deploy(Function::Workgroups).await;
    let invite = stack.deploy(Function::Invite).await;
    let mut groups = Vec::new();
    for n in 0..5 {
        groups.push(tests::functions::workgroup(&workgroups, ADMIN, &format!("Group {n}")).await);
    }
    let answers = join_all((0..20).map(|n| {
        let event = invite_event(ADMIN, &groups[n % 5], &format!("target{n}@people.example"));
        let invite = &invite;
        async move { send(invite, &event).await }
    }))
    .await;
    assert_eq!(counted(&answers, "too-many-invitations"), (10, 10));
    tests::functions::drain(&stack, &stack.sender().await).await;
    let sent: usize = (0..20)
        .map(|n| emails_to(&format!("target{n}@people.example")))
        .sum();
    assert_eq!(sent, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_address_receives_at_most_its_limit_whoever_sends_on_dynamodb() {
    let stack = stack_with("recipient-limit", &[("RECIPIENT_DAILY_LIMIT", "5")]).await;
    let workgroups = stack.deploy(Function::Workgroups).await;
    let invite = stack.deploy(Function::Invite).await;
    let mut senders = Vec::new();
    for n in 0..20 {
        let admin = format!("admin{n}@shops.example");
        let wg = tests::functions::workgroup(&workgroups, &admin, &format!("Shop {n}")).await;
        senders.push((admin, wg));
    }
    let target = "popular@people.example";
    let answers = join_all(senders.iter().map(|(admin, wg)| {
        let event = invite_event(admin, wg, target);
        let invite = &invite;
        async move { send(invite, &event).await }
    }))
    .await;
    assert_eq!(counted(&answers, "too-many-invitations"), (5, 15));
    tests::functions::drain(&stack, &stack.sender().await).await;
    assert_eq!(emails_to(target), 5);
}

#[tokio::test]
async fn another_subject_with_an_agents_address_is_refused_and_recorded_on_dynamodb() {
    let stack = Stack::new("sign-in").await;
    let workgroups = stack.deploy(Function::Workgroups).await;
    let invite = stack.deploy(Function::Invite).await;
    let list = stack.deploy(Function::List).await;
    let wg = tests::functions::workgroup(&workgroups, ADMIN, "Acme").await;
    let mut impostor = invite_event(ADMIN, &wg, "eve@people.example");
    impostor["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = json!("someone-else");
    let refused = send(&invite, &impostor).await;
    refused.assert_problem(403);
    assert_eq!(refused.body["type"], "/problems/sign-in-refused");
    assert_eq!(emails_to("eve@people.example"), 0);
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
    assert_eq!(events.len(), 1, "{events:?}");
    // The list function refuses too, and, reading only, records nothing.
    let mut reading = api_gateway_event(
        "GET",
        &format!("/workgroups/{wg}/agents"),
        Some(ADMIN),
        None,
    );
    reading["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = json!("someone-else");
    send(&list, &reading).await.assert_problem(403);
    assert_eq!(events[0]["type"], "agent.sign_in_refused");
    assert_eq!(events[0]["actor"]["subject"], "someone-else");
    assert_eq!(events[0]["agent"]["email"], ADMIN);
}
