//! How many DynamoDB, SQS and SES calls each use case makes on the AWS adapters (against moto),
//! as counted by an SDK interceptor; and that none of them is ever a `Scan`. The table of calls
//! per operation in docs/dynamodb.md is this test's table: what a request or a sweep calls, and what the
//! sender calls for each email it made due.

use aws::{
    DynamoStore, Paced, SesMailer, SqsQueue, calls::CallLog, dynamo::table::create_table,
    ses::Sender,
};
use chrono::TimeDelta;
use domain::fakes::ManualClock;
use domain::{
    App, Caller, Settings,
    address::EmailAddress,
    clock::Clock,
    delivery::SendOutcome,
    invitation::Status,
    message::AcceptLinks,
    people::WorkgroupName,
    role::Role,
    secret::SecretKey,
    usecases::{ListQuery, invite::InviteRequest},
};
use tests::{harness::start_time, moto::moto};

type AwsApp = App<DynamoStore, SqsQueue, ManualClock>;

/// The app, with the sender's mailer: SES at a rate that never waits here.
async fn aws_app(log: &CallLog) -> (AwsApp, Paced<SesMailer, DynamoStore>) {
    let sdk = moto().sdk_config().await;
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    ses.create_email_identity()
        .email_identity("example.com")
        .send()
        .await
        .expect("the sender's domain becomes an identity");
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("calls-{}", std::process::id());
    create_table(&dynamodb, &table)
        .await
        .expect("the table is created");

    let counted_dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(log.clone())
            .build(),
    );
    let counted_ses = aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(&sdk)
            .interceptor(log.clone())
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = SqsQueue::ensure(&sqs, &table)
        .await
        .expect("the queue is created");
    let counted_sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&sdk)
            .interceptor(log.clone())
            .build(),
    );
    let store = DynamoStore::new(counted_dynamodb, table);
    let mailer = Paced::new(
        SesMailer::new(
            counted_ses,
            Sender::parse("invitations@example.com").expect("a valid sender"),
        ),
        store.clone(),
        1000,
    );
    let app = App {
        store,
        queue: SqsQueue::new(counted_sqs, url),
        clock: ManualClock::at(start_time()),
        key: SecretKey::generate(),
        settings: Settings::new(AcceptLinks::new("https://invitations.test").unwrap()),
    };
    (app, mailer)
}

/// Sends what the queue holds, as the send function would; how many emails were handed over.
/// The receiving and deleting are the event source mapping's, not counted.
async fn send_queued(app: &AwsApp, mailer: &Paced<SesMailer, DynamoStore>, log: &CallLog) -> usize {
    let mut sent = 0;
    loop {
        let received = app.queue.receive(0, 60).await.expect("the queue answers");
        log.take();
        if received.is_empty() {
            return sent;
        }
        let before = calls(log);
        assert!(before.is_empty());
        for message in received {
            let due = message.email.expect("a due email");
            let outcome = app.send_due(&due, mailer).await.expect("the store answers");
            assert_eq!(outcome, SendOutcome::Sent);
            sent += 1;
            let counted = calls(log);
            app.queue.delete(&message.receipt).await.expect("deleted");
            log.take();
            SENDER_CALLS.with(|calls| calls.borrow_mut().push(counted));
        }
    }
}

thread_local! {
    /// What each send called, in order.
    static SENDER_CALLS: std::cell::RefCell<Vec<Vec<(String, usize)>>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn caller(email: &str) -> Caller {
    Caller {
        sign_in: domain::people::SignIn {
            issuer: "https://issuer.example".to_owned(),
            subject: format!("sub-{email}"),
        },
        email: EmailAddress::parse(email).unwrap(),
        name: None,
    }
}

/// What one operation called, as `(service operation, count)` sorted by name.
fn calls(log: &CallLog) -> Vec<(String, usize)> {
    let mut counted: std::collections::BTreeMap<String, usize> = Default::default();
    for call in log.take() {
        *counted
            .entry(format!("{} {}", call.service, call.operation))
            .or_default() += 1;
    }
    counted.into_iter().collect()
}

fn expect(measured: &[(String, usize)], expected: &[(&str, usize)], operation: &str) {
    let expected: Vec<(String, usize)> = expected
        .iter()
        .map(|(call, n)| ((*call).to_owned(), *n))
        .collect();
    assert_eq!(measured, expected.as_slice(), "calls made by: {operation}");
    assert!(
        measured.iter().all(|(call, _)| !call.ends_with(" Scan")),
        "{operation} scanned the table"
    );
    println!(
        "| {operation} | {} |",
        measured
            .iter()
            .map(|(c, n)| format!("{n} × {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_use_case_makes_the_calls_of_the_readme_table_and_never_a_scan() {
    let log = CallLog::default();
    let (app, mailer) = aws_app(&log).await;
    let ada = caller("ada@example.com");
    log.take();

    let founded = app
        .create_workgroup(&ada, WorkgroupName::parse("Acme IT").unwrap(), None)
        .await
        .unwrap();
    expect(
        &calls(&log),
        &[
            ("DynamoDB GetItem", 1),
            ("DynamoDB TransactWriteItems", 1),
            // The person's count of workgroups created today.
            ("DynamoDB UpdateItem", 1),
        ],
        "create a workgroup",
    );
    let wg = founded.workgroup.id.clone();

    let invite = InviteRequest::pasted(
        &["ann@example.com, bob@example.com, cy@example.com"],
        50,
        Role::Manager,
        None,
    )
    .unwrap();
    app.invite(&ada, &wg, &invite).await.unwrap();
    expect(
        &calls(&log),
        &[
            // The caller's membership and person.
            ("DynamoDB GetItem", 2),
            // Per address: the insert with its event.
            ("DynamoDB TransactWriteItems", 3),
            // The inviter's two daily counts, each address's, and the pending places.
            ("DynamoDB UpdateItem", 6),
            // The three due emails, in one batch.
            ("SQS SendMessageBatch", 1),
        ],
        "invite 3 addresses",
    );
    assert_eq!(send_queued(&app, &mailer, &log).await, 3);
    let per_email = SENDER_CALLS.with(|calls| calls.borrow_mut().drain(..).collect::<Vec<_>>());
    for sent in &per_email {
        expect(
            sent,
            &[
                // The invitation, by its key.
                ("DynamoDB GetItem", 1),
                // The claim.
                ("DynamoDB PutItem", 1),
                // The delivery with its event.
                ("DynamoDB TransactWriteItems", 1),
                // The send slot of the second.
                ("DynamoDB UpdateItem", 1),
                ("SESv2 SendEmail", 1),
            ],
            "send one email (the sender)",
        );
    }

    let again = InviteRequest::pasted(&["cy@example.com"], 50, Role::Manager, None).unwrap();
    app.invite(&ada, &wg, &again).await.unwrap();
    expect(
        &calls(&log),
        &[
            ("DynamoDB GetItem", 2),
            // The insert, refused (the address has a pending invitation), then its renewal
            // with its event, which gives back the place reserved for the address.
            ("DynamoDB TransactWriteItems", 2),
            // The inviter's two daily counts, the address's, and the place reserved before
            // the request knew the invitation was pending.
            ("DynamoDB UpdateItem", 4),
            ("SQS SendMessageBatch", 1),
        ],
        "re-invite a pending address",
    );
    assert_eq!(send_queued(&app, &mailer, &log).await, 1);
    SENDER_CALLS.with(|calls| calls.borrow_mut().clear());

    let page = app
        .list_invitations(&ada, &wg, Some(Status::Pending), &ListQuery::default())
        .await
        .unwrap();
    expect(
        &calls(&log),
        &[("DynamoDB GetItem", 2), ("DynamoDB Query", 1)],
        "list a page of invitations",
    );
    let bob = page
        .items
        .iter()
        .find(|i| i.email.as_str() == "bob@example.com")
        .unwrap()
        .clone();

    app.list_agents(&ada, &wg, &ListQuery::default())
        .await
        .unwrap();
    expect(
        &calls(&log),
        &[("DynamoDB GetItem", 2), ("DynamoDB Query", 1)],
        "list a page of agents",
    );

    app.my_workgroups(&ada).await.unwrap();
    expect(
        &calls(&log),
        &[("DynamoDB GetItem", 1), ("DynamoDB Query", 1)],
        "list my workgroups",
    );

    app.get_invitation(&ada, &wg, &bob.id).await.unwrap();
    expect(
        &calls(&log),
        &[("DynamoDB GetItem", 2), ("DynamoDB Query", 1)],
        "read one invitation",
    );

    let ann_token = app.key.invitation_token(
        &page
            .items
            .iter()
            .find(|i| i.email.as_str() == "ann@example.com")
            .unwrap()
            .id,
        &page
            .items
            .iter()
            .find(|i| i.email.as_str() == "ann@example.com")
            .unwrap()
            .nonce,
    );
    app.lookup_invitation(&ann_token).await.unwrap();
    expect(
        &calls(&log),
        &[("DynamoDB GetItem", 1), ("DynamoDB Query", 1)],
        "look an invitation up",
    );

    app.accept_invitation(&caller("ann@example.com"), &ann_token, Some("Ann"))
        .await
        .unwrap();
    expect(
        &calls(&log),
        &[
            ("DynamoDB GetItem", 1),
            ("DynamoDB Query", 1),
            ("DynamoDB TransactWriteItems", 1),
            // Its pending place freed.
            ("DynamoDB UpdateItem", 1),
        ],
        "accept (first registration)",
    );

    let bob_token = app.key.invitation_token(&bob.id, &bob.nonce);
    app.decline_invitation(&bob_token).await.unwrap();
    expect(
        &calls(&log),
        &[
            ("DynamoDB Query", 1),
            ("DynamoDB TransactWriteItems", 1),
            ("DynamoDB UpdateItem", 1),
        ],
        "decline",
    );

    app.resend_invitation(&ada, &wg, &bob.id).await.unwrap();
    expect(
        &calls(&log),
        &[
            ("DynamoDB GetItem", 2),
            ("DynamoDB Query", 1),
            // The renewal with its event.
            ("DynamoDB TransactWriteItems", 1),
            // The inviter's two daily counts, the address's, and a pending place (a declined
            // invitation is pending again).
            ("DynamoDB UpdateItem", 4),
            ("SQS SendMessageBatch", 1),
        ],
        "resend (a declined invitation)",
    );
    assert_eq!(send_queued(&app, &mailer, &log).await, 1);

    app.cancel_invitation(&ada, &wg, &bob.id).await.unwrap();
    expect(
        &calls(&log),
        &[
            ("DynamoDB GetItem", 2),
            ("DynamoDB Query", 1),
            ("DynamoDB TransactWriteItems", 1),
            ("DynamoDB UpdateItem", 1),
        ],
        "cancel",
    );

    app.list_events(&ada, &wg, &ListQuery::default())
        .await
        .unwrap();
    expect(
        &calls(&log),
        &[("DynamoDB GetItem", 2), ("DynamoDB Query", 1)],
        "list a page of events",
    );

    let allowance = app.allowance(&ada, &wg).await.unwrap();
    expect(
        &calls(&log),
        // The caller's membership and person; the inviter's two daily counts.
        &[("DynamoDB GetItem", 4)],
        "read the inviter's allowance",
    );
    // Three invited, one re-invited, one resent: five of the 200 in the workgroup.
    assert_eq!(allowance.remaining_today, 195);

    app.clock.advance(TimeDelta::days(23));
    let report = app
        .send_due_reminders(app.clock.now(), || true)
        .await
        .unwrap();
    assert_eq!(report.sent, 1, "cy's 7-day reminder");
    let sweep = calls(&log);
    let queries = sweep
        .iter()
        .find(|(c, _)| c == "DynamoDB Query")
        .map_or(0, |(_, n)| *n);
    assert!(
        queries <= 9,
        "one query per day of the 8-day window at most: {sweep:?}"
    );
    println!("| reminder sweep (1 due) | {sweep:?} |");
    assert!(sweep.iter().all(|(call, _)| !call.ends_with(" Scan")));
    assert!(
        sweep.contains(&("SQS SendMessageBatch".to_owned(), 1)),
        "{sweep:?}"
    );
    assert_eq!(send_queued(&app, &mailer, &log).await, 1, "the reminder");

    app.clock.advance(TimeDelta::days(8));
    let report = app.record_expiries(app.clock.now(), || true).await.unwrap();
    assert_eq!(report.sent, 1, "cy's invitation expired unanswered");
    expect(
        &calls(&log),
        &[
            // One per day of the 7-day look-back, and today.
            ("DynamoDB Query", 8),
            ("DynamoDB TransactWriteItems", 1),
            ("DynamoDB UpdateItem", 1),
        ],
        "expiry sweep (1 expired)",
    );

    // The invitee's own invitations, on two new ones (their invite is counted above).
    let fresh = InviteRequest::pasted(
        &["dee@example.com, eve@example.com"],
        50,
        Role::Associate,
        None,
    )
    .unwrap();
    app.invite(&ada, &wg, &fresh).await.unwrap();
    assert_eq!(send_queued(&app, &mailer, &log).await, 2);
    SENDER_CALLS.with(|calls| calls.borrow_mut().clear());
    log.take();

    let dee = caller("dee@example.com");
    let mine = app
        .my_invitations(&dee, &ListQuery::default())
        .await
        .unwrap();
    expect(
        &calls(&log),
        // The person, for the sign-in; the address's invitations: `by_invitee`.
        &[("DynamoDB GetItem", 1), ("DynamoDB Query", 1)],
        "list my invitations",
    );
    assert_eq!(mine.items.len(), 1);

    app.accept_my_invitation(&dee, &mine.items[0].id, Some("Dee"))
        .await
        .unwrap();
    expect(
        &calls(&log),
        &[
            // The person, for the sign-in (and whether to register).
            ("DynamoDB GetItem", 1),
            // The invitation: `by_invitation_id`.
            ("DynamoDB Query", 1),
            ("DynamoDB TransactWriteItems", 1),
            // Its pending place freed.
            ("DynamoDB UpdateItem", 1),
        ],
        "accept my invitation (first registration)",
    );

    let eve = caller("eve@example.com");
    let eves = app
        .my_invitations(&eve, &ListQuery::default())
        .await
        .unwrap();
    log.take();
    app.decline_my_invitation(&eve, &eves.items[0].id)
        .await
        .unwrap();
    expect(
        &calls(&log),
        &[
            ("DynamoDB GetItem", 1),
            ("DynamoDB Query", 1),
            // The decline with its event.
            ("DynamoDB TransactWriteItems", 1),
            ("DynamoDB UpdateItem", 1),
        ],
        "decline my invitation",
    );

    // Managing agents: ann (manager) and dee (associate) joined above.
    let agents = app
        .list_agents(&ada, &wg, &ListQuery::default())
        .await
        .unwrap();
    let id_of = |email: &str| {
        agents
            .items
            .iter()
            .find(|a| a.email.as_str() == email)
            .unwrap()
            .id
            .clone()
    };
    let (ann_id, dee_id) = (id_of("ann@example.com"), id_of("dee@example.com"));
    log.take();
    // The write of each is one transaction: the Put or Delete conditioned on the role read,
    // the witness's ConditionCheck (the caller, or the administrator who remains), the event.
    let managing = [
        // The caller's membership and person; the agents, to find the target by id.
        ("DynamoDB GetItem", 2),
        ("DynamoDB Query", 1),
        ("DynamoDB TransactWriteItems", 1),
    ];
    app.change_agent_role(&ada, &wg, &ann_id, Role::Administrator)
        .await
        .unwrap();
    expect(&calls(&log), &managing, "change an agent's role");

    app.change_agent_role(&ada, &wg, &dee_id, Role::Manager)
        .await
        .unwrap();
    log.take();
    // No witness: the target's own condition is the caller's authority.
    app.change_agent_role(&dee, &wg, &dee_id, Role::Associate)
        .await
        .unwrap();
    expect(&calls(&log), &managing, "change one's own role (a manager)");

    app.remove_agent(&ada, &wg, &dee_id).await.unwrap();
    expect(&calls(&log), &managing, "remove an agent");

    // An administrator leaving: the same agents Query found ada, who must remain one.
    app.remove_agent(&caller("ann@example.com"), &wg, &ann_id)
        .await
        .unwrap();
    expect(&calls(&log), &managing, "leave (an administrator)");
}
