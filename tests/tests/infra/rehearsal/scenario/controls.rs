//! The controls: requests the policies must refuse, and do.

use super::*;

/// A send function told to send as another address is refused that email, and nothing else;
/// the email is not sent.
pub(super) async fn another_sender_is_refused(d: &Deployment, admin: &str, wg: &str, people: &str) {
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
            Some(admin),
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
}

/// Who may mail, post and publish: only the send function mails, and it neither posts nor
/// publishes; the producers post to the emails queue only; the poller reads no other queue.
/// The list function cannot write, and the API calls invite only on its routes.
pub(super) fn who_may_mail_post_and_publish(d: &Deployment) {
    let table = d.function("invite").environment["TABLE_NAME"].clone();
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
