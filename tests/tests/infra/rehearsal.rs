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

mod scenario;

use scenario::scenario;
mod checks;

use checks::{check_stack, check_template, recorded_only_in_the_plugin};

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
