//! The functions' other events and their start: SES feedback, the pending cap on DynamoDB, the console's sign-in, a table that cannot be warmed up, and every answer's headers.

use super::*;

#[tokio::test]
async fn ses_bounces_and_complaints_mark_the_invitation_and_stop_its_email() {
    let stack = Stack::new("feedback").await;
    let workgroups = stack.deploy(Function::Workgroups).await;
    let invite = stack.deploy(Function::Invite).await;
    let manage = stack.deploy(Function::Manage).await;
    let remind = stack.deploy(Function::Remind).await;
    let sender = stack.sender().await;
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
    let sender = stack.sender().await;
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
    // The list function tells the inviter the stack's limits and what is left of them: the
    // five emails sent count, the seven refused do not.
    let allowance = send(
        &list,
        &api_gateway_event(
            "GET",
            &format!("/workgroups/{wg}/allowance"),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    let allowance = allowance.assert_ok(200);
    assert_eq!(allowance["max_addresses"], 10, "INVITE_MAX_ADDRESSES");
    assert_eq!(allowance["remaining_today"], 95, "INVITE_DAILY_LIMIT - 5");

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
