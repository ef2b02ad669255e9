//! The store conformance suite: what every [`Store`] must do, written once and run against each
//! implementation through [`store_conformance!`](crate::store_conformance).
//!
//! Every check makes its own workgroups and addresses (random ids, random address tags), so the
//! checks also hold on a store that other checks share, such as one DynamoDB table. Times are
//! fixed, counted from [`start`], which lies in the future of any real clock: a table with a TTL
//! never deletes a check's items while it runs.

use std::fmt::Debug;

use chrono::{TimeDelta, TimeZone, Utc};
use domain::{
    address::EmailAddress,
    audit::{Actor, Change, Event},
    clock::Timestamp,
    idempotency::IdempotencyKey,
    ids::{AgentId, InvitationId, WorkgroupId},
    invitation::{self, Invitation, Inviter, Reminder, Status},
    locale::Locale,
    people::{Agent, DisplayName, Person, SignIn, Workgroup, WorkgroupName},
    quota::{Counted, QuotaKey},
    role::Role,
    secret::{SecretKey, SendNonce, TokenHash},
    store::{Inserted, Page, PageRequest, Store, StoreError},
};

mod people;
pub use people::*;
mod invitations;
pub use invitations::*;
mod accepting;
pub use accepting::*;
mod keys_and_counts;
pub use keys_and_counts::*;
mod events;
pub use events::*;
mod invitees;
pub use invitees::*;
mod agents;
pub use agents::*;

/// Runs every check of this module against one store implementation, one test per check.
///
/// `$fresh` names an async function returning `(store, guard)`: a store for one test, and
/// whatever must live as long as it (a temporary folder, a table to drop).
#[macro_export]
macro_rules! store_conformance {
    ($fresh:path) => {
        $crate::store_conformance!(@checks $fresh;
            a_new_workgroup_lists_its_founder_as_its_administrator,
            memberships_of_lists_every_workgroup_of_an_address_by_name,
            registering_an_address_twice_conflicts_and_writes_nothing,
            agents_are_listed_by_email_in_pages_without_duplicates_or_gaps,
            an_invitation_is_created_and_read_back_as_written,
            inviting_an_agent_of_the_workgroup_is_refused,
            a_second_live_invitation_for_one_address_is_refused,
            an_expired_invitation_is_replaced_by_a_new_one,
            an_update_from_a_stale_version_conflicts,
            a_renewal_freeing_a_place_gives_it_back_in_the_same_write,
            a_delete_of_a_changed_invitation_conflicts,
            a_delivery_is_recorded_on_the_same_send_only_and_keeps_the_version,
            an_invitation_is_found_by_its_current_token_only,
            invitations_are_listed_newest_first_without_expired_ones,
            invitations_are_paged_without_duplicates_or_gaps,
            accepting_adds_the_membership_and_removes_the_invitation,
            accepting_registers_a_person_only_once,
            accepting_a_changed_invitation_conflicts_and_writes_nothing,
            pending_expiring_covers_the_window_after_now_up_to_until,
            deliveries_due_lists_pending_emails_awaiting_an_attempt,
            an_idempotency_key_is_claimed_once_then_answers_or_refuses,
            one_of_ten_concurrent_claims_of_a_key_wins,
            a_quota_counts_up_to_its_limit_and_gives_back,
            a_quota_reads_back_what_its_day_counts_and_nothing_of_another,
            twenty_concurrent_reservations_never_overshoot_a_quota_of_ten,
            a_pending_count_counts_up_to_its_limit_and_frees,
            twenty_concurrent_pending_reservations_never_overshoot_a_cap_of_ten,
            every_change_writes_its_event_and_a_refused_one_writes_none,
            events_are_listed_newest_first_in_pages_per_workgroup,
            pending_expiring_finds_expiries_to_record_until_recorded,
            exactly_one_of_a_hundred_concurrent_accepts_succeeds,
            exactly_one_of_twenty_concurrent_invitations_of_one_address_is_created,
            accept_racing_cancel_leaves_exactly_one_consistent_outcome,
            a_person_registered_before_sign_ins_were_bound_is_bound_once,
            daily_counters_of_each_kind_and_owner_count_apart,
            twenty_concurrent_reservations_never_overshoot_any_daily_counter,
            the_invitation_of_an_address_is_read_by_workgroup_and_address,
            a_recorded_event_is_listed_in_its_workgroups_trail,
            of_twenty_concurrent_senders_exactly_the_rate_take_a_second,
            an_address_lists_its_open_invitations_in_every_workgroup_newest_first,
            an_address_s_invitations_are_paged_without_duplicates_or_gaps,
            an_invitation_is_found_by_its_id_alone,
            a_role_change_is_written_with_its_event,
            a_stale_role_or_witness_refuses_the_write_and_changes_nothing,
            removing_an_agent_deletes_only_that_membership,
            two_administrators_demoting_each_other_at_once_leave_one,
            two_administrators_leaving_at_once_leave_one,
        );
    };
    (@checks $fresh:path; $($check:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                let (store, _guard) = $fresh().await;
                $crate::conformance::$check(&store).await;
            }
        )*
    };
}

/// 2031-03-03T09:00:00Z, the "now" every check counts from.
pub fn start() -> Timestamp {
    Utc.with_ymd_and_hms(2031, 3, 3, 9, 0, 0)
        .single()
        .expect("a valid date")
}

pub(crate) fn at(offset: TimeDelta) -> Timestamp {
    start() + offset
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

pub(crate) fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

/// An address no other check uses: `label.<random>@example.com`.
pub fn address(label: &str) -> EmailAddress {
    let id = InvitationId::generate();
    let tag = &id.as_str()[id.as_str().len() - 12..];
    EmailAddress::parse(&format!("{label}.{tag}@example.com")).expect("a valid address")
}

fn name(text: &str) -> DisplayName {
    DisplayName::parse(text).expect("a valid name")
}

/// A person registering now, built as the domain builds one, bound to a sign-in of their own.
pub fn newcomer(email: &EmailAddress, now: Timestamp) -> Person {
    Person {
        id: AgentId::generate(),
        email: email.clone(),
        name: name(email.local_part()),
        registered_at: now,
        sign_in: Some(SignIn {
            issuer: "https://issuer.example".to_owned(),
            subject: format!("sub-{email}"),
        }),
    }
}

fn unknown_token_hash() -> TokenHash {
    SecretKey::generate()
        .invitation_token(&InvitationId::generate(), &SendNonce::generate())
        .hash()
}

mod people_and_counters;
pub use people_and_counters::*;

pub(crate) fn ok<T>(result: Result<T, StoreError>, what: &str) -> T {
    result.unwrap_or_else(|error| panic!("{what} failed: {error:?}"))
}

pub(crate) fn assert_conflict<T: Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::Conflict) => {}
        other => panic!("{what} should conflict, got {other:?}"),
    }
}

/// An event about `invitation`, for the writes that take one (what it says does not matter to
/// the store; the audit checks look at what is written).
fn event(invitation: &Invitation) -> Event {
    Event::of(
        invitation,
        Change::Resent,
        Actor::System,
        invitation.sent_at,
    )
}

/// The delivery event of `invitation`'s current state.
fn delivered(invitation: &Invitation) -> Event {
    Event::delivery(invitation, invitation.sent_at)
}

fn ids(invitations: &[Invitation]) -> Vec<InvitationId> {
    invitations.iter().map(|i| i.id.clone()).collect()
}

fn emails(agents: &[Agent]) -> Vec<EmailAddress> {
    agents.iter().map(|a| a.email.clone()).collect()
}

/// A workgroup with its founding administrator, and the key its tokens are made with.
pub struct Scene {
    pub key: SecretKey,
    pub workgroup: Workgroup,
    pub founder: Agent,
}

impl Scene {
    /// Creates a workgroup named `title` at [`start`], founded by a newly registered person.
    pub async fn new<S: Store>(store: &S, title: &str) -> Self {
        let founder = newcomer(&address("founder"), start());
        Self::founded_by(store, title, &founder, true).await
    }

    /// Creates a workgroup named `title` at [`start`] founded by `person`, registering them if
    /// `register`.
    pub async fn founded_by<S: Store>(
        store: &S,
        title: &str,
        person: &Person,
        register: bool,
    ) -> Self {
        let workgroup = Workgroup {
            id: WorkgroupId::generate(),
            name: WorkgroupName::parse(title).expect("a valid workgroup name"),
            locale: Locale::En,
        };
        let founder = Agent::joining(person, Role::Administrator, start());
        ok(
            store
                .create_workgroup(&workgroup, &founder, register.then_some(person))
                .await,
            "creating a workgroup",
        );
        Self {
            key: SecretKey::generate(),
            workgroup,
            founder,
        }
    }

    fn send(&self, role: Role, now: Timestamp) -> invitation::Send<'_> {
        invitation::Send {
            by: Inviter {
                id: self.founder.id.clone(),
                email: self.founder.email.clone(),
                name: self.founder.name.clone(),
            },
            role,
            locale: None,
            now,
            key: &self.key,
        }
    }

    /// A new invitation of `email`, not yet stored.
    pub fn issue(&self, email: &EmailAddress, role: Role, now: Timestamp) -> Invitation {
        Invitation::issue(&self.workgroup, email.clone(), self.send(role, now)).0
    }

    /// The invitation sent again at `now`, not yet stored.
    pub fn renew(&self, invitation: &Invitation, now: Timestamp) -> Invitation {
        invitation.renew(self.send(invitation.role, now)).0
    }

    /// A new invitation of `email` sent at `now`, stored.
    pub async fn invite<S: Store>(
        &self,
        store: &S,
        email: &EmailAddress,
        role: Role,
        now: Timestamp,
    ) -> Invitation {
        let invitation = self.issue(email, role, now);
        let inserted = ok(
            store
                .insert_invitation(&invitation, now, &event(&invitation))
                .await,
            "inserting an invitation",
        );
        assert_eq!(inserted, Inserted::Created, "inviting {email}");
        invitation
    }

    /// `email` invited and accepted at `now`, registering them: their agent.
    pub async fn join<S: Store>(
        &self,
        store: &S,
        email: &EmailAddress,
        role: Role,
        now: Timestamp,
    ) -> Agent {
        let invitation = self.invite(store, email, role, now).await;
        let person = newcomer(email, now);
        let agent = Agent::joining(&person, role, now);
        ok(
            store
                .accept_invitation(&invitation, &agent, Some(&person), &event(&invitation))
                .await,
            "accepting an invitation",
        );
        agent
    }

    /// The live invitations at `now`, in one page.
    pub async fn listed<S: Store>(
        &self,
        store: &S,
        status: Option<Status>,
        now: Timestamp,
    ) -> Vec<Invitation> {
        let page = ok(
            store
                .invitations(&self.workgroup.id, status, now, first_page(100))
                .await,
            "listing invitations",
        );
        assert_eq!(page.next, None, "fewer than 100 invitations fit one page");
        page.items
    }
}

fn first_page(limit: usize) -> PageRequest {
    PageRequest { after: None, limit }
}

/// Follows `next` from the first page to the last; fails on a page longer than `limit` or an
/// endless chain.
async fn every_page<T, F, Fut>(limit: usize, mut fetch: F) -> Vec<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = ok(fetch(PageRequest { after, limit }).await, "reading a page");
        assert!(
            page.items.len() <= limit,
            "a page of {} items for a limit of {limit}",
            page.items.len()
        );
        pages.push(page.items);
        assert!(pages.len() <= 100, "the pages never end");
        match page.next {
            Some(next) => after = Some(next),
            None => return pages,
        }
    }
}

/// Every invitation `pending_expiring` lists, read three at a time.
pub(crate) async fn every_expiring<S: Store>(
    store: &S,
    after: Timestamp,
    until: Timestamp,
) -> Result<Vec<Invitation>, StoreError> {
    Ok(
        every_page(3, |page| store.pending_expiring(after, until, page))
            .await
            .into_iter()
            .flatten()
            .collect(),
    )
}

/// Every invitation `deliveries_due` lists, read three at a time.
pub(crate) async fn every_due<S: Store>(
    store: &S,
    now: Timestamp,
) -> Result<Vec<Invitation>, StoreError> {
    Ok(every_page(3, |page| store.deliveries_due(now, page))
        .await
        .into_iter()
        .flatten()
        .collect())
}

fn sizes<T>(pages: &[Vec<T>]) -> Vec<usize> {
    pages.iter().map(Vec::len).collect()
}

/// The next version of an invitation, changed in nothing that matters to the check.
fn next_version(invitation: &Invitation) -> Invitation {
    invitation.reminded(
        &Reminder {
            days_before: 7,
            covers: vec![7],
        },
        invitation.sent_at,
    )
}

fn idempotency_key(label: &str) -> IdempotencyKey {
    let caller = address("caller");
    IdempotencyKey::new(&WorkgroupId::generate(), &caller, label).expect("a valid key")
}

fn quota_key(day: i64) -> QuotaKey {
    QuotaKey::today(
        Counted::EmailsSentIn {
            workgroup: WorkgroupId::generate(),
            inviter: address("inviter"),
        },
        at(days(day)),
    )
}

/// The events of one workgroup, newest first, all pages.
pub(crate) async fn trail<S: Store>(store: &S, workgroup: &WorkgroupId) -> Vec<Event> {
    every_page(3, |page| store.events(workgroup, page))
        .await
        .into_iter()
        .flatten()
        .collect()
}

fn change(invitation: &Invitation, change: Change, at: Timestamp) -> Event {
    Event::of(invitation, change, Actor::System, at)
}
