//! Mail failures: retried, given up on, reported.

use domain::store::Invitations as _;

use domain::{
    clock::Clock,
    delivery::Occasion,
    invitation::{
        DELIVERY_GRACE, Delivery, Invitation, MAX_DELIVERY_ATTEMPTS, RETRY_BACKOFF, Status,
    },
    locale::Locale,
    people::WorkgroupName,
    role::Role,
    usecases::invite::InviteRequest,
};

use crate::{harness::*, remind::reminders_to};

#[tokio::test]
async fn a_mail_failure_leaves_the_invitation_saved_and_marked_failed() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.mailer.fail(true);

    let results = app
        .invite(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    assert_eq!(outcomes(&results), [("ann@example.com", "invited")]);
    let invitation = results[0].outcome.invitation().unwrap();
    assert_eq!(
        invitation.delivery,
        Delivery::Queued,
        "answered before the send"
    );
    assert_eq!(app.mailer.refused(), 1);

    let stored = app.stored(&invitation.id).unwrap();
    assert_eq!(stored.delivery, Delivery::Failed);
    assert_eq!(stored.status, Status::Pending);
    assert_eq!(app.listed(&alice(), &wg).await, [stored]);

    app.mailer.fail(false);
    let resent = app
        .resend_invitation(&alice(), &wg, &invitation.id)
        .await
        .unwrap();
    assert_eq!(resent.delivery, Delivery::Queued);
    assert_eq!(app.stored(&invitation.id).unwrap().delivery, Delivery::Sent);
    assert!(
        app.lookup_invitation(&app.token_sent_to("ann@example.com"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_outage_during_a_burst_loses_nothing_and_each_invitee_gets_one_email() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let invitees: Vec<String> = (0..20).map(|i| format!("invitee{i}@example.com")).collect();

    app.mailer.fail(true);
    let admin = alice();
    let answers = futures::future::join_all(
        invitees
            .iter()
            .map(|email| app.invite(&admin, &wg, email, Role::Associate)),
    )
    .await;
    for results in &answers {
        let invitation = results[0].outcome.invitation().expect("saved");
        assert_eq!(
            invitation.delivery,
            Delivery::Queued,
            "answered before the send"
        );
    }
    let listed = app.listed(&admin, &wg).await;
    assert_eq!(listed.len(), 20, "nothing lost");
    assert!(
        listed.iter().all(|i| i.delivery == Delivery::Failed),
        "the list says so"
    );

    // Still down at the first retry: every email is posted again, every attempt fails, each
    // is scheduled again.
    app.advance(RETRY_BACKOFF[0]);
    let report = app
        .retry_deliveries(app.clock.now(), || true)
        .await
        .unwrap();
    assert_eq!((report.candidates, report.sent), (20, 20));
    assert_eq!(app.mailer.refused(), 40);
    assert_eq!(
        app.retry_deliveries(app.clock.now(), || true)
            .await
            .unwrap()
            .candidates,
        0
    );

    // Back up: two sweeps at once still send each email exactly once.
    app.mailer.fail(false);
    app.advance(RETRY_BACKOFF[1]);
    let (first, second) = tokio::join!(
        app.retry_deliveries(app.clock.now(), || true),
        app.retry_deliveries(app.clock.now(), || true)
    );
    assert_eq!(first.unwrap().sent + second.unwrap().sent, 20);
    for email in &invitees {
        assert_eq!(app.emails_to(email).len(), 1, "{email}");
        let token = app.token_sent_to(email);
        assert!(
            app.lookup_invitation(&token).await.is_ok(),
            "{email}'s link works"
        );
    }
    app.advance(days(1));
    assert_eq!(
        app.retry_deliveries(app.clock.now(), || true)
            .await
            .unwrap()
            .candidates,
        0
    );
    assert!(
        app.listed(&admin, &wg)
            .await
            .iter()
            .all(|i| i.delivery == Delivery::Sent)
    );
}

#[tokio::test]
async fn an_email_is_given_up_on_after_the_last_attempt() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.mailer.fail(true);
    let invitation = app
        .invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    for (attempt, wait) in RETRY_BACKOFF.into_iter().enumerate() {
        app.advance(wait);
        let report = app
            .retry_deliveries(app.clock.now(), || true)
            .await
            .unwrap();
        assert_eq!((report.candidates, report.sent), (1, 1), "posted again");
        assert_eq!(app.mailer.refused(), attempt + 2, "and refused");
    }
    let stored = app.stored(&invitation.id).unwrap();
    assert_eq!(stored.delivery_attempts, MAX_DELIVERY_ATTEMPTS);
    assert_eq!((stored.delivery, stored.retry_at), (Delivery::Failed, None));
    assert_eq!(app.mailer.refused(), usize::from(MAX_DELIVERY_ATTEMPTS));
    app.advance(days(2));
    assert_eq!(
        app.retry_deliveries(app.clock.now(), || true)
            .await
            .unwrap()
            .candidates,
        0
    );
    // A resend starts over.
    app.mailer.fail(false);
    let resent = app
        .resend_invitation(&alice(), &wg, &invitation.id)
        .await
        .unwrap();
    let stored = app.stored(&resent.id).unwrap();
    assert_eq!(
        (stored.delivery, stored.delivery_attempts),
        (Delivery::Sent, 1)
    );
}

#[tokio::test]
async fn an_email_whose_sender_never_reported_is_sent_after_the_grace() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let invitation = app
        .invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    // As if the sender stopped between saving and reporting: the stored email is still queued.
    let stored = app.stored(&invitation.id).unwrap();
    let unreported = Invitation {
        delivery: Delivery::Queued,
        retry_at: Some(stored.sent_at + DELIVERY_GRACE),
        ..stored.clone()
    };
    let event = domain::audit::Event::delivery(&unreported, stored.sent_at);
    app.store
        .record_delivery(&unreported, &event)
        .await
        .unwrap();
    assert_eq!(
        app.retry_deliveries(app.clock.now(), || true)
            .await
            .unwrap()
            .candidates,
        0
    );
    app.advance(DELIVERY_GRACE);
    assert_eq!(
        app.retry_deliveries(app.clock.now(), || true)
            .await
            .unwrap()
            .sent,
        1
    );
    assert_eq!(app.emails_to("ann@example.com").len(), 2);
    assert_eq!(app.stored(&invitation.id).unwrap().delivery, Delivery::Sent);
}

#[tokio::test]
async fn a_failed_reminder_is_retried_like_an_invitation_and_sent_once() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let invitation = app
        .invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    app.advance(days(23));
    app.mailer.fail(true);
    let report = app.sweep().await;
    assert_eq!(report.sent, 1, "queued");
    assert_eq!(app.mailer.refused(), 1, "and refused");
    let stored = app.stored(&invitation.id).unwrap();
    assert_eq!(stored.occasion, Occasion::Reminder { days_before: 7 });
    assert_eq!(stored.delivery, Delivery::Failed);
    // The same threshold is not queued twice; the failed reminder goes out after the backoff.
    app.mailer.fail(false);
    assert_eq!(app.sweep().await.sent, 0);
    app.advance(RETRY_BACKOFF[0]);
    app.retry_deliveries(app.clock.now(), || true)
        .await
        .unwrap();
    assert_eq!(reminders_to(&app, "ann@example.com").len(), 1);
    assert_eq!(app.stored(&invitation.id).unwrap().delivery, Delivery::Sent);
    app.advance(days(1));
    app.retry_deliveries(app.clock.now(), || true)
        .await
        .unwrap();
    assert_eq!(reminders_to(&app, "ann@example.com").len(), 1, "once");
}

#[tokio::test]
async fn a_workgroup_emails_in_its_language_unless_the_invite_asks_for_another() {
    let app = TestApp::new();
    let wg = app
        .create_workgroup(
            &alice(),
            WorkgroupName::parse("サポート").unwrap(),
            Some(Locale::Ja),
        )
        .await
        .unwrap()
        .workgroup
        .id;
    app.invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    let email = app.last_email_to("ann@example.com");
    assert!(email.subject.contains("招待"), "{}", email.subject);

    let request =
        InviteRequest::pasted(&["carl@example.com"], 50, Role::Manager, Some(Locale::En)).unwrap();
    app.app.invite(&alice(), &wg, &request).await.unwrap();
    let email = app.last_email_to("carl@example.com");
    assert!(
        email.subject.starts_with("You are invited"),
        "{}",
        email.subject
    );

    // Reminders go out in each invitation's own language.
    app.advance(days(23));
    assert_eq!(app.sweep().await.sent, 2);
    let reminder = app.last_email_to("carl@example.com");
    assert!(
        reminder.subject.starts_with("Reminder:"),
        "{}",
        reminder.subject
    );
    let reminder = app.last_email_to("ann@example.com");
    assert!(
        reminder.subject.starts_with("リマインダー"),
        "{}",
        reminder.subject
    );
}
