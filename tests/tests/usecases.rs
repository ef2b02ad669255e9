//! The use cases of `App`, against the in-memory store, the recording mailer and a manual clock.

use domain::store::{Counters as _, Invitations as _, People as _};
use std::ops::Deref;

use chrono::{TimeDelta, TimeZone, Utc};
use domain::fakes::{InlineQueue, ManualClock, MemoryStore, RecordingMailer};
use domain::{
    App, Caller, Settings,
    address::{EmailAddress, PasteError},
    app::AccessError,
    audit::{Actor, Change, Event},
    clock::{Clock, Timestamp},
    ids::{InvitationId, WorkgroupId},
    invitation::Occasion,
    invitation::{
        DELIVERY_GRACE, Delivery, Invitation, MAX_DELIVERY_ATTEMPTS, RETRY_BACKOFF, Status,
    },
    locale::Locale,
    message::{AcceptLinks, Email},
    people::WorkgroupName,
    role::{Denied, Role},
    secret::SecretKey,
    usecases::{
        BadList, ListError, ListQuery,
        accept::{AcceptError, TokenError},
        invite::{InviteError, InviteOutcome, InviteRequest, InviteResult},
        manage::ManageError,
        remind::SweepReport,
    },
};

// --- the harness -----------------------------------------------------------------------------

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

/// A caller signed in as `email`, with the one subject their identity provider gives them.
fn person(email: &str) -> Caller {
    let email = EmailAddress::parse(email).unwrap();
    Caller {
        sign_in: domain::people::SignIn {
            issuer: "https://issuer.example".to_owned(),
            subject: format!("subject-of-{email}"),
        },
        email,
        name: None,
    }
}

fn alice() -> Caller {
    Caller {
        name: Some("Alice Admin".to_owned()),
        ..person("alice@example.com")
    }
}

fn ann() -> Caller {
    person("ann@example.com")
}

fn bob() -> Caller {
    person("bob@example.com")
}

fn address(text: &str) -> EmailAddress {
    EmailAddress::parse(text).unwrap()
}

/// The use cases on the in-memory store, with a queue that sends each email at once into a
/// recording mailer.
struct TestApp {
    app: App<MemoryStore, InlineQueue, ManualClock>,
    mailer: RecordingMailer,
}

impl Deref for TestApp {
    type Target = App<MemoryStore, InlineQueue, ManualClock>;
    fn deref(&self) -> &Self::Target {
        &self.app
    }
}

impl TestApp {
    fn new() -> Self {
        let store = MemoryStore::default();
        let mailer = RecordingMailer::default();
        let clock = ManualClock::at(t0());
        let key = SecretKey::from_bytes([42; 32]);
        let links = AcceptLinks::new("https://app.example.com").unwrap();
        let queue = InlineQueue {
            store: store.clone(),
            mailer: mailer.clone(),
            clock: clock.clone(),
            key: key.clone(),
            links: links.clone(),
        };
        Self {
            app: App {
                store,
                queue,
                clock,
                key,
                settings: Settings::new(links),
            },
            mailer,
        }
    }

    /// An app whose settings `change` adjusted.
    fn with(change: impl FnOnce(&mut Settings)) -> Self {
        let mut app = Self::new();
        change(&mut app.app.settings);
        app
    }

    fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    async fn workgroup(&self, founder: &Caller, name: &str) -> WorkgroupId {
        let name = WorkgroupName::parse(name).unwrap();
        self.create_workgroup(founder, name, None)
            .await
            .unwrap()
            .workgroup
            .id
    }

    async fn try_invite(
        &self,
        by: &Caller,
        workgroup: &WorkgroupId,
        emails: &str,
        role: Role,
    ) -> Result<Vec<InviteResult>, InviteError> {
        let request = InviteRequest {
            emails: vec![emails.to_owned()],
            role,
            locale: None,
        };
        self.app.invite(by, workgroup, &request).await
    }

    async fn invite(
        &self,
        by: &Caller,
        workgroup: &WorkgroupId,
        emails: &str,
        role: Role,
    ) -> Vec<InviteResult> {
        self.try_invite(by, workgroup, emails, role).await.unwrap()
    }

    /// Invites one address and returns its invitation.
    async fn invite_one(
        &self,
        by: &Caller,
        workgroup: &WorkgroupId,
        email: &str,
        role: Role,
    ) -> Invitation {
        let results = self.invite(by, workgroup, email, role).await;
        results[0]
            .outcome
            .invitation()
            .unwrap_or_else(|| panic!("{email} was not invited: {results:?}"))
            .clone()
    }

    /// Invites `caller` and has them accept: an agent of the workgroup with `role`.
    async fn join(&self, by: &Caller, workgroup: &WorkgroupId, caller: &Caller, role: Role) {
        self.invite_one(by, workgroup, caller.email.as_str(), role)
            .await;
        let token = self.token_sent_to(caller.email.as_str());
        self.accept_invitation(caller, &token, Some("A Name"))
            .await
            .unwrap();
    }

    fn emails_to(&self, to: &str) -> Vec<Email> {
        let to = address(to);
        self.mailer
            .sent()
            .into_iter()
            .filter(|email| email.to == to)
            .collect()
    }

    fn last_email_to(&self, to: &str) -> Email {
        self.emails_to(to)
            .pop()
            .unwrap_or_else(|| panic!("no email was sent to {to}"))
    }

    /// The token in the accept link of the latest email to `to`.
    fn token_sent_to(&self, to: &str) -> String {
        token_of(&self.last_email_to(to))
    }

    fn stored(&self, id: &InvitationId) -> Option<Invitation> {
        self.store.stored_invitation(id)
    }

    async fn listed(&self, by: &Caller, workgroup: &WorkgroupId) -> Vec<Invitation> {
        self.list_invitations(by, workgroup, None, &ListQuery::default())
            .await
            .unwrap()
            .items
    }

    async fn agent_emails(&self, by: &Caller, workgroup: &WorkgroupId) -> Vec<(String, Role)> {
        self.list_agents(by, workgroup, &ListQuery::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|agent| (agent.email.to_string(), agent.role))
            .collect()
    }

    async fn sweep(&self) -> SweepReport {
        self.send_due_reminders(self.clock.now(), || true)
            .await
            .unwrap()
    }
}

fn token_of(email: &Email) -> String {
    let (_, token) = email
        .accept_link
        .split_once("#token=")
        .expect("the link carries a token in its fragment");
    token.to_owned()
}

fn outcomes(results: &[InviteResult]) -> Vec<(&str, &'static str)> {
    results
        .iter()
        .map(|result| (result.email.as_str(), result.outcome.as_str()))
        .collect()
}

fn is_token_not_found<T: std::fmt::Debug>(result: &Result<T, TokenError>) -> bool {
    matches!(result, Err(TokenError::NotFound))
}

// --- the seed story --------------------------------------------------------------------------

#[tokio::test]
async fn the_seed_story_runs_from_creating_a_workgroup_to_listing_its_agents() {
    let app = TestApp::new();

    let founded = app
        .create_workgroup(
            &alice(),
            WorkgroupName::parse("Support desk").unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(founded.agent.role, Role::Administrator);
    assert_eq!(founded.agent.name.as_str(), "Alice Admin");
    let wg = founded.workgroup.id;
    let mine = app.my_workgroups(&alice()).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].workgroup.name.as_str(), "Support desk");
    assert_eq!(mine[0].agent.role, Role::Administrator);

    let results = app
        .invite(
            &alice(),
            &wg,
            "ann@example.com, Bob@Example.com",
            Role::Manager,
        )
        .await;
    assert_eq!(
        outcomes(&results),
        [
            ("ann@example.com", "invited"),
            ("bob@example.com", "invited")
        ]
    );
    for result in &results {
        let invitation = result.outcome.invitation().unwrap();
        assert_eq!(invitation.role, Role::Manager);
        assert_eq!(invitation.status, Status::Pending);
        // Answered as queued; the sender handed it over after.
        assert_eq!(invitation.delivery, Delivery::Queued);
        let stored = app.stored(&invitation.id).unwrap();
        assert_eq!(stored.delivery, Delivery::Sent);
        assert_eq!(invitation.invited_by.email, alice().email);
        assert_eq!(invitation.expires_at(), t0() + days(30));
    }
    assert_eq!(app.mailer.sent().len(), 2);
    let ann_email = app.last_email_to("ann@example.com");
    assert!(ann_email.text.contains("Support desk"));
    assert!(ann_email.text.contains("Alice Admin"));

    let listed = app.listed(&alice(), &wg).await;
    let mut listed_emails: Vec<&str> = listed.iter().map(|i| i.email.as_str()).collect();
    listed_emails.sort_unstable();
    assert_eq!(listed_emails, ["ann@example.com", "bob@example.com"]);

    app.advance(TimeDelta::hours(2));
    let ann_token = app.token_sent_to("ann@example.com");
    let preview = app.lookup_invitation(&ann_token).await.unwrap();
    assert!(preview.registration_needed);
    assert_eq!(preview.invitation.workgroup.name.as_str(), "Support desk");
    assert_eq!(preview.invitation.role, Role::Manager);
    let joined = app
        .accept_invitation(&person("Ann@Example.com"), &ann_token, Some("Ann Lee"))
        .await
        .unwrap();
    assert_eq!(joined.workgroup.id, wg);
    assert_eq!(joined.agent.role, Role::Manager);
    assert_eq!(joined.agent.name.as_str(), "Ann Lee");
    assert_eq!(joined.agent.joined_at, t0() + TimeDelta::hours(2));

    let bob_first_token = app.token_sent_to("bob@example.com");
    let declined = app.decline_invitation(&bob_first_token).await.unwrap();
    assert_eq!(declined.status, Status::Declined);
    let listed = app.listed(&alice(), &wg).await;
    assert_eq!(listed.len(), 1, "the accepted invitation left the list");
    assert_eq!(listed[0].email.as_str(), "bob@example.com");
    assert_eq!(listed[0].status, Status::Declined);

    let bob_id = listed[0].id.clone();
    let resent = app.resend_invitation(&alice(), &wg, &bob_id).await.unwrap();
    assert_eq!(resent.status, Status::Pending);
    assert_eq!(resent.sent_at, t0() + TimeDelta::hours(2));
    assert_eq!(app.emails_to("bob@example.com").len(), 2);
    let bob_token = app.token_sent_to("bob@example.com");
    assert_ne!(bob_token, bob_first_token);
    assert!(is_token_not_found(
        &app.lookup_invitation(&bob_first_token).await
    ));
    assert!(app.lookup_invitation(&bob_token).await.is_ok());

    app.cancel_invitation(&alice(), &wg, &bob_id).await.unwrap();
    assert!(app.listed(&alice(), &wg).await.is_empty());
    assert!(is_token_not_found(&app.lookup_invitation(&bob_token).await));
    assert!(matches!(
        app.get_invitation(&alice(), &wg, &bob_id).await,
        Err(ManageError::NotFound)
    ));

    assert_eq!(
        app.agent_emails(&alice(), &wg).await,
        [
            ("alice@example.com".to_owned(), Role::Administrator),
            ("ann@example.com".to_owned(), Role::Manager),
        ]
    );
    let ann_groups = app.my_workgroups(&ann()).await.unwrap();
    assert_eq!(ann_groups.len(), 1);
    assert_eq!(ann_groups[0].agent.role, Role::Manager);
    assert_eq!(
        app.agent_emails(&ann(), &wg).await.len(),
        2,
        "the new manager sees the agents"
    );
}

// --- inviting --------------------------------------------------------------------------------

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

// --- privileges through the use cases --------------------------------------------------------

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
}

const OPERATIONS: [Operation; 6] = [
    Operation::Invite,
    Operation::ListInvitations,
    Operation::GetInvitation,
    Operation::CancelInvitation,
    Operation::ResendInvitation,
    Operation::ListAgents,
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
    })
}

#[tokio::test]
async fn associates_inactive_agents_and_strangers_are_refused_what_the_spec_refuses_them() {
    use Answer::{Allowed as Y, Forbidden as F, NotFound as N};
    let cases = [
        ("an associate", Some(Role::Associate), [F, F, F, F, F, Y]),
        (
            "an inactive agent",
            Some(Role::Inactive),
            [F, F, F, F, F, F],
        ),
        ("a stranger", None, [N, N, N, N, N, N]),
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

// --- accepting and declining -----------------------------------------------------------------

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
        DeadToken::Malformed => format!("{token}x"),
        DeadToken::Used => {
            app.accept_invitation(&ann(), &token, Some("Ann"))
                .await
                .unwrap();
            token
        }
        DeadToken::Declined => {
            app.decline_invitation(&token).await.unwrap();
            token
        }
        DeadToken::Cancelled => {
            app.cancel_invitation(&alice(), &wg, &invitation.id)
                .await
                .unwrap();
            token
        }
        DeadToken::SupersededByResend => {
            app.resend_invitation(&alice(), &wg, &invitation.id)
                .await
                .unwrap();
            token
        }
        DeadToken::SupersededByReinvite => {
            app.invite_one(&alice(), &wg, "ann@example.com", Role::Manager)
                .await;
            token
        }
        DeadToken::Expired => {
            app.advance(days(30));
            token
        }
    };
    (app, token)
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
        let looked_up = app.lookup_invitation(&token).await;
        assert!(
            is_token_not_found(&looked_up),
            "lookup, {why}: {looked_up:?}"
        );
        let declined = app.decline_invitation(&token).await;
        assert!(
            is_token_not_found(&declined),
            "decline, {why}: {declined:?}"
        );
        let accepted = app.accept_invitation(&ann(), &token, Some("Ann")).await;
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

// --- lists -----------------------------------------------------------------------------------

#[tokio::test]
async fn invitation_lists_page_with_cursors_that_only_work_for_their_list() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let other = app.workgroup(&alice(), "Billing").await;
    for name in ["a", "b", "c"] {
        app.invite_one(&alice(), &wg, &format!("{name}@example.com"), Role::Manager)
            .await;
        app.invite_one(
            &alice(),
            &other,
            &format!("{name}@example.com"),
            Role::Manager,
        )
        .await;
        app.advance(TimeDelta::minutes(1));
    }

    let mut seen = Vec::new();
    let mut query = ListQuery {
        limit: Some(2),
        cursor: None,
    };
    loop {
        let page = app
            .list_invitations(&alice(), &wg, None, &query)
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|i| i.email.to_string()));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["c@example.com", "b@example.com", "a@example.com"],
        "newest send first"
    );

    let first = app
        .list_invitations(
            &alice(),
            &wg,
            None,
            &ListQuery {
                limit: Some(1),
                cursor: None,
            },
        )
        .await
        .unwrap();
    let cursor = first.next_cursor.unwrap();
    let misuses = [
        (other.clone(), None, Some(1), "another workgroup"),
        (
            wg.clone(),
            Some(Status::Pending),
            Some(1),
            "another status filter",
        ),
    ];
    for (workgroup, status, limit, case) in misuses {
        let query = ListQuery {
            limit,
            cursor: Some(cursor.clone()),
        };
        let result = app
            .list_invitations(&alice(), &workgroup, status, &query)
            .await;
        assert!(
            matches!(result, Err(ListError::BadRequest(BadList::Cursor(_)))),
            "{case}: {result:?}"
        );
    }
    let agents = app
        .list_agents(
            &alice(),
            &wg,
            &ListQuery {
                limit: None,
                cursor: Some(cursor),
            },
        )
        .await;
    assert!(
        matches!(agents, Err(ListError::BadRequest(BadList::Cursor(_)))),
        "the agents list: {agents:?}"
    );
    for limit in [0, 101] {
        let query = ListQuery {
            limit: Some(limit),
            cursor: None,
        };
        let result = app.list_invitations(&alice(), &wg, None, &query).await;
        assert!(
            matches!(result, Err(ListError::BadRequest(BadList::Limit))),
            "limit {limit}"
        );
    }
}

// --- reminders -------------------------------------------------------------------------------

fn reminders_to(app: &TestApp, to: &str) -> Vec<Email> {
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

// --- mail failures ---------------------------------------------------------------------------

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

    let request = InviteRequest {
        emails: vec!["carl@example.com".to_owned()],
        role: Role::Manager,
        locale: Some(Locale::En),
    };
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

// --- the audit trail -------------------------------------------------------------------------

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

// --- the pending cap -------------------------------------------------------------------------

fn capped(limit: u32) -> TestApp {
    TestApp::with(|settings| settings.pending_invitations_per_workgroup = limit)
}

#[tokio::test]
async fn the_pending_cap_refuses_a_paste_whole_and_changes_nothing() {
    let app = capped(3);
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    app.invite(&admin, &wg, "a@example.com, b@example.com", Role::Associate)
        .await;
    let refused = app
        .try_invite(&admin, &wg, "c@example.com, d@example.com", Role::Associate)
        .await;
    let Err(InviteError::PendingCap(cap)) = refused else {
        panic!("not refused by the cap: {refused:?}");
    };
    assert_eq!(cap.limit, 3);
    assert!(cap.retry_after > 0);
    assert_eq!(app.listed(&admin, &wg).await.len(), 2, "nothing invited");
    assert_eq!(app.mailer.sent().len(), 2, "nothing sent");
    assert_eq!(app.store.stored_events().len(), 4, "nothing recorded");
    // The refused request counted nothing against the daily quota either.
    let quota = domain::quota::QuotaKey::today(
        domain::quota::Counted::EmailsSentIn {
            workgroup: wg.clone(),
            inviter: address("alice@example.com"),
        },
        app.clock.now(),
    );
    assert!(
        app.store.reserve_quota(&quota, 198, 200).await.unwrap(),
        "only the two sent count"
    );
    app.store.refund_quota(&quota, 198).await.unwrap();
    app.invite(&admin, &wg, "c@example.com", Role::Associate)
        .await;
    assert_eq!(app.store.pending_count(&wg), 3);
}

#[tokio::test]
async fn places_free_up_as_invitations_are_answered_cancelled_or_expire() {
    let app = capped(3);
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    let full = "ann@example.com, bob@example.com, cy@example.com";
    let results = app.invite(&admin, &wg, full, Role::Associate).await;
    let id = |n: usize| results[n].outcome.invitation().unwrap().id.clone();
    async fn over(app: &TestApp, admin: &Caller, wg: &WorkgroupId) -> bool {
        matches!(
            app.try_invite(admin, wg, "new@example.com", Role::Associate)
                .await,
            Err(InviteError::PendingCap(_))
        )
    }
    assert!(over(&app, &admin, &wg).await);
    // At the cap, a re-invite of a pending address is a resend, as the resend action is:
    // neither needs a place.
    let again = app
        .try_invite(&admin, &wg, "ann@example.com", Role::Associate)
        .await
        .unwrap();
    assert_eq!(again[0].outcome.as_str(), "resent");
    app.resend_invitation(&admin, &wg, &id(0)).await.unwrap();
    assert_eq!(app.store.pending_count(&wg), 3);
    // A pasted list that holds a new address too is still refused whole.
    let mixed = app
        .try_invite(
            &admin,
            &wg,
            "ann@example.com, new@example.com",
            Role::Associate,
        )
        .await;
    assert!(
        matches!(mixed, Err(InviteError::PendingCap(_))),
        "{mixed:?}"
    );
    assert_eq!(app.store.pending_count(&wg), 3);

    app.decline_invitation(&app.token_sent_to("bob@example.com"))
        .await
        .unwrap();
    assert_eq!(app.store.pending_count(&wg), 2, "declined");
    app.accept_invitation(&ann(), &app.token_sent_to("ann@example.com"), Some("Ann"))
        .await
        .unwrap();
    assert_eq!(app.store.pending_count(&wg), 1, "accepted");
    app.cancel_invitation(&admin, &wg, &id(1)).await.unwrap();
    assert_eq!(
        app.store.pending_count(&wg),
        1,
        "a declined one held no place"
    );
    app.invite(
        &admin,
        &wg,
        "dee@example.com, eve@example.com",
        Role::Associate,
    )
    .await;
    assert!(over(&app, &admin, &wg).await);
    app.cancel_invitation(&admin, &wg, &id(2)).await.unwrap();
    assert_eq!(app.store.pending_count(&wg), 2, "cancelled while pending");

    // Expiries free theirs once recorded, by the sweep or by inviting the address again.
    app.advance(days(31));
    let dee = app
        .invite(&admin, &wg, "dee@example.com", Role::Associate)
        .await;
    assert_eq!(outcomes(&dee), vec![("dee@example.com", "invited")]);
    assert_eq!(
        app.store.pending_count(&wg),
        2,
        "eve's expiry still unrecorded"
    );
    assert_eq!(
        app.record_expiries(app.clock.now(), || true)
            .await
            .unwrap()
            .sent,
        1
    );
    assert_eq!(app.store.pending_count(&wg), 1);
    let expired: Vec<String> = app
        .store
        .stored_events()
        .iter()
        .filter(|e| e.change == Change::Expired)
        .map(|e| e.invitation.as_ref().unwrap().email.to_string())
        .collect();
    assert_eq!(expired, vec!["dee@example.com", "eve@example.com"]);
}

#[tokio::test]
async fn resending_a_declined_invitation_needs_a_place() {
    let app = capped(1);
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    let declined = app
        .invite_one(&admin, &wg, "ann@example.com", Role::Associate)
        .await;
    app.decline_invitation(&app.token_sent_to("ann@example.com"))
        .await
        .unwrap();
    app.invite_one(&admin, &wg, "bob@example.com", Role::Associate)
        .await;
    let refused = app.resend_invitation(&admin, &wg, &declined.id).await;
    assert!(
        matches!(refused, Err(ManageError::PendingCap(_))),
        "{refused:?}"
    );
    assert_eq!(app.stored(&declined.id).unwrap().status, Status::Declined);
    assert_eq!(app.emails_to("ann@example.com").len(), 1);
}

#[tokio::test]
async fn concurrent_invites_never_pass_the_pending_cap() {
    let app = capped(5);
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    let emails: Vec<String> = (0..12).map(|i| format!("p{i}@example.com")).collect();
    let answers = futures::future::join_all(
        emails
            .iter()
            .map(|email| app.try_invite(&admin, &wg, email, Role::Associate)),
    )
    .await;
    let invited = answers.iter().filter(|a| a.is_ok()).count();
    let capped = answers
        .iter()
        .filter(|a| matches!(a, Err(InviteError::PendingCap(_))))
        .count();
    assert_eq!((invited, capped), (5, 7), "{answers:?}");
    assert_eq!(app.listed(&admin, &wg).await.len(), 5);
    assert_eq!(app.store.pending_count(&wg), 5);
}

#[tokio::test]
async fn two_expiry_sweeps_at_once_record_each_expiry_once() {
    let app = TestApp::new();
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    for i in 0..6 {
        app.invite_one(&admin, &wg, &format!("p{i}@example.com"), Role::Associate)
            .await;
    }
    app.advance(days(30));
    let (first, second) = tokio::join!(
        app.record_expiries(app.clock.now(), || true),
        app.record_expiries(app.clock.now(), || true)
    );
    assert_eq!(first.unwrap().sent + second.unwrap().sent, 6);
    assert_eq!(
        app.record_expiries(app.clock.now(), || true)
            .await
            .unwrap()
            .candidates,
        0
    );
    let expired = app
        .store
        .stored_events()
        .iter()
        .filter(|e| e.change == Change::Expired)
        .count();
    assert_eq!(expired, 6);
    assert_eq!(app.store.pending_count(&wg), 0);
    assert!(app.listed(&admin, &wg).await.is_empty());
}
