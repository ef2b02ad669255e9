//! The scenario both stacks run: every function, through the rehearsal's gate, on what the
//! stack made.

use super::{checks::stack_api, *};

/// The scenario, on one deployment: every function called by its trigger in that stack.
pub(super) async fn scenario(d: &Deployment, people: &str) {
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
    // The list function reads the inviter's daily counts under its grants and the stack's
    // limits: three emails sent of the 200 a day in one workgroup.
    let (status, allowance) = stack
        .http(
            "GET",
            &format!("/workgroups/{wg}/allowance"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{}: {allowance}", d.tool);
    assert_eq!(
        (&allowance["max_addresses"], &allowance["remaining_today"]),
        (&json!(50), &json!(197)),
        "{}: {allowance}",
        d.tool
    );
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
