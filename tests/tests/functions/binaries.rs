//! The real function binaries, each started as Lambda starts it: a process with the templates'
//! environment and `AWS_LAMBDA_RUNTIME_API` pointing at an emulated Runtime API, talking to
//! DynamoDB, SQS, SES and Secrets Manager in moto. Together they run the seed story, the send
//! function taking what the others queued as SQS events; their logs are read back.

use std::{
    collections::BTreeMap,
    process::{Child, Command, Stdio},
    time::Duration,
};

use chrono::{SubsecRound, Utc};
use runtime::Function;
use serde_json::{Value, json};
use tests::functions::{Stack, answer_of, emails_to, latest_token, scheduler_event};
use tests::{
    harness::api_gateway_event,
    runtime_api::{Outcome, RuntimeApi},
};

const ADMIN: &str = "admin@acme.example";
/// A bearer the events carry, as API Gateway passes the Authorization header on.
const BEARER: &str =
    "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLW5vdC1mb3ItbG9ncw";
const WITHIN: Duration = Duration::from_secs(60);
/// Every function runs with Lambda's longest timeout: no sweep stops early here.
const TIMEOUT: Duration = Duration::from_secs(900);

/// One function process under its own Runtime API; its stdout and stderr go to `log`.
struct Running {
    runtime: RuntimeApi,
    child: Child,
    log: tempfile::NamedTempFile,
}

impl Running {
    async fn start(function: Function, env: &[(String, String)]) -> Self {
        let runtime = RuntimeApi::start_with_timeout(TIMEOUT).await;
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = Command::new(tests::binaries::binary(function))
            .env_clear()
            .envs(env.iter().cloned())
            .envs(runtime.lambda_environment(function.name()))
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .stdin(Stdio::null())
            .spawn()
            .expect("the binary starts");
        Self {
            runtime,
            child,
            log,
        }
    }

    async fn http(&self, event: Value) -> tests::harness::Answer {
        match self.runtime.invoke(&event, WITHIN).await {
            Outcome::Response(response) => {
                let status = response["statusCode"].as_u64().expect("a status") as u16;
                let content_type = response["headers"]["content-type"].as_str();
                let body = response["body"].as_str().unwrap_or_default();
                answer_of(status, content_type, body.as_bytes())
            }
            Outcome::Error(error) => panic!("the function failed: {error}"),
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap()
    }

    /// Hands the send function what the stack's queue holds, batch by batch, as its event source
    /// mapping does: each message it does not report back is deleted. Returns how many were
    /// handled; none may be reported back here.
    async fn drain(&self, stack: &Stack) -> usize {
        let queue = stack.queue();
        let mut handled = 0;
        while let Some(event) = stack.queued_batch(30).await {
            let response = match self.runtime.invoke(&event, WITHIN).await {
                Outcome::Response(response) => response,
                Outcome::Error(error) => panic!("the send function failed: {error}"),
            };
            assert_eq!(
                response,
                json!({"batchItemFailures": []}),
                "a batch response, with nothing to try again"
            );
            for record in event["Records"].as_array().unwrap() {
                queue
                    .delete(record["receiptHandle"].as_str().unwrap())
                    .await
                    .expect("deleted");
                handled += 1;
            }
        }
        handled
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn with_bearer(mut event: Value) -> Value {
    event["headers"]["authorization"] = json!(BEARER);
    event
}

#[tokio::test]
async fn every_function_binary_starts_reads_its_config_and_answers() {
    let stack = Stack::new("binaries").await;
    let env = stack.process_env();
    let mut running = Vec::new();
    for function in Function::ALL {
        running.push((function, Running::start(function, &env).await));
    }
    for (function, process) in &running {
        assert!(
            process.runtime.wait_for_first_poll(WITHIN).await.is_some(),
            "{function:?} never asked for an event; its log:\n{}",
            process.log()
        );
    }
    let get = |f: Function| &running.iter().find(|(g, _)| *g == f).unwrap().1;

    let created = get(Function::Workgroups)
        .http(with_bearer(api_gateway_event(
            "POST",
            "/workgroups",
            Some(ADMIN),
            Some(json!({ "name": "Acme" })),
        )))
        .await;
    let wg = created.assert_ok(201)["id"].as_str().unwrap().to_owned();

    let ann = "ann@binaries.example";
    let cy = "cy@binaries.example";
    let invited = get(Function::Invite)
        .http(with_bearer(api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            Some(json!({ "emails": [ann, cy], "role": "associate" })),
        )))
        .await;
    assert_eq!(invited.assert_ok(200)["results"][0]["outcome"], "invited");
    assert_eq!(
        invited.body["results"][0]["invitation"]["delivery"],
        "queued"
    );
    assert_eq!(emails_to(ann), 0, "invite only queues");
    assert_eq!(get(Function::Send).drain(&stack).await, 2);
    assert_eq!((emails_to(ann), emails_to(cy)), (1, 1));
    let cy_id = invited.body["results"][1]["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = invited.body["results"][0]["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let listed = get(Function::List)
        .http(with_bearer(api_gateway_event(
            "GET",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            None,
        )))
        .await;
    let listed_emails: Vec<&str> = listed.assert_ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert!(listed_emails.contains(&ann), "{listed_emails:?}");

    let resent = get(Function::Manage)
        .http(with_bearer(api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations/{id}/resend"),
            Some(ADMIN),
            None,
        )))
        .await;
    resent.assert_ok(200);
    assert_eq!(get(Function::Send).drain(&stack).await, 1);
    assert_eq!(emails_to(ann), 2);
    let token = latest_token(ann);

    let accepted = get(Function::Accept)
        .http(with_bearer(api_gateway_event(
            "POST",
            "/invitations/accept",
            Some(ann),
            Some(json!({ "token": token, "name": "Ann" })),
        )))
        .await;
    assert_eq!(accepted.assert_ok(200)["agent"]["role"], "associate");

    let tick = scheduler_event(&Utc::now().trunc_subsecs(0).to_rfc3339());
    let swept = match get(Function::Remind).runtime.invoke(&tick, WITHIN).await {
        Outcome::Response(report) => report,
        Outcome::Error(error) => panic!("the sweep failed: {error}"),
    };
    assert_eq!(swept["skipped_tick"], false, "{swept}");
    assert_eq!(swept["reminders"]["sent"], 0, "nothing is due yet: {swept}");
    assert_eq!(
        swept["deliveries"]["sent"], 0,
        "every email was handed over: {swept}"
    );

    // SES reports that cy's address bounced.
    let store = aws::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&stack.sdk),
        stack.table.clone(),
    );
    let wg_id = domain::ids::WorkgroupId::parse(&wg).unwrap();
    let cy_invitation = domain::store::Invitations::invitation(
        &store,
        &wg_id,
        &domain::ids::InvitationId::parse(&cy_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let bounce = tests::functions::ses_event(
        "Bounce",
        None,
        cy,
        &[
            ("purpose", "invitation"),
            ("workgroup", &wg),
            ("invitation", &cy_id),
            ("send", &cy_invitation.nonce.fingerprint()),
        ],
    );
    match get(Function::Feedback)
        .runtime
        .invoke(&bounce, WITHIN)
        .await
    {
        Outcome::Response(report) => assert_eq!(report, "recorded"),
        Outcome::Error(error) => panic!("the feedback function failed: {error}"),
    }
    let listed = get(Function::List)
        .http(with_bearer(api_gateway_event(
            "GET",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            None,
        )))
        .await;
    let cy_row = listed.assert_ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == cy)
        .unwrap()
        .clone();
    assert_eq!(cy_row["delivery"], "bounced");

    // The audit trail so far, from the table's stream to the bus.
    let items = stack.event_items(&wg_id).await;
    assert!(
        items.len() >= 6,
        "invited, delivered, resent, accepted, bounced...: {items:?}"
    );
    match get(Function::Publish)
        .runtime
        .invoke(&stack.stream_batch(&items), WITHIN)
        .await
    {
        Outcome::Response(report) => {
            assert_eq!(report["batchItemFailures"], json!([]), "{report}")
        }
        Outcome::Error(error) => panic!("the publish function failed: {error}"),
    }
    let published = stack.published();
    assert_eq!(published.len(), items.len(), "{published:?}");
    let trail = get(Function::List)
        .http(with_bearer(api_gateway_event(
            "GET",
            &format!("/workgroups/{wg}/events"),
            Some(ADMIN),
            None,
        )))
        .await;
    let listed = trail.assert_ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(listed.len(), items.len());
    for event in &listed {
        assert!(
            published.iter().any(|p| p["detail"] == *event
                && p["detail-type"] == event["type"]
                && p["source"] == aws::events::SOURCE),
            "{event} was not published as listed: {published:?}"
        );
    }
    assert!(
        listed
            .iter()
            .any(|e| e["type"] == "invitation.delivery" && e["delivery"] == "bounced"),
        "the bounce is in the trail: {listed:?}"
    );

    // Dee declines; Ada cancels cy's bounced invitation.
    let dee = "dee@binaries.example";
    get(Function::Invite)
        .http(with_bearer(api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            Some(json!({ "emails": dee, "role": "associate" })),
        )))
        .await
        .assert_ok(200);
    assert_eq!(get(Function::Send).drain(&stack).await, 1);
    get(Function::Accept)
        .http(api_gateway_event(
            "POST",
            "/invitations/decline",
            None,
            Some(json!({ "token": latest_token(dee) })),
        ))
        .await
        .assert_ok(200);
    let cancelled = get(Function::Manage)
        .http(with_bearer(api_gateway_event(
            "DELETE",
            &format!("/workgroups/{wg}/invitations/{cy_id}"),
            Some(ADMIN),
            None,
        )))
        .await;
    assert_eq!(cancelled.status, 204, "{:?}", cancelled.body);

    // Logs: one JSON object per line, tied to the request id; no token, bearer or email body.
    let mut metrics = BTreeMap::new();
    for (function, process) in &running {
        let log = process.log();
        let lines: Vec<Value> = log
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|_| {
                    panic!("{function:?} logged a line that is not JSON: {line}")
                })
            })
            .collect();
        assert!(
            !log.contains(&token),
            "{function:?} logged the token:\n{log}"
        );
        assert!(
            !log.contains("signature-not-for-logs"),
            "{function:?} logged the bearer"
        );
        assert!(
            !log.contains("#token="),
            "{function:?} logged a link:\n{log}"
        );
        for text in ["invited to join the workgroup", "invited you to join"] {
            assert!(
                !log.contains(text),
                "{function:?} logged an email's text:\n{log}"
            );
        }
        let mut seen = BTreeMap::new();
        for document in lines.iter().filter(|l| tests::emf::is_emf(l)) {
            tests::emf::check(document, function.name(), &mut seen);
        }
        for (name, seen) in seen {
            metrics.insert((function.name(), name), (seen.sum, seen.values));
        }
        // Every line from the first invocation on carries its request id and trace id.
        let ids = |line: &Value| {
            let ids = if tests::emf::is_emf(line) {
                line
            } else {
                &line["span"]
            };
            (ids["requestId"].is_string(), ids["xrayTraceId"].is_string())
        };
        let invoked = lines.iter().position(|l| ids(l).0).unwrap_or(lines.len());
        for line in &lines[invoked..] {
            assert_eq!(
                ids(line),
                (true, true),
                "{function:?} logged without ids: {line}"
            );
        }
        if function.answers_http() {
            let answered = lines
                .iter()
                .find(|l| l["fields"]["message"] == "answered")
                .unwrap_or_else(|| panic!("{function:?} logged no answer:\n{log}"));
            assert!(answered["span"]["requestId"].is_string(), "{answered}");
            assert!(
                answered["fields"]["route"].as_str().unwrap().contains(' '),
                "{answered}"
            );
        }
        if *function == Function::Send {
            let batches: Vec<&Value> = lines
                .iter()
                .filter(|l| l["fields"]["message"] == "batch done")
                .collect();
            assert_eq!(batches.len(), 3, "one line a batch:\n{log}");
            assert!(
                batches[0]["span"]["requestId"].is_string(),
                "{}",
                batches[0]
            );
            assert_eq!(batches[0]["fields"]["sent"], 2, "{}", batches[0]);
        }
        if *function == Function::Remind {
            let done = lines
                .iter()
                .find(|l| l["fields"]["message"] == "sweep done")
                .unwrap_or_else(|| panic!("no sweep line in:\n{log}"));
            assert!(done["span"]["requestId"].is_string(), "{done}");
        }
    }
    // Each business event of the story, as the function that made it counted it: the sum of a
    // count, and how many measurements of a time.
    let count =
        |function, name: &str, sum: f64, values| ((function, name.to_owned()), (sum, values));
    let timed = |function, name: &str, values| {
        let (sum, _) = metrics[&(function, name.to_owned())];
        count(function, name, sum, values)
    };
    let expected = BTreeMap::from([
        count("invite", "InvitationsSent", 3.0, 2),
        count("invite", "EmailsQueued", 3.0, 2),
        count("manage", "InvitationsResent", 1.0, 1),
        count("manage", "EmailsQueued", 1.0, 1),
        count("manage", "InvitationsCancelled", 1.0, 1),
        count("accept", "InvitationsAccepted", 1.0, 1),
        timed("accept", "TimeToAcceptance", 1),
        count("accept", "InvitationsDeclined", 1.0, 1),
        count("send", "EmailsHandedOver", 4.0, 3),
        timed("send", "DeliveryLag", 4),
        timed("remind", "SweepDuration", 3),
        count("remind", "SweepItems", 0.0, 1),
        count("feedback", "EmailsBounced", 1.0, 1),
    ]);
    assert_eq!(metrics, expected);
}

#[tokio::test]
async fn a_function_missing_a_variable_stops_at_start_naming_it() {
    let stack = Stack::new("misconfigured").await;
    for (function, missing) in [
        (Function::Invite, "QUEUE_URL"),
        (Function::Send, "SES_SENDER"),
        (Function::List, "TABLE_NAME"),
        (Function::Remind, "SECRET_KEY_ARN"),
        (Function::Feedback, "TABLE_NAME"),
        (Function::Publish, "EVENT_BUS_NAME"),
    ] {
        let env: Vec<(String, String)> = stack
            .process_env()
            .into_iter()
            .filter(|(name, _)| name != missing)
            .collect();
        let mut process = Running::start(function, &env).await;
        let status = wait(&mut process.child, WITHIN).unwrap_or_else(|| {
            panic!(
                "{function:?} kept running without {missing}: {}",
                process.log()
            )
        });
        assert!(!status.success());
        assert_eq!(process.runtime.polls(), 0, "it must not take events");
        let log = process.log();
        assert!(log.contains(missing), "{function:?}: {log}");
        for line in log.lines() {
            serde_json::from_str::<Value>(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        }
    }
    // A secret that is not a key stops the start too.
    let mut env = stack.process_env();
    let arn = aws_sdk_secretsmanager::Client::new(&stack.sdk)
        .create_secret()
        .name(format!("{}-not-a-key", stack.table))
        .secret_string("hunter2")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    env.retain(|(name, _)| name != "SECRET_KEY_ARN");
    env.push(("SECRET_KEY_ARN".into(), arn));
    let mut process = Running::start(Function::Accept, &env).await;
    assert!(
        !wait(&mut process.child, WITHIN)
            .expect("it stops")
            .success()
    );
    let log = process.log();
    assert!(log.contains("does not hold a key"), "{log}");
    assert!(
        !log.contains("hunter2"),
        "the secret's value was logged: {log}"
    );
}

fn wait(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}
