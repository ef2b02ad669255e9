//! Delivery through interruptions: the same message twice, a sender or a producer stopped half-way.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_message_delivered_twice_sends_one_email() {
    let scene = Scene::new("twice", None, CONFIGURED_RATE).await;
    let old = addresses("old", 3);
    scene.invite_at(now() - reminder_age(), &old).await;
    assert_eq!(scene.drain().await, 3);
    let new = addresses("new", 3);
    scene.invite_now(&new).await;
    assert_eq!(scene.tick(now(), "reminders").await, 3);

    // SQS delivers every message twice, to two invocations at once (the first receive lets
    // them show again at once), and each batch carries each message twice more.
    let queue = scene.stack.queue();
    let first = queue.receive(0, 0).await.expect("received");
    let again = queue.receive(0, 60).await.expect("received again");
    assert_eq!(first.len(), 6);
    assert_eq!(again.len(), 6, "SQS delivered the same messages again");
    let event = |received: &[aws::sqs::SqsReceived]| {
        let doubled: Vec<_> = received.iter().chain(received).cloned().collect();
        let event = tests::aws_stack::sqs_event(&scene.stack.env["QUEUE_URL"], &doubled);
        lambda_runtime::LambdaEvent::new(
            serde_json::from_value(event).expect("an SQS event"),
            lambda_runtime::Context::default(),
        )
    };
    let (one, two) = tokio::join!(
        send::handle(&scene.sender, event(&first)),
        send::handle(&scene.sender, event(&again)),
    );
    assert!(one.unwrap().batch_item_failures.is_empty());
    assert!(two.unwrap().batch_item_failures.is_empty());
    for received in first.iter().chain(&again) {
        let _ = queue.delete(&received.receipt).await;
    }
    // A late copy, after the email was recorded, is skipped too.
    let late: Vec<DueEmail> = first.iter().filter_map(|r| r.email.clone()).collect();
    queue.post(&late).await.expect("posted");
    scene.drain().await;

    let mut expected = due(&old, &[Kind::Invitation, Kind::Reminder]);
    expected.extend(due(&new, &[Kind::Invitation]));
    scene.assert_each_delivered_once(&expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sender_stopped_between_its_claim_and_its_record_leaves_the_email_to_the_sweep() {
    let scene = Scene::new("stopped", None, CONFIGURED_RATE).await;
    let old = addresses("old", 3);
    scene.invite_at(now() - reminder_age(), &old).await;
    assert_eq!(scene.drain().await, 3);

    // Ten minutes ago: three invitations and three reminders were posted, and a sender took
    // each message and claimed its email, then stopped before sending it.
    let then = now() - TimeDelta::minutes(10);
    let new = addresses("new", 3);
    scene.invite_at(then, &new).await;
    let back_then = backdated(&scene.remind, then);
    let swept = back_then
        .send_due_reminders(then, || true)
        .await
        .expect("the sweep runs");
    assert_eq!(swept.sent, 3);
    let queue = scene.stack.queue();
    let taken = queue.receive(0, 60).await.expect("received");
    assert_eq!(taken.len(), 6);
    let store = &scene.invite.app.store;
    for message in &taken {
        let due = message.email.clone().expect("a due email");
        let stored = store
            .invitation_for(&due.workgroup, &due.to)
            .await
            .unwrap()
            .unwrap();
        let claimed = stored
            .claimed_for(&due, back_then.clock.now())
            .expect("the email is owed");
        store
            .update_invitation(&claimed, None)
            .await
            .expect("claimed");
    }
    // Their messages came back a minute later, within the grace: the claims held, so no
    // sender sent them, and the messages were done with.
    let within_grace = backdated(&scene.sender.deployment, then + TimeDelta::minutes(1));
    let mailer = &scene.sender.mailer;
    for message in &taken {
        let due = message.email.clone().expect("a due email");
        let outcome = within_grace.send_due(&due, mailer).await.expect("handled");
        assert_eq!(outcome, domain::delivery::SendOutcome::Skipped);
        queue.delete(&message.receipt).await.expect("deleted");
    }
    assert_eq!(
        scene.tick(then + TimeDelta::minutes(2), "deliveries").await,
        0,
        "no sweep posts a claimed email within the grace"
    );
    assert_eq!(
        scene.ses.answers().accepted,
        3,
        "only the old invitations so far"
    );

    // After the grace, the sweep posts each again, once however many sweeps run, and each is
    // sent once.
    let after_grace = then + DELIVERY_GRACE + TimeDelta::minutes(1);
    let (a, b) = tokio::join!(
        remind::handle(&scene.remind, sweep_tick(after_grace, "deliveries")),
        remind::handle(&scene.remind, sweep_tick(after_grace, "deliveries")),
    );
    let posted = |r: remind::TickReport| r.deliveries.expect("swept").sent;
    assert_eq!(posted(a.unwrap()) + posted(b.unwrap()), 6);
    assert_eq!(scene.drain().await, 6);
    assert_eq!(scene.tick(now(), "deliveries").await, 0);

    let mut expected = due(&old, &[Kind::Invitation, Kind::Reminder]);
    expected.extend(due(&new, &[Kind::Invitation]));
    scene.assert_each_delivered_once(&expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_producer_stopped_between_its_write_and_the_queue_leaves_the_email_to_the_sweep() {
    let scene = Scene::new("unposted", None, CONFIGURED_RATE).await;
    let old = addresses("old", 3);
    scene.invite_at(now() - reminder_age(), &old).await;
    assert_eq!(scene.drain().await, 3);

    // Ten minutes ago the invite function and the reminder sweep wrote their invitations, and
    // their posts to the queue failed (a queue that is not there).
    let then = now() - TimeDelta::minutes(10);
    let gone = aws::SqsQueue::new(
        aws_sdk_sqs::Client::new(&scene.stack.sdk),
        format!("{}-gone", scene.stack.env["QUEUE_URL"]),
    );
    let unposted = |at| domain::App {
        store: scene.invite.app.store.clone(),
        queue: gone.clone(),
        clock: domain::clock::ShiftedClock::starting_at(at),
        key: scene.invite.app.key.clone(),
        settings: scene.invite.app.settings.clone(),
    };
    let new = addresses("new", 3);
    let answer = send_to_app(&unposted(then), &scene.invite_event(&new)).await;
    let results = results_of(answer.assert_ok(200), 3);
    assert!(
        results
            .iter()
            .all(|r| r["invitation"]["delivery"] == "queued"),
        "{results:#?}"
    );
    let swept = unposted(then)
        .send_due_reminders(then, || true)
        .await
        .expect("the sweep runs");
    assert_eq!(swept.sent, 3, "the reminders were made due");
    assert_eq!(
        scene.stack.queue().holding().await.unwrap(),
        0,
        "nothing was posted"
    );
    assert_eq!(
        scene.tick(then + TimeDelta::minutes(2), "deliveries").await,
        0,
        "within the grace the sweep leaves them be"
    );

    // After the grace, the sweep finds all six and each is sent once.
    assert_eq!(
        scene
            .tick(then + DELIVERY_GRACE + TimeDelta::minutes(1), "deliveries")
            .await,
        6
    );
    assert_eq!(scene.drain().await, 6);
    assert_eq!(scene.tick(now(), "deliveries").await, 0);

    let mut expected = due(&old, &[Kind::Invitation, Kind::Reminder]);
    expected.extend(due(&new, &[Kind::Invitation]));
    scene.assert_each_delivered_once(&expected).await;
}
