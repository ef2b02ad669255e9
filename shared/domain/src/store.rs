//! The storage port. Every change is conditional: a write states what it expects to find, and
//! a failed expectation comes back as [`StoreError::Conflict`] with nothing written.

use std::future::Future;

use crate::{
    address::EmailAddress,
    audit::Event,
    clock::Timestamp,
    idempotency::{Claim, IdempotencyKey, RecordedAnswer},
    ids::{InvitationId, WorkgroupId},
    invitation::{Invitation, Status},
    people::{Agent, Membership, Person, SignIn, Workgroup},
    quota::QuotaKey,
    role::Role,
    secret::TokenHash,
};

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold: the items changed since they were read. Nothing was written.
    #[error("the stored items changed concurrently")]
    Conflict,
    /// The store could not be reached or answered with an error.
    #[error("{context}")]
    Backend {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    pub fn backend(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Backend {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// Where a page starts, as the store encoded it, and how long it may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<String>,
    pub limit: usize,
}

/// One page of a list, and where the next one starts if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// What [`Invitations::insert_invitation`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// The invitation was written.
    Created,
    /// The address is already an agent of the workgroup; nothing was written.
    AlreadyAgent,
    /// A live invitation for the address exists (pending or declined); nothing was written.
    Exists(Box<Invitation>),
}

/// Workgroups, the people registered and their memberships (the agents).
pub trait People: Send + Sync {
    /// Creates a workgroup with its first administrator, registering them if `new_person`.
    /// Conflict: the person was registered concurrently.
    fn create_workgroup(
        &self,
        workgroup: &Workgroup,
        founder: &Agent,
        new_person: Option<&Person>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn person(
        &self,
        email: &EmailAddress,
    ) -> impl Future<Output = Result<Option<Person>, StoreError>> + Send;

    /// Binds a person registered before sign-ins were bound to `sign_in`. Conflict: the
    /// person is gone or already bound; nothing was written.
    fn bind_sign_in(
        &self,
        email: &EmailAddress,
        sign_in: &SignIn,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn membership(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> impl Future<Output = Result<Option<Membership>, StoreError>> + Send;

    /// Every workgroup the address belongs to, ordered by workgroup name.
    fn memberships_of(
        &self,
        email: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<Membership>, StoreError>> + Send;

    /// Gives the agent of `membership` the role `to`, with the event, on the condition that
    /// the stored membership still has `membership.agent.role` and, if `keeps` is given, that
    /// agent's membership of the workgroup still has `keeps.role` (the caller's authority,
    /// or another administrator that must remain one; never the membership's own agent).
    /// Conflict: either changed; nothing is written then.
    fn change_role(
        &self,
        membership: &Membership,
        to: Role,
        keeps: Option<&Agent>,
        event: &Event,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes the membership, with the event, under the conditions of
    /// [`Self::change_role`]; the person stays registered, with their other memberships.
    fn remove_agent(
        &self,
        membership: &Membership,
        keeps: Option<&Agent>,
        event: &Event,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The workgroup's agents, ordered by email.
    fn agents(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Agent>, StoreError>> + Send;
}

/// Invitations, by workgroup and address, id, token, expiry and due email. Every method that
/// changes one takes the [`Event`] recording the change and writes both or neither.
pub trait Invitations: Send + Sync {
    /// The invitation for `email` in the workgroup, as stored, expired or not.
    fn invitation_for(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> impl Future<Output = Result<Option<Invitation>, StoreError>> + Send;

    /// One invitation as stored, expired or not.
    fn invitation(
        &self,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> impl Future<Output = Result<Option<Invitation>, StoreError>> + Send;

    /// The invitation whose current token hashes to `hash`, as stored, expired or not.
    fn invitation_by_token(
        &self,
        hash: &TokenHash,
    ) -> impl Future<Output = Result<Option<Invitation>, StoreError>> + Send;

    /// One invitation by its id alone, in whichever workgroup, as stored, expired or not.
    fn invitation_with_id(
        &self,
        id: &InvitationId,
    ) -> impl Future<Output = Result<Option<Invitation>, StoreError>> + Send;

    /// Pending invitations addressed to `email` in every workgroup that expire after `now`,
    /// newest send first: the invitee's own list, reached by address, never by reading
    /// every workgroup.
    fn invitations_to(
        &self,
        email: &EmailAddress,
        now: Timestamp,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Invitation>, StoreError>> + Send;

    /// Live invitations (expiring after `now`), newest send first, optionally of one status.
    fn invitations(
        &self,
        workgroup: &WorkgroupId,
        status: Option<Status>,
        now: Timestamp,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Invitation>, StoreError>> + Send;

    /// Writes a new invitation unless the address is an agent of the workgroup or has a live
    /// invitation there. An expired one still in storage is replaced, unless it is pending and
    /// its expiry is not recorded yet ([`Invitation::lapse_due`]): that one comes back as
    /// [`Inserted::Exists`], to be recorded first. Conflict: a concurrent write to the same
    /// items refused this one (DynamoDB transactions can); nothing was written.
    fn insert_invitation(
        &self,
        invitation: &Invitation,
        now: Timestamp,
        event: &Event,
    ) -> impl Future<Output = Result<Inserted, StoreError>> + Send;

    /// Replaces an invitation with its next version, on the condition that the stored one is
    /// still `next.version - 1`, with the event of the change if it is one (claiming a retry
    /// is bookkeeping, not a change anyone audits).
    fn update_invitation(
        &self,
        next: &Invitation,
        event: Option<&Event>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// As [`Self::update_invitation`] with its event, and in the same write frees one place
    /// under the workgroup's pending cap: a re-invite of a pending invitation, which reserved
    /// a place for an address that turned out to hold one already, gives it back with the
    /// renewal rather than in a write of its own. The count never goes below zero: a store
    /// may refuse the write as a conflict rather than let it. Conflict: as
    /// `update_invitation`; nothing is written then, the place included.
    fn renew_freeing_place(
        &self,
        next: &Invitation,
        event: &Event,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records `invitation.delivery` on the stored invitation if it is still on the same send
    /// (the same nonce), leaving its version as it is: a report on an email is not a change
    /// of the invitation, so it never makes a concurrent resend, decline or cancel conflict.
    /// Conflict: the invitation is gone or was sent again meanwhile.
    fn record_delivery(
        &self,
        invitation: &Invitation,
        event: &Event,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes an invitation on the condition that it is unchanged since read (cancel).
    fn delete_invitation(
        &self,
        invitation: &Invitation,
        event: &Event,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Atomically: deletes the unchanged invitation, adds the membership, and registers the
    /// person if `new_person`. Conflict: the invitation changed, the person registered
    /// concurrently, or the membership exists; nothing is written then.
    fn accept_invitation(
        &self,
        invitation: &Invitation,
        agent: &Agent,
        new_person: Option<&Person>,
        event: &Event,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Pending invitations of every workgroup expiring in `(after, until]` whose expiry is not
    /// recorded, one page at a time in order of expiry: the reminder sweep's candidates
    /// (`after` is now) and the expiry sweep's (`until` is now), reached by expiry, never by
    /// reading the whole store.
    fn pending_expiring(
        &self,
        after: Timestamp,
        until: Timestamp,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Invitation>, StoreError>> + Send;

    /// Live pending invitations whose email is due to be posted again (`retry_at <= now`), one
    /// page at a time: the delivery sweep's candidates, reached through the few invitations
    /// that have one.
    fn deliveries_due(
        &self,
        now: Timestamp,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Invitation>, StoreError>> + Send;
}

/// The audit trail: events that record no change of stored items, and each workgroup's events.
pub trait EventLog: Send + Sync {
    /// Adds an event that records no change of stored items (a refused sign-in).
    fn record_event(&self, event: &Event) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The workgroup's events, newest first.
    fn events(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Event>, StoreError>> + Send;
}

/// Counters kept within a limit: the pending invitations of a workgroup and the daily quotas.
pub trait Counters: Send + Sync {
    /// Counts `amount` more pending invitations in the workgroup, atomically, if that keeps
    /// the count within `limit`; `false` (and nothing counted) otherwise.
    fn reserve_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
        limit: u32,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Counts `amount` fewer pending invitations (answered, cancelled, expired, or reserved
    /// and not needed), never below zero.
    fn release_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Counts `amount` more against `key`'s daily counter, atomically, if that keeps it within
    /// `limit`; `false` (and nothing counted) otherwise.
    fn reserve_quota(
        &self,
        key: &QuotaKey,
        amount: u32,
        limit: u32,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// What `key`'s daily counter holds: what was reserved on `key.day` and not given back;
    /// 0 for a counter nothing was reserved on that day.
    fn quota_used(&self, key: &QuotaKey) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Gives back `amount` reserved but unused (emails that were never handed over), never
    /// below zero.
    fn refund_quota(
        &self,
        key: &QuotaKey,
        amount: u32,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// `Idempotency-Key` records: who holds a key, and the answer its first request got.
pub trait IdempotencyKeys: Send + Sync {
    /// Claims `key` for the request with `fingerprint`, atomically: a new key, or one whose
    /// record is claimable at `now`, becomes this request's ([`Claim::Claimed`]); otherwise
    /// the current record decides ([`KeyRecord::claim_by`]).
    fn claim_key(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// Records the answer of the request that claimed `key` (if it still holds it).
    fn record_answer(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        answer: &RecordedAnswer,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Gives `key` up (the request failed in a way a retry may fix), if it still holds it.
    fn release_key(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Shares the mail service's sending rate between every sender: one slot per email, counted
/// per second, across all concurrent senders.
pub trait SendSlots: Send + Sync {
    /// Takes one of the `rate` slots of the epoch second `second`: its place in the second,
    /// from 0 (so a sender can space its send within the second), or `None` when all are taken.
    fn take_send_slot(
        &self,
        second: i64,
        rate: u32,
    ) -> impl Future<Output = Result<Option<u32>, StoreError>> + Send;
}

/// The storage ports by name, for what follows from the ports a function's use cases are bound
/// by: its grants on the table. [`SendSlots`] is the senders' share
/// of the mail service's rate, kept in the same table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Port {
    People,
    Invitations,
    EventLog,
    Counters,
    IdempotencyKeys,
    SendSlots,
}

/// Every port of the storage at once, for what is built over one store that has them all (a
/// deployment, the local server); each use case is bound by only the ports it uses.
pub trait Store: People + Invitations + EventLog + Counters + IdempotencyKeys {}

impl<T: People + Invitations + EventLog + Counters + IdempotencyKeys> Store for T {}
