//! Reminders: each sent once, never for answered or expired invitations.

use chrono::TimeDelta;
use domain::{message::Email, role::Role};

use crate::harness::*;

pub(crate) fn reminders_to(app: &TestApp, to: &str) -> Vec<Email> {
    app.emails_to(to)
        .into_iter()
        .filter(|email| email.subject.starts_with("Reminder"))
        .collect()
}

#[tokio::test]
async fn each_reminder_is_sent_once_and_its_link_accepts_the_invitation() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    let original = app.last_email_to("ann@example.com");

    app.advance(days(23) - TimeDelta::seconds(1));
    assert_eq!(app.sweep().await.sent, 0, "more than 7 days left");

    app.advance(TimeDelta::seconds(1));
    let report = app.sweep().await;
    assert_eq!((report.candidates, report.sent), (1, 1));
    let seven = reminders_to(&app, "ann@example.com");
    assert_eq!(seven.len(), 1);
    assert!(seven[0].text.contains("7 days"), "{}", seven[0].text);
    assert_eq!(seven[0].accept_link, original.accept_link);

    let again = app.sweep().await;
    assert_eq!((again.sent, again.skipped), (0, 1), "not twice");
    app.advance(days(5));
    assert_eq!(app.sweep().await.sent, 0, "2 days left: nothing new");

    app.advance(days(1));
    assert_eq!(app.sweep().await.sent, 1, "1 day left");
    assert_eq!(app.sweep().await.sent, 0);
    let reminders = reminders_to(&app, "ann@example.com");
    assert_eq!(reminders.len(), 2);
    assert!(
        reminders[1].text.contains("1 day."),
        "{}",
        reminders[1].text
    );

    let token = token_of(&reminders[1]);
    assert_eq!(
        token,
        token_of(&original),
        "the original link keeps working"
    );
    let joined = app
        .accept_invitation(&ann(), &token, Some("Ann"))
        .await
        .unwrap();
    assert_eq!(joined.workgroup.id, wg);
    assert_eq!(
        app.sweep().await.candidates,
        0,
        "accepted: nothing to remind"
    );
}

#[tokio::test]
async fn a_missed_sweep_sends_a_single_reminder() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    app.advance(days(29) + TimeDelta::hours(3));
    assert_eq!(app.sweep().await.sent, 1);
    app.advance(TimeDelta::hours(1));
    assert_eq!(app.sweep().await.sent, 0);
    let reminders = reminders_to(&app, "ann@example.com");
    assert_eq!(reminders.len(), 1);
    assert!(
        reminders[0].text.contains("1 day."),
        "{}",
        reminders[0].text
    );
}

#[tokio::test]
async fn declined_and_expired_invitations_get_no_reminder() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    app.invite_one(&alice(), &wg, "bob@example.com", Role::Manager)
        .await;
    app.decline_invitation(&app.token_sent_to("ann@example.com"))
        .await
        .unwrap();
    app.advance(days(30));
    let report = app.sweep().await;
    assert_eq!((report.candidates, report.sent), (0, 0), "{report:?}");
    app.advance(-TimeDelta::days(7));
    let report = app.sweep().await;
    assert_eq!((report.candidates, report.sent), (1, 1), "only bob's");
    assert!(reminders_to(&app, "ann@example.com").is_empty());
}

#[tokio::test]
async fn a_resend_resets_the_reminders() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let invitation = app
        .invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    app.advance(days(23));
    assert_eq!(app.sweep().await.sent, 1);

    app.resend_invitation(&alice(), &wg, &invitation.id)
        .await
        .unwrap();
    assert_eq!(app.sweep().await.candidates, 0, "30 days left again");
    app.advance(days(23));
    assert_eq!(
        app.sweep().await.sent,
        1,
        "the 7-day reminder of the new send"
    );
    let reminders = reminders_to(&app, "ann@example.com");
    assert_eq!(reminders.len(), 2);
    assert_ne!(reminders[0].accept_link, reminders[1].accept_link);
    assert!(is_token_not_found(
        &app.lookup_invitation(&token_of(&reminders[0])).await
    ));
    assert!(
        app.lookup_invitation(&token_of(&reminders[1]))
            .await
            .is_ok()
    );
}
