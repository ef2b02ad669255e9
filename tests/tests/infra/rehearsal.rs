//! The deploy rehearsal: both templates deployed to moto's CloudFormation as a first deploy
//! with no custom domain would deploy them (the SAM template transformed by the pinned
//! `aws-sam-translator`, the CDK app synthesised), then every function binary run under the
//! emulated Lambda Runtime API with the environment its stack resolved, through one scenario
//! that calls each function the way its trigger in that stack does (the API's route, the
//! schedule's input, the rule's pattern, the stream's filter, the queue's event source: the
//! rehearsal polls the queue moto's CloudFormation made, as Lambda does, and hands the send
//! function what the other functions posted). Every AWS request a function makes is decided on
//! that function's policies in that stack (action, resource, conditions such as
//! `ses:FromAddress`) before it reaches moto; so is every call one service makes to another on
//! the stack's behalf (the API, the scheduler, EventBridge, the stream's and the queue's
//! pollers, CloudWatch's alarms). It fails on any denied request, any variable the code reads
//! that the stack leaves unset, and any difference between the two stacks not listed in
//! `DELIBERATE`.
//!
//! Types moto's CloudFormation lacks are created through moto's service backends
//! (`tests/rehearsal/moto_cfn.py`); the two it cannot hold are recorded only, and asserted so
//! here. Queues and event source mappings are moto's own, and checked as SQS and Lambda hold
//! them.

use std::{
    collections::BTreeMap,
    process::{Child, Command, Stdio},
    time::Duration,
};

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use chrono::{SubsecRound, Utc};
use runtime::{Function, config::VARIABLES, permissions::QUEUE_ACTIONS};
use serde_json::{Value, json};
use tests::{
    harness::api_gateway_event,
    rehearsal::{
        Deployment, cdk_cloudformation, deploy,
        gate::{ACCOUNT, Call, Context, Gate, REGION, refused},
        iam::{Decision, Request, decide},
        moto, sam_cloudformation,
        shape::{differences, shape},
    },
    runtime_api::{Outcome, RuntimeApi},
};

const WITHIN: Duration = Duration::from_secs(60);
const SENDER: &str = "no-reply@acme.example";

/// Where the two stacks differ on purpose: a path in their shapes (or its start), and why.
const DELIBERATE: &[(&str, &str)] = &[
    (
        "alarm:FunctionErrorsAlarm/Properties/Metrics/0/Id",
        "the id of the summed expression: the CDK numbers it (expr_1), nothing refers to it",
    ),
    (
        "alarm:FunctionThrottlesAlarm/Properties/Metrics/0/Id",
        "the id of the summed expression: the CDK numbers it (expr_1), nothing refers to it",
    ),
    (
        "role:reminders schedule/Properties/grants",
        "the CDK's schedule target also grants invoking the function's versions (<remind>:*); \
         both schedules invoke the unqualified function, which both roles may",
    ),
    (
        "role:deliveries schedule/Properties/grants",
        "the CDK's schedule target also grants invoking the function's versions (<remind>:*); \
         both schedules invoke the unqualified function, which both roles may",
    ),
];

/// The CloudFormation types the rehearsal's moto only records (moto_cfn.py's RECORDED_ONLY):
/// nothing reads them back.
const RECORDED_ONLY: &[&str] = &[
    "AWS::SES::ConfigurationSetEventDestination",
    "AWS::CloudWatch::Alarm",
];

fn function_of(name: &str) -> Function {
    Function::ALL
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}

/// One function of a deployment: its process under its own Runtime API, talking to AWS through
/// its own gate.
struct Running {
    function: Function,
    runtime: RuntimeApi,
    gate: Gate,
    child: Child,
    log: tempfile::NamedTempFile,
}

impl Running {
    async fn start(
        deployment: &Deployment,
        function: Function,
        overrides: &[(&str, &str)],
    ) -> Self {
        let deployed = deployment.function(function.name());
        let statements = deployment.role_statements(&deployed.role_arn);
        let gate = Gate::start(
            statements,
            &moto().moto.endpoint(),
            Context {
                ses_identities: deployment.ses_identities(),
            },
        )
        .await;
        let timeout = deployment.lambda[&deployed.logical_id]["Timeout"]
            .as_u64()
            .expect("a timeout");
        let runtime = RuntimeApi::start_with_timeout(Duration::from_secs(timeout)).await;
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut environment = deployed.environment.clone();
        for (name, value) in overrides {
            environment.insert((*name).to_owned(), (*value).to_owned());
        }
        let child = Command::new(tests::binaries::binary(function))
            .env_clear()
            .envs(environment)
            .envs(runtime.lambda_environment(&deployed.name))
            .envs([
                ("AWS_ENDPOINT_URL", gate.endpoint()),
                ("AWS_REGION", REGION.to_owned()),
                ("AWS_ACCESS_KEY_ID", "ASIAREHEARSAL".to_owned()),
                ("AWS_SECRET_ACCESS_KEY", "rehearsal".to_owned()),
                ("AWS_SESSION_TOKEN", "rehearsal".to_owned()),
                ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ])
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .stdin(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let running = Self {
            function,
            runtime,
            gate,
            child,
            log,
        };
        assert!(
            running.runtime.wait_for_first_poll(WITHIN).await.is_some(),
            "{}: {function:?} never asked for an event; its log:\n{}\nits calls: {:?}",
            deployment.tool,
            running.log(),
            refused(&running.gate.calls())
        );
        running
    }

    async fn invoke(&self, event: &Value) -> Value {
        match self.runtime.invoke(event, WITHIN).await {
            Outcome::Response(response) => response,
            Outcome::Error(error) => panic!("{:?} failed: {error}\n{}", self.function, self.log()),
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A deployment with all its functions running.
struct Rehearsal<'d> {
    deployment: &'d Deployment,
    running: BTreeMap<&'static str, Running>,
    api_id: String,
    issuer: String,
    audience: String,
}

impl<'d> Rehearsal<'d> {
    async fn start(deployment: &'d Deployment) -> Self {
        let mut running = BTreeMap::new();
        for function in Function::ALL {
            running.insert(
                function.name(),
                Running::start(deployment, function, &[]).await,
            );
        }
        let (api_id, issuer, audience) = deployment.api();
        Self {
            deployment,
            running,
            api_id,
            issuer,
            audience: audience.first().cloned().unwrap_or_default(),
        }
    }

    fn get(&self, function: Function) -> &Running {
        &self.running[function.name()]
    }

    /// An HTTP request as API Gateway hands it over: routed by the stack's routes, authorized
    /// as the route says, and invoked only if the function's permissions let the API call it
    /// for that route.
    async fn http(
        &self,
        method: &str,
        path: &str,
        as_email: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let d = self.deployment;
        let route = d
            .routes()
            .into_iter()
            .find(|r| matches_route(&r.key, method, path.split('?').next().unwrap()))
            .unwrap_or_else(|| panic!("{}: no route for {method} {path}", d.tool));
        let (_, template) = route.key.split_once(' ').unwrap();
        let signed_in = route.authorization == "JWT";
        assert!(
            signed_in || as_email.is_none(),
            "{}: {} is open, the scenario signs in for it",
            d.tool,
            route.key
        );
        let function = d.function(&route.function);
        let source = format!(
            "arn:aws:execute-api:{REGION}:{ACCOUNT}:{}/$default/{method}{template}",
            self.api_id
        );
        let invoke = Request::new("lambda:InvokeFunction", &function.arn)
            .from_service("apigateway.amazonaws.com")
            .with("aws:SourceArn", &source)
            .with("aws:SourceAccount", ACCOUNT);
        assert_eq!(
            decide(&d.invoke_permissions(&function.arn), &invoke),
            Decision::Allow,
            "{}: the API may not invoke {} for {}",
            d.tool,
            route.function,
            route.key
        );
        let mut event =
            api_gateway_event(method, path, if signed_in { as_email } else { None }, body);
        event["routeKey"] = json!(route.key);
        event["requestContext"]["routeKey"] = json!(route.key);
        event["requestContext"]["apiId"] = json!(self.api_id);
        event["requestContext"]["domainName"] = json!(format!(
            "{}.execute-api.{REGION}.amazonaws.com",
            self.api_id
        ));
        let mut parameters = serde_json::Map::new();
        for (pattern, segment) in template
            .split('/')
            .zip(path.split('?').next().unwrap().split('/'))
        {
            if let Some(name) = pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                parameters.insert(name.to_owned(), json!(segment));
            }
        }
        if !parameters.is_empty() {
            event["pathParameters"] = Value::Object(parameters);
        }
        if signed_in {
            let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
            claims["iss"] = json!(self.issuer);
            claims["aud"] = json!(self.audience);
        }
        let response = self.get(function_of(&route.function)).invoke(&event).await;
        let status = response["statusCode"].as_u64().expect("a status") as u16;
        let body = response["body"].as_str().unwrap_or_default();
        (status, serde_json::from_str(body).unwrap_or(json!(body)))
    }
}

/// The queue of due emails as the stack made it, and the send function's event source on it.
struct EmailsSource {
    arn: String,
    url: String,
    /// The event source mapping's resolved properties.
    mapping: Value,
}

impl EmailsSource {
    fn of(d: &Deployment) -> Self {
        let send = d.function("send");
        let mappings: Vec<&Value> = d
            .of_type("AWS::Lambda::EventSourceMapping")
            .map(|(_, m)| &m["Properties"])
            .filter(|m| m["FunctionName"] == send.name.as_str())
            .collect();
        assert_eq!(mappings.len(), 1, "{}: one event source for send", d.tool);
        let arn = mappings[0]["EventSourceArn"].as_str().unwrap().to_owned();
        let (_, queue) = queue_of(d, &arn);
        Self {
            url: queue["PhysicalId"].as_str().unwrap().to_owned(),
            arn,
            mapping: mappings[0].clone(),
        }
    }
}

/// The queue resource with this ARN.
fn queue_of<'d>(d: &'d Deployment, arn: &str) -> (&'d String, &'d Value) {
    let name = arn.rsplit(':').next().unwrap_or_default();
    d.of_type("AWS::SQS::Queue")
        .find(|(_, q)| {
            q["PhysicalId"]
                .as_str()
                .is_some_and(|url| url.ends_with(&format!("/{name}")))
        })
        .unwrap_or_else(|| panic!("{}: no queue {arn}", d.tool))
}

/// An SQS batch as Lambda's event source mapping hands it to the function.
fn sqs_event(queue_arn: &str, messages: &[Message]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, Value> = m
                .attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| (name.as_str().to_owned(), json!(value)))
                .collect();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            })
        })
        .collect();
    json!({ "Records": records })
}

impl Rehearsal<'_> {
    /// Lambda's poller on the queue of due emails, as the stack's event source mapping runs
    /// it: batches of what the queue holds handed to the send function, each message it does
    /// not report back deleted (one it reports comes back after the queue's visibility
    /// timeout). The poller reads and deletes with the send function's role, which must allow
    /// it. Returns the messages handled and those reported back.
    async fn drain(&self) -> (usize, usize) {
        let d = self.deployment;
        let source = EmailsSource::of(d);
        let role = d.role_statements(&d.function("send").role_arn);
        for action in QUEUE_ACTIONS {
            assert_eq!(
                decide(&role, &Request::new(action, &source.arn)),
                Decision::Allow,
                "{}: the queue's poller needs {action}",
                d.tool
            );
        }
        let batch = source.mapping["BatchSize"].as_i64().unwrap_or(10) as i32;
        let sqs = aws_sdk_sqs::Client::new(&moto().moto.sdk_config().await);
        let (mut handled, mut reported) = (0, 0);
        loop {
            let received = sqs
                .receive_message()
                .queue_url(&source.url)
                .max_number_of_messages(batch)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .expect("the poller receives");
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                return (handled, reported);
            }
            let response = self
                .get(Function::Send)
                .invoke(&sqs_event(&source.arn, &messages))
                .await;
            let failures: Vec<&str> = response["batchItemFailures"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: a batch response: {response}", d.tool))
                .iter()
                .filter_map(|f| f["itemIdentifier"].as_str())
                .collect();
            for message in &messages {
                if failures.contains(&message.message_id().unwrap_or_default()) {
                    reported += 1;
                    continue;
                }
                sqs.delete_message()
                    .queue_url(&source.url)
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("the poller deletes");
                handled += 1;
            }
        }
    }
}

fn matches_route(key: &str, method: &str, path: &str) -> bool {
    let Some((route_method, template)) = key.split_once(' ') else {
        return false;
    };
    let (a, b): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    route_method == method
        && a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
}

/// EventBridge's matching of an event against a pattern, for the patterns the stacks use
/// (literal values and prefixes, nested).
fn pattern_matches(pattern: &Value, event: &Value) -> bool {
    let Some(fields) = pattern.as_object() else {
        return false;
    };
    fields.iter().all(|(name, wanted)| {
        let value = &event[name];
        match wanted {
            Value::Object(_) => pattern_matches(wanted, value),
            Value::Array(options) => {
                let values: Vec<&Value> = match value {
                    Value::Array(items) => items.iter().collect(),
                    one => vec![one],
                };
                options.iter().any(|option| {
                    values.iter().any(|v| match option {
                        Value::Object(rule) => rule["prefix"]
                            .as_str()
                            .zip(v.as_str())
                            .is_some_and(|(p, s)| s.starts_with(p)),
                        literal => *v == literal,
                    })
                })
            }
            _ => false,
        }
    })
}

/// The accept token in the latest email moto's SES received for `to`.
fn latest_token(to: &str) -> String {
    let emails = moto().moto.sent_emails();
    let email = emails
        .iter()
        .rev()
        .find(|e| e["destinations"]["ToAddresses"][0] == to)
        .unwrap_or_else(|| panic!("no email to {to}"));
    let body = email["body"].as_str().expect("a body");
    let start = body.find("#token=").expect("an accept link") + "#token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The scenario, on one deployment: every function called by its trigger in that stack.
async fn scenario(d: &Deployment, people: &str) {
    let stack = Rehearsal::start(d).await;
    let admin = format!("admin@{people}");
    let ann = format!("ann@{people}");
    let cy = format!("cy@{people}");

    let (status, created) = stack
        .http(
            "POST",
            "/workgroups",
            Some(&admin),
            Some(json!({"name": "Acme"})),
        )
        .await;
    assert_eq!(status, 201, "{}: {created}", d.tool);
    let wg = created["id"].as_str().unwrap().to_owned();

    let (status, invited) = stack
        .http(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(&admin),
            Some(json!({"emails": [ann, cy], "role": "associate"})),
        )
        .await;
    assert_eq!(status, 200, "{}: {invited}", d.tool);
    for result in invited["results"].as_array().unwrap() {
        assert_eq!(result["outcome"], "invited", "{}: {invited}", d.tool);
        assert_eq!(
            result["invitation"]["delivery"], "queued",
            "{}: posted, not sent: {invited}",
            d.tool
        );
    }
    let posted = stack.get(Function::Invite).gate.calls();
    assert!(
        posted
            .iter()
            .any(|c| c.operation == "sqs:SendMessageBatch" && c.allowed()),
        "{}: invite posts to the queue: {posted:?}",
        d.tool
    );
    let sent_before = moto().moto.sent_emails().len();
    assert_eq!(
        stack.drain().await,
        (2, 0),
        "{}: the send function takes both emails",
        d.tool
    );
    assert_eq!(
        moto().moto.sent_emails().len(),
        sent_before + 2,
        "{}: SES has both",
        d.tool
    );
    assert_eq!(
        stack.drain().await,
        (0, 0),
        "{}: the queue is empty",
        d.tool
    );
    // With no rate set, the send function asked SES for the account's (moto has none to give:
    // it sends one a second).
    let sender_calls: Vec<String> = stack
        .get(Function::Send)
        .gate
        .calls()
        .into_iter()
        .filter(|c| c.allowed())
        .map(|c| c.operation)
        .collect();
    for operation in ["ses:GetAccount", "ses:SendEmail"] {
        assert!(
            sender_calls.iter().any(|c| c == operation),
            "{}: send called {operation}: {sender_calls:?}",
            d.tool
        );
    }
    let ann_id = invited["results"][0]["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cy_id = invited["results"][1]["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, listed) = stack
        .http(
            "GET",
            &format!("/workgroups/{wg}/invitations"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{}: {listed}", d.tool);
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        2,
        "{}: {listed}",
        d.tool
    );
    for item in listed["items"].as_array().unwrap() {
        assert_eq!(item["delivery"], "sent", "{}: {listed}", d.tool);
    }

    let (status, resent) = stack
        .http(
            "POST",
            &format!("/workgroups/{wg}/invitations/{ann_id}/resend"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{}: {resent}", d.tool);
    assert_eq!(stack.drain().await, (1, 0), "{}: the resent email", d.tool);
    let token = latest_token(&ann);
    let link = moto()
        .moto
        .sent_emails()
        .into_iter()
        .rev()
        .find(|e| e["destinations"]["ToAddresses"][0] == ann.as_str())
        .unwrap();
    assert!(
        link["body"].as_str().unwrap().contains(&format!(
            "https://{}.execute-api.{REGION}.amazonaws.com/accept#token=",
            stack.api_id
        )),
        "{}: without a custom domain, links point at the API",
        d.tool
    );

    let (status, looked_up) = stack
        .http(
            "POST",
            "/invitations/lookup",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(status, 200, "{}: {looked_up}", d.tool);
    let (status, accepted) = stack
        .http(
            "POST",
            "/invitations/accept",
            Some(&ann),
            Some(json!({"token": token, "name": "Ann"})),
        )
        .await;
    assert_eq!(status, 200, "{}: {accepted}", d.tool);

    let (status, config) = stack.http("GET", "/config.json", None, None).await;
    assert_eq!(status, 200, "{}: {config}", d.tool);
    let (status, _) = stack.http("GET", "/openapi.json", None, None).await;
    assert_eq!(status, 200, "{}", d.tool);

    // Each schedule's tick, as its target input makes it, from a role that may deliver it.
    let remind = d.function("remind");
    for (_, schedule) in d.of_type("AWS::Scheduler::Schedule") {
        let target = &schedule["Properties"]["Target"];
        assert_eq!(target["Arn"], remind.arn.as_str(), "{}", d.tool);
        let role = target["RoleArn"].as_str().unwrap();
        let trusted = Request::new("sts:AssumeRole", role).from_service("scheduler.amazonaws.com");
        assert_eq!(
            decide(&d.trust(role), &trusted),
            Decision::Allow,
            "{}: the scheduler assumes {role}",
            d.tool
        );
        let may = |action: &str, resource: &str| {
            decide(&d.role_statements(role), &Request::new(action, resource))
        };
        assert_eq!(
            may("lambda:InvokeFunction", &remind.arn),
            Decision::Allow,
            "{}: the schedule invokes remind",
            d.tool
        );
        let dead_letters = target["DeadLetterConfig"]["Arn"]
            .as_str()
            .expect("a dead-letter queue");
        assert_eq!(
            may("sqs:SendMessage", dead_letters),
            Decision::Allow,
            "{}: the schedule's dead letters",
            d.tool
        );
        let input = target["Input"]
            .as_str()
            .unwrap()
            .replace(
                "<aws.scheduler.scheduled-time>",
                &Utc::now()
                    .trunc_subsecs(0)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .replace("<aws.scheduler.execution-id>", "d32c5kddcf5bb8c3")
            .replace(
                "<aws.scheduler.schedule-arn>",
                &format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/x"),
            )
            .replace("<aws.scheduler.attempt-number>", "1");
        let tick: Value = serde_json::from_str(&input).expect("the schedule's input is JSON");
        let report = stack.get(Function::Remind).invoke(&tick).await;
        assert_eq!(report["skipped_tick"], false, "{}: {report}", d.tool);
    }

    // SES reports that cy's address bounced, through the stack's rule.
    let store = aws::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&moto().moto.sdk_config().await),
        d.function("invite").environment["TABLE_NAME"].clone(),
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
    let configuration_set = d.function("send").environment["SES_CONFIGURATION_SET"].clone();
    let mut bounce = tests::functions::ses_event(
        "Bounce",
        None,
        &cy,
        &[
            ("purpose", "invitation"),
            ("workgroup", &wg),
            ("invitation", &cy_id),
            ("send", &cy_invitation.nonce.fingerprint()),
        ],
    );
    bounce["detail"]["mail"]["tags"]["ses:configuration-set"] = json!([configuration_set]);
    let feedback = d.function("feedback");
    let (_, rule) = d
        .of_type("AWS::Events::Rule")
        .next()
        .expect("the feedback rule");
    let rule_arn = format!(
        "arn:aws:events:{REGION}:{ACCOUNT}:rule/{}",
        rule["PhysicalId"].as_str().unwrap()
    );
    assert!(
        pattern_matches(&rule["Properties"]["EventPattern"], &bounce),
        "{}: the rule passes the bounce",
        d.tool
    );
    let target = &rule["Properties"]["Targets"][0];
    assert_eq!(target["Arn"], feedback.arn.as_str(), "{}", d.tool);
    let from_rule = Request::new("lambda:InvokeFunction", &feedback.arn)
        .from_service("events.amazonaws.com")
        .with("aws:SourceArn", &rule_arn)
        .with("aws:SourceAccount", ACCOUNT);
    assert_eq!(
        decide(&d.invoke_permissions(&feedback.arn), &from_rule),
        Decision::Allow,
        "{}: the rule invokes feedback",
        d.tool
    );
    let dead_letters = target["DeadLetterConfig"]["Arn"]
        .as_str()
        .expect("a dead-letter queue");
    let queue_policy: Vec<Value> = d
        .of_type("AWS::SQS::QueuePolicy")
        .flat_map(|(_, p)| tests::rehearsal::iam::statements(&p["Properties"]["PolicyDocument"]))
        .collect();
    let to_dead_letters = Request::new("sqs:SendMessage", dead_letters)
        .from_service("events.amazonaws.com")
        .with("aws:SourceArn", &rule_arn);
    assert_eq!(
        decide(&queue_policy, &to_dead_letters),
        Decision::Allow,
        "{}: the rule's dead letters",
        d.tool
    );
    assert_eq!(
        stack.get(Function::Feedback).invoke(&bounce).await,
        "recorded",
        "{}",
        d.tool
    );

    // The audit trail so far, through the stream's filter, by the stream's reader.
    let publish = d.function("publish");
    let (_, mapping) = d
        .of_type("AWS::Lambda::EventSourceMapping")
        .next()
        .expect("the stream source");
    let mapping = &mapping["Properties"];
    assert_eq!(mapping["FunctionName"], publish.name.as_str(), "{}", d.tool);
    let stream = mapping["EventSourceArn"].as_str().unwrap();
    let reader = d.role_statements(&publish.role_arn);
    for action in runtime::permissions::STREAM_ACTIONS {
        assert_eq!(
            decide(&reader, &Request::new(action, stream)),
            Decision::Allow,
            "{}: {action}",
            d.tool
        );
    }
    let failures = mapping["DestinationConfig"]["OnFailure"]["Destination"]
        .as_str()
        .unwrap();
    assert_eq!(
        decide(&reader, &Request::new("sqs:SendMessage", failures)),
        Decision::Allow,
        "{}: the stream's failures",
        d.tool
    );
    let table = d.function("invite").environment["TABLE_NAME"].clone();
    let mut items = aws_sdk_dynamodb::Client::new(&moto().moto.sdk_config().await)
        .scan()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    items.sort_by_key(|i| format!("{:?}{:?}", i.get("pk"), i.get("sk")));
    let batch = tests::aws_stack::stream_batch(&table, &items);
    let filters: Vec<Value> = mapping["FilterCriteria"]["Filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| serde_json::from_str(f["Pattern"].as_str().unwrap()).unwrap())
        .collect();
    let passed: Vec<Value> = batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| filters.iter().any(|f| pattern_matches(f, r)))
        .cloned()
        .collect();
    assert!(
        passed.len() >= 6 && passed.len() < items.len(),
        "{}: only the audit trail passes the filter",
        d.tool
    );
    let report = stack
        .get(Function::Publish)
        .invoke(&json!({"Records": passed}))
        .await;
    assert_eq!(
        report["batchItemFailures"],
        json!([]),
        "{}: {report}",
        d.tool
    );

    let (status, trail) = stack
        .http(
            "GET",
            &format!("/workgroups/{wg}/events"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{}: {trail}", d.tool);

    // Nothing any function asked for was refused; each asked for something.
    for running in stack.running.values() {
        let calls: Vec<Call> = running.gate.calls();
        assert!(
            !calls.is_empty(),
            "{}: {:?} made no AWS request",
            d.tool,
            running.function
        );
        assert!(
            refused(&calls).is_empty(),
            "{}: {:?} was refused {:#?}\n{}",
            d.tool,
            running.function,
            refused(&calls),
            running.log()
        );
    }
    drop(stack);

    // The controls: requests the policies must refuse, and do. A send function told to send
    // as another address is refused that email, and nothing else; the email is not sent.
    let intruder = Running::start(
        d,
        Function::Send,
        &[("SES_SENDER", "Intruder <intruder@acme.example>")],
    )
    .await;
    let control = Rehearsal {
        deployment: d,
        running: BTreeMap::from([
            ("invite", Running::start(d, Function::Invite, &[]).await),
            ("send", intruder),
        ]),
        api_id: stack_api(d),
        issuer: d.api().1,
        audience: d.api().2.first().cloned().unwrap_or_default(),
    };
    let dee = format!("dee@{people}");
    let (status, invited) = control
        .http(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(&admin),
            Some(json!({"emails": [dee], "role": "associate"})),
        )
        .await;
    assert_eq!(status, 200, "{}: {invited}", d.tool);
    assert_eq!(
        invited["results"][0]["invitation"]["delivery"], "queued",
        "{}: {invited}",
        d.tool
    );
    assert_eq!(
        control.drain().await,
        (1, 0),
        "{}: a refused email is done with; the table holds it as failed",
        d.tool
    );
    let denied: Vec<Call> = control.running["send"]
        .gate
        .calls()
        .into_iter()
        .filter(|c| !c.allowed())
        .collect();
    assert!(
        !denied.is_empty() && denied.iter().all(|c| c.operation == "ses:SendEmail"),
        "{}: only another sender's email is refused: {denied:?}",
        d.tool
    );
    assert!(
        !moto()
            .moto
            .sent_emails()
            .iter()
            .any(|e| e["destinations"]["ToAddresses"][0] == dee.as_str()),
        "{}: SES never had it",
        d.tool
    );
    drop(control);
    // Who may mail, post and publish: only the send function mails, and it neither posts nor
    // publishes; the producers post to the emails queue only; the poller reads no other queue.
    let source = EmailsSource::of(d);
    let (_, queue) = queue_of(d, &source.arn);
    let redrive: Value =
        serde_json::from_str(queue["Held"]["RedrivePolicy"].as_str().unwrap()).unwrap();
    let dead_letters = redrive["deadLetterTargetArn"].as_str().unwrap();
    let identity = format!(
        "arn:aws:ses:{REGION}:{ACCOUNT}:identity/{}",
        SENDER.rsplit_once('@').unwrap().1
    );
    let mail = Request::new("ses:SendEmail", &identity).with("ses:FromAddress", SENDER);
    let send = d.role_statements(&d.function("send").role_arn);
    assert_eq!(
        decide(&send, &mail),
        Decision::Allow,
        "{}: send mails",
        d.tool
    );
    for function in Function::ALL.into_iter().filter(|f| *f != Function::Send) {
        let role = d.role_statements(&d.function(function.name()).role_arn);
        assert_ne!(
            decide(&role, &mail),
            Decision::Allow,
            "{}: {function:?} cannot send email",
            d.tool
        );
        assert_ne!(
            decide(&role, &Request::new("ses:GetAccount", "*")),
            Decision::Allow,
            "{}: {function:?} cannot read the SES account",
            d.tool
        );
        let posts = decide(&role, &Request::new("sqs:SendMessage", &source.arn));
        assert_eq!(
            posts == Decision::Allow,
            function.posts_email(),
            "{}: {function:?} posts emails: {posts:?}",
            d.tool
        );
        for action in QUEUE_ACTIONS {
            assert_ne!(
                decide(&role, &Request::new(action, &source.arn)),
                Decision::Allow,
                "{}: {function:?} cannot {action} the emails",
                d.tool
            );
        }
    }
    let bus = format!(
        "arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{}",
        d.function("publish").environment["EVENT_BUS_NAME"]
    );
    for (action, resource) in [
        ("events:PutEvents", bus.as_str()),
        ("sqs:SendMessage", source.arn.as_str()),
        ("sqs:SendMessage", dead_letters),
        ("sqs:ReceiveMessage", dead_letters),
    ] {
        assert_ne!(
            decide(&send, &Request::new(action, resource)),
            Decision::Allow,
            "{}: send cannot {action} on {resource}",
            d.tool
        );
    }
    for producer in Function::ALL.into_iter().filter(|f| f.posts_email()) {
        let role = d.role_statements(&d.function(producer.name()).role_arn);
        for (_, other) in d.of_type("AWS::SQS::Queue") {
            let url = other["PhysicalId"].as_str().unwrap();
            let arn = format!(
                "arn:aws:sqs:{REGION}:{ACCOUNT}:{}",
                url.rsplit('/').next().unwrap()
            );
            assert_eq!(
                decide(&role, &Request::new("sqs:SendMessage", &arn)) == Decision::Allow,
                arn == source.arn,
                "{}: {producer:?} posts to the emails queue only, not {arn}",
                d.tool
            );
        }
    }
    let list = d.function("list");
    let writes = Request::new(
        "dynamodb:PutItem",
        &format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"),
    );
    assert_ne!(
        decide(&d.role_statements(&list.role_arn), &writes),
        Decision::Allow,
        "{}: list cannot write",
        d.tool
    );
    let other_route = Request::new("lambda:InvokeFunction", &d.function("invite").arn)
        .from_service("apigateway.amazonaws.com")
        .with(
            "aws:SourceArn",
            &format!(
                "arn:aws:execute-api:{REGION}:{ACCOUNT}:{}/$default/GET/workgroups/{{wg}}/agents",
                stack_api(d)
            ),
        );
    assert_ne!(
        decide(
            &d.invoke_permissions(&d.function("invite").arn),
            &other_route
        ),
        Decision::Allow,
        "{}: the API calls invite only on its route",
        d.tool
    );
}

fn stack_api(d: &Deployment) -> String {
    d.api().0
}

/// What every stack must hold whichever tool made it.
fn check_stack(d: &Deployment) {
    // The environment: every variable each function reads is set.
    for function in Function::ALL {
        let deployed = d.function(function.name());
        for variable in VARIABLES.iter().filter(|v| v.read_by(function)) {
            assert!(
                deployed.environment.contains_key(variable.name),
                "{}: {function:?} reads {} but the stack does not set it",
                d.tool,
                variable.name
            );
        }
        // Its logs may be written.
        let logs = Request::new(
            "logs:PutLogEvents",
            &format!(
                "arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{}:log-stream:x",
                d.resources[&deployed.logical_id]["Properties"]["LoggingConfig"]["LogGroup"]
                    .as_str()
                    .unwrap()
            ),
        );
        assert_eq!(
            decide(&d.role_statements(&deployed.role_arn), &logs),
            Decision::Allow,
            "{}: {function:?} logs",
            d.tool
        );
    }
    // The alarms reach the topic, whose policy lets this account's alarms publish and no one
    // else's.
    let (_, topic) = d
        .of_type("AWS::SNS::Topic")
        .next()
        .expect("the alarm topic");
    let topic_arn = topic["PhysicalId"].as_str().unwrap();
    let policy: Vec<Value> = d
        .of_type("AWS::SNS::TopicPolicy")
        .flat_map(|(_, p)| tests::rehearsal::iam::statements(&p["Properties"]["PolicyDocument"]))
        .collect();
    for (id, alarm) in d.of_type("AWS::CloudWatch::Alarm") {
        let actions = &alarm["Properties"]["AlarmActions"];
        assert_eq!(
            actions,
            &json!([topic_arn]),
            "{}: {id} notifies the topic",
            d.tool
        );
        let publish = |account: &str| {
            Request::new("sns:Publish", topic_arn)
                .from_service("cloudwatch.amazonaws.com")
                .with(
                    "aws:SourceArn",
                    &format!(
                        "arn:aws:cloudwatch:{REGION}:{account}:alarm:{}",
                        alarm["PhysicalId"].as_str().unwrap()
                    ),
                )
                .with("aws:SourceAccount", account)
                .with("aws:SecureTransport", "true")
        };
        assert_eq!(
            decide(&policy, &publish(ACCOUNT)),
            Decision::Allow,
            "{}: {id} may publish",
            d.tool
        );
        assert_ne!(
            decide(&policy, &publish("210987654321")),
            Decision::Allow,
            "{}: another account's alarm may not",
            d.tool
        );
    }
    // The types moto only records are there, and nothing else is only recorded.
    for kind in RECORDED_ONLY {
        assert!(d.of_type(kind).next().is_some(), "{}: {kind}", d.tool);
    }
    check_emails(d);
}

/// The queue of due emails and its consumer, as SQS and Lambda hold them (moto makes both; the
/// rehearsal polls): the functions that make emails due post to it; the send function alone
/// reads it, in batches of ten, two at once at most, reporting the emails to try again; an
/// email comes back after six times the send function's timeout and goes to the dead-letter
/// queue after five receives; both queues are encrypted and keep 14 days; the dead letters and
/// the oldest email are alarmed on (the alarms' actions are checked with the others).
fn check_emails(d: &Deployment) {
    let source = EmailsSource::of(d);
    let send = d.function("send");
    for function in Function::ALL {
        let deployed = d.function(function.name());
        assert_eq!(
            deployed.environment.get("QUEUE_URL"),
            runtime::config::QUEUE_URL
                .read_by(function)
                .then_some(&source.url),
            "{}: {function:?} posts to the emails queue, or drains it",
            d.tool
        );
    }
    let on_queue: Vec<&Value> = d
        .of_type("AWS::Lambda::EventSourceMapping")
        .map(|(_, m)| &m["Held"])
        .filter(|m| m["EventSourceArn"] == source.arn.as_str())
        .collect();
    assert_eq!(on_queue.len(), 1, "{}: one reader of the queue", d.tool);
    let mapping = on_queue[0];
    assert_eq!(mapping["FunctionArn"], send.arn.as_str(), "{}", d.tool);
    assert_eq!(mapping["State"], "Enabled", "{}", d.tool);
    assert_eq!(mapping["BatchSize"], 10, "{}", d.tool);
    assert_eq!(
        mapping["ScalingConfig"],
        json!({"MaximumConcurrency": 2}),
        "{}",
        d.tool
    );
    assert_eq!(
        mapping["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"]),
        "{}",
        d.tool
    );

    let (_, queue) = queue_of(d, &source.arn);
    let held = &queue["Held"];
    let timeout = d.lambda[&send.logical_id]["Timeout"].as_u64().unwrap();
    let visibility: u64 = held["VisibilityTimeout"].as_str().unwrap().parse().unwrap();
    assert!(
        visibility >= 6 * timeout,
        "{}: the visibility timeout {visibility} s is six times send's {timeout} s",
        d.tool
    );
    let redrive: Value = serde_json::from_str(held["RedrivePolicy"].as_str().unwrap()).unwrap();
    assert_eq!(redrive["maxReceiveCount"], 5, "{}: {redrive}", d.tool);
    let dead_letters = redrive["deadLetterTargetArn"].as_str().unwrap();
    let (_, dead) = queue_of(d, dead_letters);
    for q in [held, &dead["Held"]] {
        assert_eq!(q["SqsManagedSseEnabled"], "true", "{}: {q}", d.tool);
        assert_eq!(q["MessageRetentionPeriod"], "1209600", "{}: {q}", d.tool);
    }
    assert!(
        dead["Held"]["RedrivePolicy"].is_null(),
        "{}: dead letters stay",
        d.tool
    );
    let name = |arn: &str| arn.rsplit(':').next().unwrap().to_owned();
    let alarmed = |queue: &str, metric: &str| {
        d.of_type("AWS::CloudWatch::Alarm").any(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"] == "AWS/SQS"
                && p["MetricName"] == metric
                && p["Dimensions"] == json!([{"Name": "QueueName", "Value": name(queue)}])
        })
    };
    assert!(
        alarmed(dead_letters, "ApproximateNumberOfMessagesVisible"),
        "{}: an alarm on the emails' dead letters",
        d.tool
    );
    assert!(
        alarmed(&source.arn, "ApproximateAgeOfOldestMessage"),
        "{}: an alarm on the oldest email",
        d.tool
    );
}

/// What a failed first create leaves, and what a second stack meets: only resources that
/// outlive a successful create are kept, and no name is fixed by the template.
fn check_template(tool: &str, template: &Value) {
    const NAMES: &[(&str, &str)] = &[
        ("AWS::Scheduler::Schedule", "Name"),
        ("AWS::SQS::Queue", "QueueName"),
        ("AWS::DynamoDB::Table", "TableName"),
        ("AWS::Lambda::Function", "FunctionName"),
        ("AWS::IAM::Role", "RoleName"),
        ("AWS::Logs::LogGroup", "LogGroupName"),
        ("AWS::SNS::Topic", "TopicName"),
        ("AWS::Events::Rule", "Name"),
        ("AWS::SecretsManager::Secret", "Name"),
        ("AWS::SES::ConfigurationSet", "Name"),
        ("AWS::Cognito::UserPool", "UserPoolName"),
        ("AWS::CloudWatch::Alarm", "AlarmName"),
    ];
    for (id, resource) in template["Resources"].as_object().unwrap() {
        for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
            let kept = resource[policy].as_str().unwrap_or("Delete");
            let allowed: &[&str] = if policy == "DeletionPolicy" {
                &["Delete", "RetainExceptOnCreate"]
            } else {
                &["Delete", "Retain"]
            };
            assert!(allowed.contains(&kept), "{tool}: {id} has {policy} {kept}");
        }
        if resource["DeletionPolicy"] == "RetainExceptOnCreate" {
            assert_eq!(
                resource["UpdateReplacePolicy"], "Retain",
                "{tool}: {id} is kept when replaced too"
            );
        }
        let kind = resource["Type"].as_str().unwrap();
        if let Some((_, name)) = NAMES.iter().find(|(k, _)| *k == kind) {
            assert!(
                resource["Properties"][name].is_null(),
                "{tool}: {id} has a fixed {name}"
            );
        }
        if kind == "AWS::DynamoDB::Table" {
            assert!(
                resource["Properties"]["DeletionProtectionEnabled"] != true,
                "{tool}: a failed create could not delete {id}"
            );
        }
    }
}

/// The types moto_cfn.py records only, as it lists them.
fn recorded_only_in_the_plugin() -> Vec<String> {
    let plugin =
        std::fs::read_to_string(tests::infra::workspace().join("tests/rehearsal/moto_cfn.py"))
            .unwrap();
    let block = plugin
        .split("RECORDED_ONLY = {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    let mut kinds: Vec<String> = block
        .lines()
        .filter_map(|line| {
            line.trim()
                .strip_prefix('"')?
                .split('"')
                .next()
                .map(str::to_owned)
        })
        .collect();
    kinds.sort();
    kinds
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_stacks_deploy_from_nothing_and_run_every_function_within_their_policies() {
    let mut recorded_only: Vec<String> = RECORDED_ONLY.iter().map(|k| (*k).to_owned()).collect();
    recorded_only.sort();
    assert_eq!(recorded_only_in_the_plugin(), recorded_only);
    let out = tempfile::tempdir().unwrap();
    let sam_template = sam_cloudformation(out.path());
    let cdk_template = cdk_cloudformation(
        out.path(),
        "rehearsal-cdk",
        &json!({"senderAddress": SENDER, "senderName": "Acme Invitations", "authDomainPrefix": "acme-cdk"}),
    );
    for (tool, path) in [("SAM", &sam_template), ("CDK", &cdk_template)] {
        let template: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        check_template(tool, &template);
    }

    let sam = deploy(
        "SAM",
        "rehearsal-sam",
        &sam_template,
        &BTreeMap::from([
            ("SenderAddress", SENDER),
            ("SenderName", "Acme Invitations"),
            ("AuthDomainPrefix", "acme-sam"),
        ]),
    );
    let cdk = deploy("CDK", "rehearsal-cdk", &cdk_template, &BTreeMap::new());
    // A second stack in the same account and region meets nothing of the first (its sender is
    // verified already), and a third sends from an address identity, which takes no DKIM
    // settings.
    deploy(
        "SAM",
        "rehearsal-sam-again",
        &sam_template,
        &BTreeMap::from([("SenderAddress", SENDER), ("SenderIdentity", "existing")]),
    );
    let by_address = deploy(
        "SAM",
        "rehearsal-sam-address",
        &sam_template,
        &BTreeMap::from([
            ("SenderAddress", "alerts@acme.example"),
            ("SenderIdentity", "address"),
        ]),
    );
    assert_eq!(by_address.ses_identities(), ["alerts@acme.example"]);
    assert!(!by_address.outputs.contains_key("SenderDkimRecords"));

    for d in [&sam, &cdk] {
        check_stack(d);
        assert_eq!(
            d.outputs["AppBaseUrl"], d.outputs["ApiUrl"],
            "{}: links use the API's URL",
            d.tool
        );
    }
    scenario(&sam, "sam.people.example").await;
    scenario(&cdk, "cdk.people.example").await;

    let aliases = [("acme-sam", "acme-<tool>"), ("acme-cdk", "acme-<tool>")];
    let (sam_shape, cdk_shape) = (shape(&sam, &aliases), shape(&cdk, &aliases));
    let unexplained: Vec<String> = differences(&sam_shape, &cdk_shape)
        .into_iter()
        .filter(|(path, _, _)| {
            !DELIBERATE
                .iter()
                .any(|(prefix, _)| path.starts_with(prefix))
        })
        .map(|(path, s, c)| format!("{path}\n    SAM: {s}\n    CDK: {c}"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "the stacks differ:\n{}",
        unexplained.join("\n")
    );
}
