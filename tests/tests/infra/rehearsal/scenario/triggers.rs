//! Checks that run on what the stack made but call no route: the schedules' ticks, SES
//! feedback through the stack's rule, and the audit trail through the stream's filter.

use super::*;

/// Each schedule's tick, as its target input makes it, from a role that may deliver it.
pub(super) async fn schedule_ticks(stack: &Rehearsal<'_>) {
    let d = stack.deployment;
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
}

/// SES reports that `cy`'s address bounced, through the stack's rule.
pub(super) async fn bounce(stack: &Rehearsal<'_>, wg: &str, cy: &str, cy_id: &str) {
    let d = stack.deployment;
    let store = aws::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&moto().moto.sdk_config().await),
        d.function("invite").environment["TABLE_NAME"].clone(),
    );
    let wg_id = domain::ids::WorkgroupId::parse(wg).unwrap();
    let cy_invitation = domain::store::Invitations::invitation(
        &store,
        &wg_id,
        &domain::ids::InvitationId::parse(cy_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let configuration_set = d.function("send").environment["SES_CONFIGURATION_SET"].clone();
    let mut bounce = tests::functions::ses_event(
        "Bounce",
        None,
        cy,
        &[
            ("purpose", "invitation"),
            ("workgroup", wg),
            ("invitation", cy_id),
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
}

/// The audit trail so far, through the stream's filter, by the stream's reader.
pub(super) async fn audit_trail(stack: &Rehearsal<'_>, admin: &str, wg: &str) {
    let d = stack.deployment;
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
            Some(admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{}: {trail}", d.tool);
}
