//! Accepting and declining: the first acceptance registers, dead tokens all look alike.

use domain::store::People as _;

use chrono::TimeDelta;
use domain::{
    ids::WorkgroupId,
    invitation::Status,
    role::Role,
    secret::{InvitationToken, SecretKey},
    usecases::{
        ListQuery,
        accept::{AcceptError, TokenError},
    },
};

use crate::harness::*;

#[tokio::test]
async fn accepting_signed_in_as_another_address_is_refused_and_changes_nothing() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let invitation = app
        .invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    let token = app.token_sent_to("ann@example.com");
    let before = app.stored(&invitation.id).unwrap();

    for intruder in [bob(), alice(), person("ann@example.org")] {
        let result = app
            .accept_invitation(&intruder, &token, Some("Not Ann"))
            .await;
        assert!(
            matches!(result, Err(AcceptError::WrongAddress)),
            "{}: {result:?}",
            intruder.email
        );
    }
    assert_eq!(app.stored(&invitation.id), Some(before));
    assert!(app.store.person(&bob().email).await.unwrap().is_none());
    assert_eq!(app.agent_emails(&alice(), &wg).await.len(), 1);

    app.accept_invitation(&ann(), &token, Some("Ann"))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_first_acceptance_needs_a_name_and_later_ones_do_not() {
    let app = TestApp::new();
    let support = app.workgroup(&alice(), "Support desk").await;
    let carl = person("carl@example.com");
    let billing = app.workgroup(&carl, "Billing").await;

    app.invite_one(&alice(), &support, "ann@example.com", Role::Manager)
        .await;
    let token = app.token_sent_to("ann@example.com");
    let missing = app.accept_invitation(&ann(), &token, None).await;
    assert!(
        matches!(missing, Err(AcceptError::NameRequired)),
        "{missing:?}"
    );
    for bad in ["", "   ", "bad\nname"] {
        let result = app.accept_invitation(&ann(), &token, Some(bad)).await;
        assert!(
            matches!(result, Err(AcceptError::InvalidName(_))),
            "{bad:?}: {result:?}"
        );
    }
    assert!(app.lookup_invitation(&token).await.is_ok(), "still open");
    app.accept_invitation(&ann(), &token, Some("  Ann Lee "))
        .await
        .unwrap();

    app.invite_one(&carl, &billing, "ann@example.com", Role::Associate)
        .await;
    let token = app.token_sent_to("ann@example.com");
    let preview = app.lookup_invitation(&token).await.unwrap();
    assert!(!preview.registration_needed);
    let joined = app.accept_invitation(&ann(), &token, None).await.unwrap();
    assert_eq!(joined.agent.name.as_str(), "Ann Lee");
    assert_eq!(joined.agent.role, Role::Associate);

    let roles: Vec<(String, Role)> = app
        .my_workgroups(&ann())
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.workgroup.name.to_string(), m.agent.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("Billing".to_owned(), Role::Associate),
            ("Support desk".to_owned(), Role::Manager),
        ],
        "a role per workgroup"
    );
}

#[tokio::test]
async fn someone_who_created_a_workgroup_is_already_registered_when_invited_elsewhere() {
    let app = TestApp::new();
    let support = app.workgroup(&alice(), "Support desk").await;
    app.workgroup(&bob(), "Bob's own").await;
    app.invite_one(&alice(), &support, "bob@example.com", Role::Associate)
        .await;
    let token = app.token_sent_to("bob@example.com");
    assert!(
        !app.lookup_invitation(&token)
            .await
            .unwrap()
            .registration_needed
    );
    app.accept_invitation(&bob(), &token, None).await.unwrap();
}

#[derive(Debug, Clone, Copy)]
enum DeadToken {
    Unknown,
    Malformed,
    Used,
    Declined,
    Cancelled,
    SupersededByResend,
    SupersededByReinvite,
    Expired,
}

/// An app where ann@example.com holds `token`, dead for the reason given.
async fn dead_token(case: DeadToken) -> (TestApp, String) {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let invitation = app
        .invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    let token = app.token_sent_to("ann@example.com");
    let token = match case {
        DeadToken::Unknown => SecretKey::from_bytes([1; 32])
            .invitation_token(&invitation.id, &invitation.nonce)
            .expose()
            .to_owned(),
        DeadToken::Malformed => format!("{}x", token.expose()),
        DeadToken::Used => {
            app.accept_invitation(&ann(), &token, Some("Ann"))
                .await
                .unwrap();
            token.expose().to_owned()
        }
        DeadToken::Declined => {
            app.decline_invitation(&token).await.unwrap();
            token.expose().to_owned()
        }
        DeadToken::Cancelled => {
            app.cancel_invitation(&alice(), &wg, &invitation.id)
                .await
                .unwrap();
            token.expose().to_owned()
        }
        DeadToken::SupersededByResend => {
            app.resend_invitation(&alice(), &wg, &invitation.id)
                .await
                .unwrap();
            token.expose().to_owned()
        }
        DeadToken::SupersededByReinvite => {
            app.invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
                .await;
            token.expose().to_owned()
        }
        DeadToken::Expired => {
            app.advance(days(30));
            token.expose().to_owned()
        }
    };
    (app, token)
}

/// What the edge makes of a token's text: the token, or the answer any dead token gets.
fn at_the_edge(text: &str) -> Result<InvitationToken, TokenError> {
    InvitationToken::parse(text).ok_or(TokenError::NotFound)
}

#[tokio::test]
async fn every_dead_token_gets_the_same_not_found_answer() {
    let cases = [
        (DeadToken::Unknown, "a token this app never issued"),
        (DeadToken::Malformed, "not even shaped like a token"),
        (DeadToken::Used, "already accepted"),
        (DeadToken::Declined, "declined"),
        (DeadToken::Cancelled, "cancelled by an administrator"),
        (DeadToken::SupersededByResend, "replaced by a resend"),
        (DeadToken::SupersededByReinvite, "replaced by a re-invite"),
        (DeadToken::Expired, "30 days after sending"),
    ];
    for (case, why) in cases {
        let (app, token) = dead_token(case).await;
        let looked_up = match at_the_edge(&token) {
            Ok(token) => app.lookup_invitation(&token).await,
            Err(refused) => Err(refused),
        };
        assert!(
            is_token_not_found(&looked_up),
            "lookup, {why}: {looked_up:?}"
        );
        let declined = match at_the_edge(&token) {
            Ok(token) => app.decline_invitation(&token).await,
            Err(refused) => Err(refused),
        };
        assert!(
            is_token_not_found(&declined),
            "decline, {why}: {declined:?}"
        );
        let accepted = match at_the_edge(&token) {
            Ok(token) => app.accept_invitation(&ann(), &token, Some("Ann")).await,
            Err(refused) => Err(refused.into()),
        };
        assert!(
            matches!(accepted, Err(AcceptError::Token(TokenError::NotFound))),
            "accept, {why}: {accepted:?}"
        );
    }
}

#[tokio::test]
async fn a_token_still_works_one_second_before_it_expires() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    app.advance(days(30) - TimeDelta::seconds(1));
    let token = app.token_sent_to("ann@example.com");
    assert!(app.lookup_invitation(&token).await.is_ok());
    app.accept_invitation(&ann(), &token, Some("Ann"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_declined_invitation_stays_listed_as_declined_until_it_expires() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    app.invite_one(&alice(), &wg, "bob@example.com", Role::Manager)
        .await;
    app.decline_invitation(&app.token_sent_to("ann@example.com"))
        .await
        .unwrap();

    assert_eq!(
        listed_with(&app, &wg, Status::Declined).await,
        ["ann@example.com"]
    );
    assert_eq!(
        listed_with(&app, &wg, Status::Pending).await,
        ["bob@example.com"]
    );
    app.advance(days(30));
    assert!(listed_with(&app, &wg, Status::Declined).await.is_empty());
}

async fn listed_with(app: &TestApp, wg: &WorkgroupId, status: Status) -> Vec<String> {
    app.list_invitations(&alice(), wg, Some(status), &ListQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.email.to_string())
        .collect()
}
