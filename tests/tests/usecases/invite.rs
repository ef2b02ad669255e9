//! Inviting: renewing, answering every entry, refusing what is too much.

use domain::{
    address::PasteError,
    invitation::{Delivery, Status},
    role::Role,
    usecases::{
        accept::{AcceptError, TokenError},
        invite::{InviteError, InviteOutcome},
        manage::ManageError,
    },
};

use crate::harness::*;

#[tokio::test]
async fn inviting_an_address_again_renews_its_invitation() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let first = app
        .invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    let old_token = app.token_sent_to("ann@example.com");

    app.advance(days(5));
    let results = app
        .invite(&alice(), &wg, "ANN@example.com", Role::Associate)
        .await;
    assert_eq!(outcomes(&results), [("ann@example.com", "resent")]);
    let InviteOutcome::Resent(renewed) = &results[0].outcome else {
        unreachable!()
    };
    assert_eq!(renewed.id, first.id);
    assert_eq!(renewed.role, Role::Associate);
    assert_eq!(renewed.sent_at, t0() + days(5));
    assert_eq!(renewed.expires_at(), t0() + days(35));
    assert_eq!(renewed.delivery, Delivery::Queued);
    assert_eq!(app.stored(&renewed.id).unwrap().delivery, Delivery::Sent);

    assert_eq!(app.emails_to("ann@example.com").len(), 2);
    let new_token = app.token_sent_to("ann@example.com");
    assert_ne!(new_token, old_token);
    assert!(is_token_not_found(&app.lookup_invitation(&old_token).await));
    assert!(matches!(
        app.accept_invitation(&ann(), &old_token, Some("Ann")).await,
        Err(AcceptError::Token(TokenError::NotFound))
    ));
    assert_eq!(app.listed(&alice(), &wg).await.len(), 1);
    let joined = app
        .accept_invitation(&ann(), &new_token, Some("Ann"))
        .await
        .unwrap();
    assert_eq!(joined.agent.role, Role::Associate);
}

#[tokio::test]
async fn inviting_a_declined_address_again_makes_it_pending_again() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    app.decline_invitation(&app.token_sent_to("ann@example.com"))
        .await
        .unwrap();

    let results = app
        .invite(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    assert_eq!(outcomes(&results), [("ann@example.com", "resent")]);
    assert_eq!(
        results[0].outcome.invitation().unwrap().status,
        Status::Pending
    );
    assert!(
        app.lookup_invitation(&app.token_sent_to("ann@example.com"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_invite_answers_every_entry_in_input_order() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.invite_one(&alice(), &wg, "bob@example.com", Role::Manager)
        .await;
    let sent_before = app.mailer.sent().len();

    let results = app
        .invite(
            &alice(),
            &wg,
            "carl@example.com; not-an-address\nALICE@example.com, Bob@example.com carl@EXAMPLE.com",
            Role::Associate,
        )
        .await;
    assert_eq!(
        outcomes(&results),
        [
            ("carl@example.com", "invited"),
            ("not-an-address", "invalid_email"),
            ("alice@example.com", "already_agent"),
            ("bob@example.com", "resent"),
            ("carl@example.com", "duplicate"),
        ]
    );
    assert_eq!(
        app.mailer.sent().len(),
        sent_before + 2,
        "emails only for the invited and the resent"
    );
    assert!(app.emails_to("alice@example.com").is_empty());
}

#[tokio::test]
async fn an_invite_without_a_valid_address_or_with_too_many_changes_nothing() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let too_many: Vec<String> = (0..51).map(|i| format!("a{i}@example.com")).collect();
    let cases = [
        ("".to_owned(), "nothing pasted"),
        (
            "not-an-address, @example.com".to_owned(),
            "only invalid entries",
        ),
        (too_many.join(" "), "51 addresses"),
    ];
    for (emails, case) in cases {
        let result = app.try_invite(&alice(), &wg, &emails, Role::Manager).await;
        assert!(
            matches!(
                result,
                Err(InviteError::BadRequest(
                    PasteError::NoValidAddress | PasteError::TooMany { .. }
                ))
            ),
            "{case}: {result:?}"
        );
    }
    assert!(app.listed(&alice(), &wg).await.is_empty());
    assert!(app.mailer.sent().is_empty());

    let fifty: Vec<String> = (0..50).map(|i| format!("a{i}@example.com")).collect();
    let results = app
        .invite(&alice(), &wg, &fifty.join(","), Role::Manager)
        .await;
    assert_eq!(results.len(), 50, "exactly 50 is allowed");
}

#[tokio::test]
async fn an_expired_invitation_is_gone_for_every_read_and_action() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let invitation = app
        .invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    app.advance(days(30));

    assert!(app.listed(&alice(), &wg).await.is_empty());
    assert!(matches!(
        app.get_invitation(&alice(), &wg, &invitation.id).await,
        Err(ManageError::NotFound)
    ));
    assert!(matches!(
        app.resend_invitation(&alice(), &wg, &invitation.id).await,
        Err(ManageError::NotFound)
    ));
    assert!(matches!(
        app.cancel_invitation(&alice(), &wg, &invitation.id).await,
        Err(ManageError::NotFound)
    ));
    let results = app
        .invite(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    assert_eq!(
        outcomes(&results),
        [("ann@example.com", "invited")],
        "a fresh invitation, not a resend"
    );
}
