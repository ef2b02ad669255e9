//! The audit trail: every change recorded, by whom, when.

use chrono::TimeDelta;
use domain::{
    Caller,
    app::AccessError,
    audit::{Actor, Change, Event},
    clock::Clock,
    ids::WorkgroupId,
    invitation::RETRY_BACKOFF,
    role::{Denied, Role},
    usecases::{BadList, ListError, ListQuery},
};

use crate::harness::*;

/// The workgroup's trail as `(type, actor, invitee)`, oldest first.
async fn trail(app: &TestApp, by: &Caller, wg: &WorkgroupId) -> Vec<(String, String, String)> {
    let mut events = Vec::new();
    let mut query = ListQuery {
        limit: Some(3),
        cursor: None,
    };
    loop {
        let page = app.list_events(by, wg, &query).await.unwrap();
        events.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    events.reverse();
    events.iter().map(described).collect()
}

fn described(event: &Event) -> (String, String, String) {
    let kind = match event.change {
        Change::Delivery { delivery, .. } => format!("delivery:{}", delivery.as_str()),
        Change::Reminded { days_before } => format!("reminded:{days_before}"),
        other => other.kind().trim_start_matches("invitation.").to_owned(),
    };
    let actor = match &event.actor {
        Actor::Agent { email, .. } => email.to_string(),
        Actor::Invitee { email } => format!("invitee {email}"),
        Actor::System => "system".to_owned(),
        Actor::SignIn { subject, .. } => format!("sign-in {subject}"),
    };
    let subject = match (&event.invitation, &event.agent) {
        (Some(invitation), _) => invitation.email.to_string(),
        (None, Some(agent)) => agent.email.to_string(),
        (None, None) => String::new(),
    };
    (kind, actor, subject)
}

fn row(kind: &str, actor: &str, invitee: &str) -> (String, String, String) {
    (kind.to_owned(), actor.to_owned(), invitee.to_owned())
}

#[tokio::test]
async fn every_change_is_in_the_trail_with_who_made_it() {
    let app = TestApp::new();
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    let ann_invitation = app
        .invite_one(&admin, &wg, "ann@example.com", Role::Manager)
        .await;
    app.advance(TimeDelta::seconds(1));
    let bob_invitation = app
        .invite_one(&admin, &wg, "bob@example.com", Role::Associate)
        .await;
    app.advance(TimeDelta::seconds(1));
    app.accept_invitation(&ann(), &app.token_sent_to("ann@example.com"), Some("Ann"))
        .await
        .unwrap();
    app.advance(TimeDelta::seconds(1));
    app.decline_invitation(&app.token_sent_to("bob@example.com"))
        .await
        .unwrap();
    app.advance(TimeDelta::seconds(1));
    // Ann, a manager now, sends it again; then cancels it.
    app.resend_invitation(&ann(), &wg, &bob_invitation.id)
        .await
        .unwrap();
    app.advance(TimeDelta::seconds(1));
    app.cancel_invitation(&ann(), &wg, &bob_invitation.id)
        .await
        .unwrap();
    app.advance(TimeDelta::seconds(1));
    let cy = app
        .invite_one(&admin, &wg, "cy@example.com", Role::Associate)
        .await;
    app.advance(days(23));
    assert_eq!(app.sweep().await.sent, 1);
    app.advance(days(8));
    assert_eq!(
        app.record_expiries(app.clock.now(), || true)
            .await
            .unwrap()
            .sent,
        1
    );

    let admin_email = "alice@example.com";
    assert_eq!(
        trail(&app, &admin, &wg).await,
        vec![
            row("invited", admin_email, "ann@example.com"),
            row("delivery:sent", "system", "ann@example.com"),
            row("invited", admin_email, "bob@example.com"),
            row("delivery:sent", "system", "bob@example.com"),
            row("accepted", "ann@example.com", "ann@example.com"),
            row("declined", "invitee bob@example.com", "bob@example.com"),
            row("resent", "ann@example.com", "bob@example.com"),
            row("delivery:sent", "system", "bob@example.com"),
            row("cancelled", "ann@example.com", "bob@example.com"),
            row("invited", admin_email, "cy@example.com"),
            row("delivery:sent", "system", "cy@example.com"),
            row("reminded:7", "system", "cy@example.com"),
            // The reminder's email, handed over like any.
            row("delivery:sent", "system", "cy@example.com"),
            row("expired", "system", "cy@example.com"),
        ]
    );
    let events = app.store.stored_events();
    let expired = events.iter().find(|e| e.change == Change::Expired).unwrap();
    assert_eq!(expired.at, cy.expires_at(), "it expired at its expiry");
    assert!(events.iter().all(|e| e.workgroup == wg), "{events:?}");
    let accepted = events
        .iter()
        .find(|e| e.change == Change::Accepted)
        .unwrap();
    let subject = accepted.invitation.as_ref().unwrap();
    assert_eq!(subject.id, ann_invitation.id);
    assert_eq!(subject.role, Role::Manager);
}

#[tokio::test]
async fn failed_deliveries_bounces_and_retries_are_in_the_trail() {
    let app = TestApp::new();
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    app.mailer.fail(true);
    let invitation = app
        .invite_one(&admin, &wg, "ann@example.com", Role::Associate)
        .await;
    app.mailer.fail(false);
    app.advance(RETRY_BACKOFF[0]);
    assert_eq!(
        app.retry_deliveries(app.clock.now(), || true)
            .await
            .unwrap()
            .sent,
        1
    );
    let sent = app.stored(&invitation.id).unwrap();
    let reference = domain::message::MailReference {
        workgroup: wg.clone(),
        invitation: invitation.id.clone(),
        send: sent.nonce.fingerprint(),
    };
    for _ in 0..2 {
        domain::usecases::feedback::record_refusal(
            &app.store,
            &reference,
            domain::usecases::feedback::Refusal::Bounce,
            app.clock.now(),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        trail(&app, &admin, &wg).await,
        vec![
            row("invited", "alice@example.com", "ann@example.com"),
            row("delivery:failed", "system", "ann@example.com"),
            row("delivery:sent", "system", "ann@example.com"),
            row("delivery:bounced", "system", "ann@example.com"),
        ],
        "the retry's claim is not a change; a repeated report is recorded once"
    );
}

#[tokio::test]
async fn only_administrators_and_managers_read_a_trail_and_only_their_own() {
    let app = TestApp::new();
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    let other = app.workgroup(&bob(), "Elsewhere").await;
    app.join(&admin, &wg, &ann(), Role::Manager).await;
    let cy = person("cy@example.com");
    app.join(&admin, &wg, &cy, Role::Associate).await;
    app.invite_one(&bob(), &other, "dee@example.com", Role::Associate)
        .await;

    let manager_view = trail(&app, &ann(), &wg).await;
    assert_eq!(manager_view, trail(&app, &admin, &wg).await);
    assert!(
        manager_view
            .iter()
            .all(|(_, _, invitee)| invitee != "dee@example.com"),
        "nothing of another workgroup"
    );
    let associate = app.list_events(&cy, &wg, &ListQuery::default()).await;
    assert!(matches!(
        associate,
        Err(ListError::Access(AccessError::Denied(Denied::Forbidden(_))))
    ));
    let stranger = app.list_events(&bob(), &wg, &ListQuery::default()).await;
    assert!(matches!(
        stranger,
        Err(ListError::Access(AccessError::Denied(Denied::NotAMember)))
    ));
    // A cursor of one workgroup's trail is refused on another's.
    let page = app
        .list_events(
            &admin,
            &wg,
            &ListQuery {
                limit: Some(1),
                cursor: None,
            },
        )
        .await
        .unwrap();
    app.join(&bob(), &other, &admin, Role::Administrator).await;
    let foreign = app
        .list_events(
            &admin,
            &other,
            &ListQuery {
                limit: Some(1),
                cursor: page.next_cursor,
            },
        )
        .await;
    assert!(matches!(
        foreign,
        Err(ListError::BadRequest(BadList::Cursor(_)))
    ));
}
