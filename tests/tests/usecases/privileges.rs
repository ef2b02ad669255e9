//! Privileges through the use cases: who may do what, as the spec says.

use domain::{
    Caller,
    app::AccessError,
    ids::{InvitationId, WorkgroupId},
    role::{Denied, Role},
    usecases::{ListError, ListQuery, invite::InviteError, manage::ManageError},
};

use crate::harness::*;

#[tokio::test]
async fn a_manager_cannot_grant_the_administrator_role() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.join(&alice(), &wg, &bob(), Role::Manager).await;

    let result = app
        .try_invite(&bob(), &wg, "ann@example.com", Role::Administrator)
        .await;
    assert!(
        matches!(
            result,
            Err(InviteError::Access(AccessError::Denied(Denied::Forbidden(
                _
            ))))
        ),
        "{result:?}"
    );
    assert!(app.listed(&alice(), &wg).await.is_empty());
    assert!(app.emails_to("ann@example.com").is_empty());

    for role in [Role::Manager, Role::Associate, Role::Inactive] {
        let email = format!("{role}@example.com");
        let results = app.invite(&bob(), &wg, &email, role).await;
        assert_eq!(outcomes(&results), [(email.as_str(), "invited")]);
    }
}

#[tokio::test]
async fn a_manager_sees_an_administrator_invitation_but_cannot_renew_cancel_or_resend_it() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.join(&alice(), &wg, &bob(), Role::Manager).await;
    let invitation = app
        .invite_one(&alice(), &wg, "ann@example.com", Role::Administrator)
        .await;
    let token = app.token_sent_to("ann@example.com");
    let before = app.stored(&invitation.id).unwrap();

    let listed = app.listed(&bob(), &wg).await;
    assert_eq!(listed, std::slice::from_ref(&before));
    assert_eq!(
        app.get_invitation(&bob(), &wg, &invitation.id)
            .await
            .unwrap(),
        before
    );

    let results = app
        .invite(&bob(), &wg, "ann@example.com", Role::Manager)
        .await;
    assert_eq!(outcomes(&results), [("ann@example.com", "forbidden")]);

    let forbidden = |result: &Result<_, ManageError>| {
        matches!(
            result,
            Err(ManageError::Access(AccessError::Denied(Denied::Forbidden(
                _
            ))))
        )
    };
    let resent = app.resend_invitation(&bob(), &wg, &invitation.id).await;
    assert!(forbidden(&resent.map(drop)), "resend");
    let cancelled = app.cancel_invitation(&bob(), &wg, &invitation.id).await;
    assert!(forbidden(&cancelled), "cancel");

    assert_eq!(app.stored(&invitation.id), Some(before));
    assert_eq!(app.emails_to("ann@example.com").len(), 1);
    assert!(app.lookup_invitation(&token).await.is_ok());
}

#[tokio::test]
async fn a_manager_can_cancel_and_resend_invitations_below_administrator() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    app.join(&alice(), &wg, &bob(), Role::Manager).await;
    let ann_invitation = app
        .invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
        .await;
    let carl_invitation = app
        .invite_one(&alice(), &wg, "carl@example.com", Role::Inactive)
        .await;

    let resent = app
        .resend_invitation(&bob(), &wg, &ann_invitation.id)
        .await
        .unwrap();
    assert_eq!(resent.invited_by.email, bob().email, "whoever sent it last");
    app.cancel_invitation(&bob(), &wg, &carl_invitation.id)
        .await
        .unwrap();
    assert_eq!(app.listed(&alice(), &wg).await.len(), 1);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Allowed,
    Forbidden,
    NotFound,
}

#[derive(Debug, Clone, Copy)]
enum Operation {
    Invite,
    ListInvitations,
    GetInvitation,
    CancelInvitation,
    ResendInvitation,
    ListAgents,
    Allowance,
}

const OPERATIONS: [Operation; 7] = [
    Operation::Invite,
    Operation::ListInvitations,
    Operation::GetInvitation,
    Operation::CancelInvitation,
    Operation::ResendInvitation,
    Operation::ListAgents,
    Operation::Allowance,
];

fn answer(result: Result<(), AccessError>) -> Answer {
    match result {
        Ok(()) => Answer::Allowed,
        Err(AccessError::Denied(Denied::Forbidden(_))) => Answer::Forbidden,
        Err(AccessError::Denied(Denied::NotAMember)) => Answer::NotFound,
        Err(error) => panic!("unexpected {error:?}"),
    }
}

fn access<T, E: std::fmt::Debug>(
    result: Result<T, E>,
    access: impl FnOnce(E) -> Option<AccessError>,
) -> Result<(), AccessError> {
    match result {
        Ok(_) => Ok(()),
        Err(error) => {
            let text = format!("{error:?}");
            Err(access(error).unwrap_or_else(|| panic!("not an access error: {text}")))
        }
    }
}

fn manage_access(error: ManageError) -> Option<AccessError> {
    match error {
        ManageError::Access(access) => Some(access),
        ManageError::NotFound | ManageError::OverQuota(_) | ManageError::PendingCap(_) => None,
    }
}

fn list_access(error: ListError) -> Option<AccessError> {
    match error {
        ListError::Access(access) => Some(access),
        ListError::BadRequest(_) => None,
    }
}

async fn attempt(
    app: &TestApp,
    caller: &Caller,
    wg: &WorkgroupId,
    invitation: &InvitationId,
    operation: Operation,
) -> Answer {
    let query = ListQuery::default();
    answer(match operation {
        Operation::Invite => access(
            app.try_invite(caller, wg, "new@example.com", Role::Associate)
                .await,
            |error| match error {
                InviteError::Access(access) => Some(access),
                _ => None,
            },
        ),
        Operation::ListInvitations => access(
            app.list_invitations(caller, wg, None, &query).await,
            list_access,
        ),
        Operation::GetInvitation => access(
            app.get_invitation(caller, wg, invitation).await,
            manage_access,
        ),
        Operation::CancelInvitation => access(
            app.cancel_invitation(caller, wg, invitation).await,
            manage_access,
        ),
        Operation::ResendInvitation => access(
            app.resend_invitation(caller, wg, invitation).await,
            manage_access,
        ),
        Operation::ListAgents => access(app.list_agents(caller, wg, &query).await, list_access),
        Operation::Allowance => access(app.allowance(caller, wg).await, Some),
    })
}

#[tokio::test]
async fn associates_inactive_agents_and_strangers_are_refused_what_the_spec_refuses_them() {
    use Answer::{Allowed as Y, Forbidden as F, NotFound as N};
    let cases = [
        ("an associate", Some(Role::Associate), [F, F, F, F, F, Y, F]),
        (
            "an inactive agent",
            Some(Role::Inactive),
            [F, F, F, F, F, F, F],
        ),
        ("a stranger", None, [N, N, N, N, N, N, N]),
    ];
    for (who, role, expected) in cases {
        let app = TestApp::new();
        let wg = app.workgroup(&alice(), "Support desk").await;
        let caller = person("member@example.com");
        if let Some(role) = role {
            app.join(&alice(), &wg, &caller, role).await;
        }
        let invitation = app
            .invite_one(&alice(), &wg, "ann@example.com", Role::Associate)
            .await;
        let before = app.stored(&invitation.id);
        let sent_before = app.mailer.sent().len();

        for (operation, expected) in OPERATIONS.into_iter().zip(expected) {
            let got = attempt(&app, &caller, &wg, &invitation.id, operation).await;
            assert_eq!(got, expected, "{who} attempting {operation:?}");
        }
        assert_eq!(app.stored(&invitation.id), before, "{who} changed nothing");
        assert_eq!(app.mailer.sent().len(), sent_before, "{who} sent nothing");
    }
}

#[tokio::test]
async fn a_workgroup_that_does_not_exist_answers_like_one_the_caller_is_not_in() {
    let app = TestApp::new();
    let unknown = WorkgroupId::generate();
    for operation in OPERATIONS {
        let got = attempt(
            &app,
            &alice(),
            &unknown,
            &InvitationId::generate(),
            operation,
        )
        .await;
        assert_eq!(got, Answer::NotFound, "{operation:?}");
    }
}
