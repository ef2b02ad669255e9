//! The app under test: the in-memory store, the recording mailer and a manual clock, and helpers.

use std::ops::Deref;

use chrono::{TimeDelta, TimeZone, Utc};
use domain::fakes::{InlineQueue, ManualClock, MemoryStore, RecordingMailer};
use domain::{
    App, Caller, Settings,
    address::EmailAddress,
    clock::{Clock, Timestamp},
    ids::{InvitationId, WorkgroupId},
    invitation::Invitation,
    message::{AcceptLinks, Email},
    people::WorkgroupName,
    role::Role,
    secret::{InvitationToken, SecretKey},
    usecases::{
        ListQuery,
        accept::TokenError,
        invite::{InviteError, InviteRequest, InviteResult},
        remind::SweepReport,
    },
};

pub(crate) fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

pub(crate) fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

/// A caller signed in as `email`, with the one subject their identity provider gives them.
pub(crate) fn person(email: &str) -> Caller {
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

pub(crate) fn alice() -> Caller {
    Caller {
        name: Some("Alice Admin".to_owned()),
        ..person("alice@example.com")
    }
}

pub(crate) fn ann() -> Caller {
    person("ann@example.com")
}

pub(crate) fn bob() -> Caller {
    person("bob@example.com")
}

pub(crate) fn address(text: &str) -> EmailAddress {
    EmailAddress::parse(text).unwrap()
}

/// The use cases on the in-memory store, with a queue that sends each email at once into a
/// recording mailer.
pub(crate) struct TestApp {
    pub(crate) app: App<MemoryStore, InlineQueue, ManualClock>,
    pub(crate) mailer: RecordingMailer,
}

impl Deref for TestApp {
    type Target = App<MemoryStore, InlineQueue, ManualClock>;
    fn deref(&self) -> &Self::Target {
        &self.app
    }
}

impl TestApp {
    pub(crate) fn new() -> Self {
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
    pub(crate) fn with(change: impl FnOnce(&mut Settings)) -> Self {
        let mut app = Self::new();
        change(&mut app.app.settings);
        app
    }

    pub(crate) fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    pub(crate) async fn workgroup(&self, founder: &Caller, name: &str) -> WorkgroupId {
        let name = WorkgroupName::parse(name).unwrap();
        self.create_workgroup(founder, name, None)
            .await
            .unwrap()
            .workgroup
            .id
    }

    pub(crate) async fn try_invite(
        &self,
        by: &Caller,
        workgroup: &WorkgroupId,
        emails: &str,
        role: Role,
    ) -> Result<Vec<InviteResult>, InviteError> {
        // As the edge parses it, with this deployment's limit.
        let limit = self.app.settings.max_addresses_per_request;
        let request = InviteRequest::pasted(&[emails], limit, role, None)?;
        self.app.invite(by, workgroup, &request).await
    }

    pub(crate) async fn invite(
        &self,
        by: &Caller,
        workgroup: &WorkgroupId,
        emails: &str,
        role: Role,
    ) -> Vec<InviteResult> {
        self.try_invite(by, workgroup, emails, role).await.unwrap()
    }

    /// Invites one address and returns its invitation.
    pub(crate) async fn invite_one(
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
    pub(crate) async fn join(
        &self,
        by: &Caller,
        workgroup: &WorkgroupId,
        caller: &Caller,
        role: Role,
    ) {
        self.invite_one(by, workgroup, caller.email.as_str(), role)
            .await;
        let token = self.token_sent_to(caller.email.as_str());
        self.accept_invitation(caller, &token, Some("A Name"))
            .await
            .unwrap();
    }

    pub(crate) fn emails_to(&self, to: &str) -> Vec<Email> {
        let to = address(to);
        self.mailer
            .sent()
            .into_iter()
            .filter(|email| email.to == to)
            .collect()
    }

    pub(crate) fn last_email_to(&self, to: &str) -> Email {
        self.emails_to(to)
            .pop()
            .unwrap_or_else(|| panic!("no email was sent to {to}"))
    }

    /// The token in the accept link of the latest email to `to`.
    pub(crate) fn token_sent_to(&self, to: &str) -> InvitationToken {
        token_of(&self.last_email_to(to))
    }

    pub(crate) fn stored(&self, id: &InvitationId) -> Option<Invitation> {
        self.store.stored_invitation(id)
    }

    pub(crate) async fn listed(&self, by: &Caller, workgroup: &WorkgroupId) -> Vec<Invitation> {
        self.list_invitations(by, workgroup, None, &ListQuery::default())
            .await
            .unwrap()
            .items
    }

    pub(crate) async fn agent_emails(
        &self,
        by: &Caller,
        workgroup: &WorkgroupId,
    ) -> Vec<(String, Role)> {
        self.list_agents(by, workgroup, &ListQuery::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|agent| (agent.email.to_string(), agent.role))
            .collect()
    }

    pub(crate) async fn sweep(&self) -> SweepReport {
        self.send_due_reminders(self.clock.now(), || true)
            .await
            .unwrap()
    }
}

pub(crate) fn token_of(email: &Email) -> InvitationToken {
    let (_, token) = email
        .accept_link
        .split_once("#token=")
        .expect("the link carries a token in its fragment");
    InvitationToken::parse(token).expect("the link carries a token")
}

pub(crate) fn outcomes(results: &[InviteResult]) -> Vec<(&str, &'static str)> {
    results
        .iter()
        .map(|result| (result.email.as_str(), result.outcome.as_str()))
        .collect()
}

pub(crate) fn is_token_not_found<T: std::fmt::Debug>(result: &Result<T, TokenError>) -> bool {
    matches!(result, Err(TokenError::NotFound))
}
