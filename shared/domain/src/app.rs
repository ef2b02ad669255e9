//! The application: the use cases, generic over the store, the queue of due emails and the
//! clock. Sending those emails takes a mailer besides ([`App::send_due`]).

use crate::{
    address::EmailAddress,
    clock::{Clock, Timestamp},
    delivery::Queue,
    ids::WorkgroupId,
    invitation::ReminderSchedule,
    message::AcceptLinks,
    people::{Membership, SignIn},
    role::{Action, Denied, authorize},
    secret::SecretKey,
    store::{Counters, EventLog, People, StoreError},
};

/// How many times a use case re-reads and retries after losing a race, before it gives up
/// with [`StoreError::Conflict`].
pub(crate) const MAX_ATTEMPTS: usize = 3;

/// Settings the use cases need, read once at start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub links: AcceptLinks,
    /// Entries per invite request, invalid ones and duplicates included.
    pub max_addresses_per_request: usize,
    pub reminders: ReminderSchedule,
    /// Invitation emails (invites and resends) one inviter may send in one workgroup per UTC
    /// day.
    pub daily_invitations_per_inviter: u32,
    /// Invitation emails one inviter may send per UTC day, all workgroups together.
    pub daily_invitations_per_inviter_overall: u32,
    /// Invitation emails one address may receive per UTC day, whoever sends them.
    pub daily_invitations_per_recipient: u32,
    /// Workgroups one person may create per UTC day.
    pub daily_workgroups_per_person: u32,
    /// Pending invitations one workgroup may have at once.
    pub pending_invitations_per_workgroup: u32,
    /// This deployment only reads (the `list` function): the sign-in check still refuses
    /// another subject, but binds and records nothing.
    pub read_only: bool,
}

impl Settings {
    pub const DEFAULT_MAX_ADDRESSES: usize = 50;
    pub const DEFAULT_DAILY_INVITATIONS: u32 = 200;
    pub const DEFAULT_DAILY_INVITATIONS_OVERALL: u32 = 500;
    pub const DEFAULT_DAILY_INVITATIONS_PER_RECIPIENT: u32 = 5;
    pub const DEFAULT_DAILY_WORKGROUPS: u32 = 10;
    pub const DEFAULT_PENDING_INVITATIONS: u32 = 1000;

    pub fn new(links: AcceptLinks) -> Self {
        Self {
            links,
            max_addresses_per_request: Self::DEFAULT_MAX_ADDRESSES,
            reminders: ReminderSchedule::default(),
            daily_invitations_per_inviter: Self::DEFAULT_DAILY_INVITATIONS,
            daily_invitations_per_inviter_overall: Self::DEFAULT_DAILY_INVITATIONS_OVERALL,
            daily_invitations_per_recipient: Self::DEFAULT_DAILY_INVITATIONS_PER_RECIPIENT,
            daily_workgroups_per_person: Self::DEFAULT_DAILY_WORKGROUPS,
            pending_invitations_per_workgroup: Self::DEFAULT_PENDING_INVITATIONS,
            read_only: false,
        }
    }
}

/// The signed-in person, as the identity provider vouches for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The identity provider and its stable subject: a registered person is bound to the one
    /// that registered them.
    pub sign_in: SignIn,
    /// A verified address: the edge refuses callers whose provider does not say it is verified.
    pub email: EmailAddress,
    /// The provider's `name` claim, if any: the display name when registering by creating a
    /// workgroup.
    pub name: Option<String>,
}

/// Everything a use case needs.
pub struct App<S, Q, C> {
    pub store: S,
    pub queue: Q,
    pub clock: C,
    pub key: SecretKey,
    pub settings: Settings,
}

/// A use case refused by the privilege table or the caller's sign-in, or a store failure on
/// the way.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The caller's address belongs to a person registered under another sign-in.
    #[error(transparent)]
    SignIn(#[from] SignInRefused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A token with a registered person's address, from another issuer or subject than the one
/// that registered them: the caller is not that person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "this email address is registered to another sign-in account; sign in with the account you registered with, or ask the service's operator to move your registration to this one"
)]
pub struct SignInRefused;

impl<S, Q, C: Clock> App<S, Q, C> {
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

impl<S: People + EventLog + Counters, Q: Queue, C: Clock> App<S, Q, C> {
    /// The caller's membership, if it allows `action`, and if the caller is the person the
    /// address is registered to. Also what a route checks before it claims anything for the
    /// caller (an idempotency key).
    pub async fn authorize(
        &self,
        workgroup: &WorkgroupId,
        caller: &Caller,
        action: Action,
    ) -> Result<Membership, AccessError> {
        let (membership, _person) = futures::try_join!(
            async {
                self.store
                    .membership(workgroup, &caller.email)
                    .await
                    .map_err(AccessError::from)
            },
            async { self.identify(caller).await.map_err(AccessError::from) },
        )?;
        authorize(membership.as_ref().map(|m| m.agent.role), action)?;
        Ok(membership.ok_or(Denied::NotAMember)?)
    }
}

/// An error with its sources, one line, for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
