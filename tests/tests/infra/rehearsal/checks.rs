//! What the rehearsal checks of a deployed stack, its emails and its templates.

use super::*;

pub(super) fn stack_api(d: &Deployment) -> String {
    d.api().0
}

/// What every stack must hold whichever tool made it.
pub(super) fn check_stack(d: &Deployment) {
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
pub(super) fn check_template(tool: &str, template: &Value) {
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
pub(super) fn recorded_only_in_the_plugin() -> Vec<String> {
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
