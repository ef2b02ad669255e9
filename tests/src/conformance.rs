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
    clock::{INVITATION_LIFETIME, Timestamp},
    idempotency::{Claim, IdempotencyKey, RecordedAnswer},
    ids::{AgentId, InvitationId, WorkgroupId},
    invitation::{self, Delivery, Invitation, Inviter, Reminder, Status},
    locale::Locale,
    people::{Agent, DisplayName, Membership, Person, SignIn, Workgroup, WorkgroupName},
    quota::{Counted, QuotaKey},
    role::Role,
    secret::{SecretKey, SendNonce, TokenHash},
    store::{Inserted, Page, PageRequest, Store, StoreError},
};
use futures::future::join_all;

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

pub async fn a_new_workgroup_lists_its_founder_as_its_administrator<S: Store>(store: &S) {
    let scene = Scene::new(store, "Acme IT").await;
    let membership = Membership {
        workgroup: scene.workgroup.clone(),
        agent: scene.founder.clone(),
    };
    let email = &scene.founder.email;

    let person =
        ok(store.person(email).await, "reading the founder").expect("the founder is registered");
    assert_eq!(person.id, scene.founder.id);
    assert_eq!(person.name, scene.founder.name);
    assert_eq!(
        ok(
            store.membership(&scene.workgroup.id, email).await,
            "reading a membership"
        ),
        Some(membership.clone())
    );
    assert_eq!(
        ok(store.memberships_of(email).await, "listing memberships"),
        vec![membership]
    );
    let agents = ok(
        store.agents(&scene.workgroup.id, first_page(10)).await,
        "listing agents",
    );
    assert_eq!(agents.items, vec![scene.founder.clone()]);
    assert_eq!(agents.next, None);
    assert_eq!(
        ok(
            store
                .membership(&scene.workgroup.id, &address("stranger"))
                .await,
            "reading a membership"
        ),
        None,
        "a stranger is no member"
    );
}

pub async fn memberships_of_lists_every_workgroup_of_an_address_by_name<S: Store>(store: &S) {
    let ann = newcomer(&address("ann"), start());
    let charlie = Scene::founded_by(store, "Charlie", &ann, true).await;
    let alpha = Scene::founded_by(store, "Alpha", &ann, false).await;
    let delta = Scene::new(store, "Delta").await;
    let bravo = Scene::new(store, "Bravo").await;
    let unrelated = Scene::new(store, "Aardvark").await;
    for scene in [&delta, &bravo] {
        let invitation = scene
            .invite(store, &ann.email, Role::Associate, at(secs(60)))
            .await;
        let agent = Agent::joining(&ann, Role::Associate, at(secs(120)));
        ok(
            store
                .accept_invitation(&invitation, &agent, None, &event(&invitation))
                .await,
            "accepting as a registered person",
        );
    }

    let memberships = ok(
        store.memberships_of(&ann.email).await,
        "listing memberships",
    );
    let names: Vec<&str> = memberships
        .iter()
        .map(|m| m.workgroup.name.as_str())
        .collect();
    assert_eq!(names, ["Alpha", "Bravo", "Charlie", "Delta"]);
    let roles: Vec<Role> = memberships.iter().map(|m| m.agent.role).collect();
    assert_eq!(
        roles,
        [
            Role::Administrator,
            Role::Associate,
            Role::Administrator,
            Role::Associate
        ]
    );
    assert_eq!(memberships[0].workgroup, alpha.workgroup);
    assert_eq!(memberships[2].workgroup, charlie.workgroup);
    assert!(
        memberships
            .iter()
            .all(|m| m.workgroup.id != unrelated.workgroup.id),
        "another person's workgroup is listed"
    );
}

pub async fn registering_an_address_twice_conflicts_and_writes_nothing<S: Store>(store: &S) {
    let first = Scene::new(store, "First").await;
    let email = first.founder.email.clone();
    let registered = ok(store.person(&email).await, "reading a person");

    let again = newcomer(&email, at(secs(60)));
    let workgroup = Workgroup {
        id: WorkgroupId::generate(),
        name: WorkgroupName::parse("Second").expect("a valid name"),
        locale: Locale::Ja,
    };
    let founder = Agent::joining(&again, Role::Administrator, at(secs(60)));
    assert_conflict(
        store
            .create_workgroup(&workgroup, &founder, Some(&again))
            .await,
        "registering a registered address",
    );
    assert_eq!(
        ok(store.person(&email).await, "reading a person"),
        registered,
        "the first registration stays"
    );
    assert_eq!(
        ok(
            store.membership(&workgroup.id, &email).await,
            "reading a membership"
        ),
        None,
        "the refused workgroup has no member"
    );
    assert_eq!(
        ok(store.memberships_of(&email).await, "listing memberships").len(),
        1,
        "the refused workgroup is not listed"
    );

    let founder = Agent::joining(
        registered.as_ref().expect("the founder is registered"),
        Role::Administrator,
        at(secs(60)),
    );
    ok(
        store.create_workgroup(&workgroup, &founder, None).await,
        "creating the workgroup as the registered person",
    );
    assert_eq!(
        ok(store.memberships_of(&email).await, "listing memberships").len(),
        2
    );
}

pub async fn agents_are_listed_by_email_in_pages_without_duplicates_or_gaps<S: Store>(store: &S) {
    let scene = Scene::new(store, "Paged agents").await;
    let mut expected = vec![scene.founder.clone()];
    for (i, label) in (0..).zip(["zoe", "bob", "amy", "kim", "lee", "dan"]) {
        let now = at(secs(i));
        expected.push(
            scene
                .join(store, &address(label), Role::Associate, now)
                .await,
        );
    }
    expected.sort_by(|a, b| a.email.cmp(&b.email));
    let other = Scene::new(store, "Other agents").await;
    other
        .join(store, &address("amy"), Role::Manager, start())
        .await;

    let wg = &scene.workgroup.id;
    for (limit, expected_sizes) in [
        (3, vec![3, 3, 1]),
        (1, vec![1; 7]),
        (7, vec![7]),
        (4, vec![4, 3]),
        (50, vec![7]),
    ] {
        let pages = every_page(limit, |page| store.agents(wg, page)).await;
        assert_eq!(
            sizes(&pages),
            expected_sizes,
            "page sizes for limit {limit}"
        );
        let listed: Vec<Agent> = pages.into_iter().flatten().collect();
        assert_eq!(
            emails(&listed),
            emails(&expected),
            "agents by email with limit {limit}"
        );
        assert_eq!(listed, expected, "agents as joined, limit {limit}");
    }
}

pub async fn an_invitation_is_created_and_read_back_as_written<S: Store>(store: &S) {
    let scene = Scene::new(store, "Readback").await;
    let other = Scene::new(store, "Elsewhere").await;
    let invitation = scene
        .invite(store, &address("ann"), Role::Manager, start())
        .await;

    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &invitation.id).await,
            "reading an invitation"
        ),
        Some(invitation.clone())
    );
    let hash = invitation.token_hash.clone().expect("a pending token");
    assert_eq!(
        ok(store.invitation_by_token(&hash).await, "finding by token"),
        Some(invitation.clone())
    );
    assert_eq!(
        ok(
            store.invitation(&other.workgroup.id, &invitation.id).await,
            "reading an invitation"
        ),
        None,
        "an invitation is not found through another workgroup"
    );
    assert_eq!(
        ok(
            store
                .invitation(&scene.workgroup.id, &InvitationId::generate())
                .await,
            "reading an invitation"
        ),
        None
    );
}

pub async fn inviting_an_agent_of_the_workgroup_is_refused<S: Store>(store: &S) {
    let scene = Scene::new(store, "Agents only once").await;
    let member = scene
        .join(store, &address("member"), Role::Associate, start())
        .await;

    for email in [&scene.founder.email, &member.email] {
        let invitation = scene.issue(email, Role::Manager, at(secs(60)));
        assert_eq!(
            ok(
                store
                    .insert_invitation(&invitation, at(secs(60)), &event(&invitation))
                    .await,
                "inserting"
            ),
            Inserted::AlreadyAgent,
            "inviting the agent {email}"
        );
        assert_eq!(
            ok(
                store.invitation(&scene.workgroup.id, &invitation.id).await,
                "reading"
            ),
            None,
            "nothing was written for {email}"
        );
    }
    assert_eq!(scene.listed(store, None, at(secs(60))).await, vec![]);

    let elsewhere = Scene::new(store, "Not yet an agent here").await;
    elsewhere
        .invite(store, &member.email, Role::Associate, at(secs(60)))
        .await;
}

pub async fn a_second_live_invitation_for_one_address_is_refused<S: Store>(store: &S) {
    let scene = Scene::new(store, "One invitation per address").await;
    let email = address("ann");
    let first = scene.invite(store, &email, Role::Associate, start()).await;

    let last_live_second = at(INVITATION_LIFETIME - secs(1));
    let second = scene.issue(&email, Role::Manager, last_live_second);
    assert_eq!(
        ok(
            store
                .insert_invitation(&second, last_live_second, &event(&second))
                .await,
            "inserting"
        ),
        Inserted::Exists(Box::new(first.clone()))
    );
    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &second.id).await,
            "reading"
        ),
        None,
        "the second invitation was not written"
    );
    assert_eq!(
        ids(&scene.listed(store, None, last_live_second).await),
        vec![first.id.clone()]
    );

    let elsewhere = Scene::new(store, "Another workgroup").await;
    elsewhere
        .invite(store, &email, Role::Associate, start())
        .await;
}

pub async fn an_expired_invitation_is_replaced_by_a_new_one<S: Store>(store: &S) {
    let scene = Scene::new(store, "Replaced").await;
    let email = address("ann");
    let expired = scene.invite(store, &email, Role::Associate, start()).await;

    let expiry = expired.expires_at();
    let fresh = scene.issue(&email, Role::Manager, expiry);
    assert_eq!(
        ok(
            store
                .insert_invitation(&fresh, expiry, &event(&fresh))
                .await,
            "inserting over an expiry not yet recorded"
        ),
        Inserted::Exists(Box::new(expired.clone())),
        "a pending invitation's expiry is recorded before it is replaced"
    );
    let lapsed = expired
        .lapsed(expiry)
        .expect("expired from the second it expires");
    ok(
        store
            .update_invitation(&lapsed, Some(&event(&lapsed)))
            .await,
        "recording the expiry",
    );
    assert_eq!(
        ok(
            every_expiring(store, start(), expiry).await,
            "listing unrecorded expiries"
        )
        .into_iter()
        .filter(|invitation| invitation.workgroup.id == scene.workgroup.id)
        .collect::<Vec<_>>(),
        Vec::<Invitation>::new(),
        "a recorded expiry leaves the sweep's candidates"
    );
    assert_eq!(
        ok(
            store
                .insert_invitation(&fresh, expiry, &event(&fresh))
                .await,
            "inserting"
        ),
        Inserted::Created,
        "an invitation whose expiry is recorded is replaced"
    );
    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &expired.id).await,
            "reading"
        ),
        None,
        "the expired invitation was replaced"
    );
    let old_hash = expired.token_hash.clone().expect("a pending token");
    assert_eq!(
        ok(
            store.invitation_by_token(&old_hash).await,
            "finding by token"
        ),
        None
    );
    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &fresh.id).await,
            "reading"
        ),
        Some(fresh.clone())
    );
    assert_eq!(
        ids(&scene.listed(store, None, expiry).await),
        vec![fresh.id]
    );
}

pub async fn an_update_from_a_stale_version_conflicts<S: Store>(store: &S) {
    let scene = Scene::new(store, "Versions").await;
    let v1 = scene
        .invite(store, &address("ann"), Role::Associate, start())
        .await;
    let v2 = scene.renew(&v1, at(days(1)));
    ok(
        store.update_invitation(&v2, Some(&event(&v2))).await,
        "updating to version 2",
    );
    let wg = &scene.workgroup.id;
    let read = |id: InvitationId| async move {
        ok(store.invitation(wg, &id).await, "reading an invitation")
    };
    assert_eq!(read(v1.id.clone()).await, Some(v2.clone()));

    let rival_v2 = scene.renew(&v1, at(days(2)));
    assert_conflict(
        store
            .update_invitation(&rival_v2, Some(&event(&rival_v2)))
            .await,
        "a second update from version 1",
    );
    let v4 = next_version(&next_version(&v2));
    assert_conflict(
        store.update_invitation(&v4, Some(&event(&v4))).await,
        "an update skipping a version",
    );
    assert_eq!(read(v1.id.clone()).await, Some(v2.clone()), "unchanged");

    let v3 = next_version(&v2);
    ok(
        store.update_invitation(&v3, Some(&event(&v3))).await,
        "updating to version 3",
    );
    assert_eq!(read(v1.id.clone()).await, Some(v3));

    let never_stored = scene.issue(&address("bob"), Role::Associate, start());
    let never_stored_v2 = next_version(&never_stored);
    assert_conflict(
        store
            .update_invitation(&never_stored_v2, Some(&event(&never_stored_v2)))
            .await,
        "updating an invitation that was never stored",
    );
    assert_eq!(read(never_stored.id.clone()).await, None);
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

pub async fn a_delivery_is_recorded_on_the_same_send_only_and_keeps_the_version<S: Store>(
    store: &S,
) {
    let scene = Scene::new(store, "Delivery").await;
    let v1 = scene
        .invite(store, &address("ann"), Role::Associate, start())
        .await;
    let wg = &scene.workgroup.id;
    ok(
        store
            .record_delivery(
                &v1.with_delivery(Delivery::Sent),
                &delivered(&v1.with_delivery(Delivery::Sent)),
            )
            .await,
        "recording a delivery",
    );
    let read = ok(store.invitation(wg, &v1.id).await, "reading").expect("stored");
    assert_eq!(read.delivery, Delivery::Sent);
    assert_eq!(read.version, v1.version, "a delivery is not a new version");

    // A resend made from the version read before the delivery still applies...
    let v2 = scene.renew(&v1, at(days(1)));
    ok(
        store.update_invitation(&v2, Some(&event(&v2))).await,
        "resending after a delivery record",
    );
    // ...and a late report on the first email no longer lands on the new send.
    assert_conflict(
        store
            .record_delivery(
                &v1.with_delivery(Delivery::Failed),
                &delivered(&v1.with_delivery(Delivery::Failed)),
            )
            .await,
        "recording a delivery of a superseded send",
    );
    let read = ok(store.invitation(wg, &v1.id).await, "reading").expect("stored");
    assert_eq!(read, v2, "the new send is untouched");

    let never_stored = scene.issue(&address("bob"), Role::Associate, start());
    assert_conflict(
        store
            .record_delivery(
                &never_stored.with_delivery(Delivery::Sent),
                &delivered(&never_stored.with_delivery(Delivery::Sent)),
            )
            .await,
        "recording a delivery of an invitation that was never stored",
    );
}

pub async fn deliveries_due_lists_pending_emails_awaiting_an_attempt<S: Store>(store: &S) {
    let scene = Scene::new(store, "Retries").await;
    let wg = &scene.workgroup.id;
    let ann = scene
        .invite(store, &address("ann"), Role::Associate, start())
        .await;
    let bob = scene
        .invite(store, &address("bob"), Role::Associate, start())
        .await;
    let cy = scene
        .invite(store, &address("cy"), Role::Associate, start())
        .await;
    let ours = [&ann.id, &bob.id, &cy.id];
    let due = |now: Timestamp| async move {
        let mut ids: Vec<InvitationId> = ok(every_due(store, now).await, "listing due emails")
            .into_iter()
            .map(|invitation| invitation.id)
            .filter(|id| ours.contains(&id))
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut ids: Vec<InvitationId>| {
        ids.sort();
        ids
    };
    assert_eq!(
        due(start()).await,
        [],
        "a new email is its sender's for the grace"
    );
    assert_eq!(
        due(start() + invitation::DELIVERY_GRACE).await,
        sorted(vec![ann.id.clone(), bob.id.clone(), cy.id.clone()]),
        "a sender that never reported leaves its emails due"
    );

    // Ann's email was handed over; Bob's failed (due after the first backoff); Cy declined.
    let reported = start() + secs(1);
    ok(
        store
            .record_delivery(
                &ann.attempted(true, reported),
                &delivered(&ann.attempted(true, reported)),
            )
            .await,
        "recording a delivery",
    );
    ok(
        store
            .record_delivery(
                &bob.attempted(false, reported),
                &delivered(&bob.attempted(false, reported)),
            )
            .await,
        "recording a failure",
    );
    ok(
        store
            .update_invitation(&cy.decline(reported).unwrap(), None)
            .await,
        "declining",
    );
    let retry_at = reported + invitation::RETRY_BACKOFF[0];
    assert_eq!(due(start() + invitation::DELIVERY_GRACE).await, []);
    assert_eq!(due(retry_at - secs(1)).await, []);
    assert_eq!(due(retry_at).await, std::slice::from_ref(&bob.id));

    // A sweep posts Bob's email again: not due again until that post's grace has passed.
    let stored = ok(store.invitation(wg, &bob.id).await, "reading").expect("stored");
    assert_eq!(stored.retry_at, Some(retry_at));
    assert_eq!(stored.delivery, Delivery::Failed);
    ok(
        store
            .update_invitation(&stored.reposted(retry_at), None)
            .await,
        "claiming an attempt",
    );
    assert_eq!(due(retry_at).await, []);
    assert_eq!(
        due(retry_at + invitation::DELIVERY_GRACE).await,
        std::slice::from_ref(&bob.id)
    );
    // Expired, it is never due, though its attempt time has passed.
    assert_eq!(due(start() + INVITATION_LIFETIME).await, []);
}

fn idempotency_key(label: &str) -> IdempotencyKey {
    let caller = address("caller");
    IdempotencyKey::new(&WorkgroupId::generate(), &caller, label).expect("a valid key")
}

pub async fn an_idempotency_key_is_claimed_once_then_answers_or_refuses<S: Store>(store: &S) {
    let key = idempotency_key("retry-1");
    let claim = |fingerprint: &'static str, now: Timestamp| {
        let key = key.clone();
        async move {
            ok(
                store.claim_key(&key, fingerprint, now).await,
                "claiming a key",
            )
        }
    };
    assert_eq!(claim("request-a", start()).await, Claim::Claimed);
    assert_eq!(claim("request-a", start()).await, Claim::InProgress);
    assert_eq!(claim("request-b", start()).await, Claim::Mismatch);

    let answer = RecordedAnswer {
        status: 200,
        content_type: "application/json".into(),
        body: r#"{"results":[]}"#.into(),
    };
    assert_conflict(
        store.record_answer(&key, "request-b", &answer).await,
        "recording the answer of a request that does not hold the key",
    );
    ok(
        store.record_answer(&key, "request-a", &answer).await,
        "recording",
    );
    assert_eq!(
        claim("request-a", start() + secs(1)).await,
        Claim::Answered(answer.clone())
    );
    assert_eq!(claim("request-b", start() + secs(1)).await, Claim::Mismatch);
    assert_conflict(
        store.release_key(&key, "request-a").await,
        "releasing an answered key",
    );
    // Kept for the window, then the key is free again.
    let window = domain::idempotency::IDEMPOTENCY_WINDOW;
    assert_eq!(
        claim("request-b", start() + window - secs(1)).await,
        Claim::Mismatch
    );
    assert_eq!(claim("request-b", start() + window).await, Claim::Claimed);

    // A released key is free at once; an abandoned claim after a while.
    let other = idempotency_key("retry-2");
    ok(store.claim_key(&other, "x", start()).await, "claiming");
    ok(store.release_key(&other, "x").await, "releasing");
    assert_eq!(
        ok(store.claim_key(&other, "y", start()).await, "claiming"),
        Claim::Claimed
    );
    let abandoned = start() + domain::idempotency::ABANDONED_AFTER;
    assert_eq!(
        ok(
            store.claim_key(&other, "z", abandoned - secs(1)).await,
            "claiming"
        ),
        Claim::Mismatch
    );
    assert_eq!(
        ok(store.claim_key(&other, "z", abandoned).await, "claiming"),
        Claim::Claimed
    );
}

pub async fn one_of_ten_concurrent_claims_of_a_key_wins<S: Store>(store: &S) {
    let key = idempotency_key("burst");
    let claims = join_all((0..10).map(|_| store.claim_key(&key, "request", start()))).await;
    let claimed = claims
        .iter()
        .filter(|c| matches!(c, Ok(Claim::Claimed)))
        .count();
    assert_eq!(claimed, 1, "{claims:?}");
    assert!(
        claims.iter().all(|c| matches!(
            c,
            Ok(Claim::Claimed | Claim::InProgress) | Err(StoreError::Conflict)
        )),
        "{claims:?}"
    );
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

pub async fn a_quota_counts_up_to_its_limit_and_gives_back<S: Store>(store: &S) {
    let key = quota_key(0);
    let reserve = |amount: u32| {
        let key = key.clone();
        async move { ok(store.reserve_quota(&key, amount, 10).await, "reserving") }
    };
    assert!(reserve(4).await);
    assert!(reserve(6).await, "up to the limit");
    assert!(!reserve(1).await, "not past it");
    ok(store.refund_quota(&key, 3).await, "refunding");
    assert!(!reserve(4).await, "a refused reservation counts nothing");
    assert!(reserve(3).await);
    assert!(!reserve(1).await);
    // Another inviter, or the next day, has a quota of its own.
    assert!(ok(
        store.reserve_quota(&quota_key(0), 10, 10).await,
        "reserving"
    ));
    let tomorrow = QuotaKey {
        day: key.day.succ_opt().unwrap(),
        ..key.clone()
    };
    assert!(ok(
        store.reserve_quota(&tomorrow, 10, 10).await,
        "reserving"
    ));
    // More than the whole limit at once is refused and counts nothing.
    let fresh = quota_key(1);
    assert!(!ok(store.reserve_quota(&fresh, 11, 10).await, "reserving"));
    assert!(ok(store.reserve_quota(&fresh, 10, 10).await, "reserving"));
}

pub async fn twenty_concurrent_reservations_never_overshoot_a_quota_of_ten<S: Store>(store: &S) {
    let key = quota_key(2);
    let results = join_all((0..20).map(|_| store.reserve_quota(&key, 1, 10))).await;
    let granted = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(granted, 10, "{results:?}");
    assert!(!ok(store.reserve_quota(&key, 1, 10).await, "reserving"));
}

pub async fn a_pending_count_counts_up_to_its_limit_and_frees<S: Store>(store: &S) {
    let workgroup = WorkgroupId::generate();
    let reserve = |amount: u32| {
        let workgroup = workgroup.clone();
        async move {
            ok(
                store.reserve_pending(&workgroup, amount, 10).await,
                "reserving",
            )
        }
    };
    assert!(reserve(4).await);
    assert!(reserve(6).await, "up to the cap");
    assert!(!reserve(1).await, "not past it");
    ok(store.release_pending(&workgroup, 3).await, "freeing");
    assert!(!reserve(4).await, "a refused reservation counts nothing");
    assert!(reserve(3).await);
    assert!(!reserve(1).await);
    assert!(
        ok(
            store
                .reserve_pending(&WorkgroupId::generate(), 10, 10)
                .await,
            "reserving"
        ),
        "each workgroup has a count of its own"
    );
    // Freeing more than is counted frees nothing it should not: the count never goes below 0.
    let other = WorkgroupId::generate();
    ok(store.release_pending(&other, 5).await, "freeing nothing");
    assert!(!ok(
        store.reserve_pending(&other, 11, 10).await,
        "reserving"
    ));
    assert!(ok(store.reserve_pending(&other, 10, 10).await, "reserving"));
}

pub async fn twenty_concurrent_pending_reservations_never_overshoot_a_cap_of_ten<S: Store>(
    store: &S,
) {
    let workgroup = WorkgroupId::generate();
    let results = join_all((0..20).map(|_| store.reserve_pending(&workgroup, 1, 10))).await;
    let granted = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(granted, 10, "{results:?}");
    assert!(!ok(
        store.reserve_pending(&workgroup, 1, 10).await,
        "reserving"
    ));
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

pub async fn every_change_writes_its_event_and_a_refused_one_writes_none<S: Store>(store: &S) {
    let scene = Scene::new(store, "Audited").await;
    let wg = &scene.workgroup.id;
    let now = start();
    let ann = scene.issue(&address("ann"), Role::Associate, now);
    let invited = change(&ann, Change::Invited, now);
    ok(
        store.insert_invitation(&ann, now, &invited).await,
        "inviting",
    );
    let sent = ann.attempted(true, at(secs(1)));
    let delivered = Event::delivery(&sent, at(secs(1)));
    ok(
        store.record_delivery(&sent, &delivered).await,
        "recording the delivery",
    );
    let declined = ann.decline(at(secs(2))).unwrap();
    let declining = change(&declined, Change::Declined, at(secs(2)));
    ok(
        store.update_invitation(&declined, Some(&declining)).await,
        "declining",
    );
    let cancelling = change(&declined, Change::Cancelled, at(secs(3)));
    ok(
        store.delete_invitation(&declined, &cancelling).await,
        "cancelling",
    );
    let email = address("bob");
    let bob = scene.issue(&email, Role::Manager, at(secs(4)));
    let bob_invited = change(&bob, Change::Invited, at(secs(4)));
    ok(
        store
            .insert_invitation(&bob, at(secs(4)), &bob_invited)
            .await,
        "inviting",
    );
    let person = newcomer(&email, at(secs(5)));
    let agent = Agent::joining(&person, bob.role, at(secs(5)));
    let accepting = change(&bob, Change::Accepted, at(secs(5)));
    ok(
        store
            .accept_invitation(&bob, &agent, Some(&person), &accepting)
            .await,
        "accepting",
    );
    // Refused writes: each conflicts, and its event is not written.
    let refused = at(secs(6));
    assert_conflict(
        store
            .update_invitation(&declined, Some(&change(&declined, Change::Resent, refused)))
            .await,
        "updating a cancelled invitation",
    );
    assert_conflict(
        store
            .record_delivery(&sent, &Event::delivery(&sent, refused))
            .await,
        "recording a delivery of a cancelled invitation",
    );
    assert_conflict(
        store
            .delete_invitation(&bob, &change(&bob, Change::Cancelled, refused))
            .await,
        "cancelling an accepted invitation",
    );
    let again = scene.issue(&email, Role::Manager, refused);
    assert_eq!(
        ok(
            store
                .insert_invitation(&again, refused, &change(&again, Change::Invited, refused))
                .await,
            "inviting an agent"
        ),
        Inserted::AlreadyAgent
    );
    // The claim of a retry is not a change anyone audits.
    let carl = scene
        .invite(store, &address("carl"), Role::Associate, now)
        .await;
    ok(
        store
            .update_invitation(&carl.reposted(at(secs(7))), None)
            .await,
        "claiming a retry",
    );
    let carl_invited = trail(store, wg)
        .await
        .into_iter()
        .filter(|event| event.invitation.as_ref().is_some_and(|i| i.id == carl.id))
        .count();

    let recorded: Vec<Event> = trail(store, wg)
        .await
        .into_iter()
        .filter(|event| event.invitation.as_ref().is_some_and(|i| i.id != carl.id))
        .collect();
    assert_eq!(
        recorded,
        vec![
            accepting,
            bob_invited,
            cancelling,
            declining,
            delivered,
            invited
        ],
        "every change once, newest first, nothing of the refused ones"
    );
    assert_eq!(carl_invited, 1, "only carl's invitation, not the claim");
}

pub async fn events_are_listed_newest_first_in_pages_per_workgroup<S: Store>(store: &S) {
    let scene = Scene::new(store, "Trail").await;
    let other = Scene::new(store, "Other trail").await;
    let mut written = Vec::new();
    for n in 0..7 {
        let when = at(secs(n / 2));
        let invitation = scene.issue(&address(&format!("p{n}")), Role::Associate, when);
        let event = change(&invitation, Change::Invited, when);
        ok(
            store.insert_invitation(&invitation, when, &event).await,
            "inviting",
        );
        written.push(event);
        let elsewhere = other.issue(&address(&format!("p{n}")), Role::Associate, when);
        let event = change(&elsewhere, Change::Invited, when);
        ok(
            store.insert_invitation(&elsewhere, when, &event).await,
            "inviting elsewhere",
        );
    }
    let pages = every_page(3, |page| store.events(&scene.workgroup.id, page)).await;
    assert_eq!(sizes(&pages), vec![3, 3, 1]);
    let listed: Vec<Event> = pages.into_iter().flatten().collect();
    // Newest first; events of one second in a stable order, each once.
    let mut expected = written.clone();
    expected.sort_by(|a, b| (b.at, b.id.as_str()).cmp(&(a.at, a.id.as_str())));
    assert_eq!(listed, expected);
    assert!(
        listed
            .iter()
            .all(|event| event.workgroup == scene.workgroup.id),
        "nothing of another workgroup"
    );
}

pub async fn pending_expiring_finds_expiries_to_record_until_recorded<S: Store>(store: &S) {
    let scene = Scene::new(store, "Lapsing").await;
    let ann = scene
        .invite(store, &address("ann"), Role::Associate, start())
        .await;
    let bob = scene
        .invite(store, &address("bob"), Role::Associate, start())
        .await;
    let declined = bob.decline(at(secs(1))).unwrap();
    ok(
        store
            .update_invitation(&declined, Some(&event(&declined)))
            .await,
        "declining",
    );
    let now = ann.expires_at() + TimeDelta::hours(1);
    let ours = |found: Vec<Invitation>| -> Vec<InvitationId> {
        found
            .into_iter()
            .filter(|invitation| invitation.workgroup.id == scene.workgroup.id)
            .map(|invitation| invitation.id)
            .collect()
    };
    let due = ok(
        every_expiring(store, now - TimeDelta::days(7), now).await,
        "listing expiries to record",
    );
    assert_eq!(ours(due), vec![ann.id.clone()], "pending ones only");
    let lapsed = ann.lapsed(now).unwrap();
    ok(
        store
            .update_invitation(&lapsed, Some(&event(&lapsed)))
            .await,
        "recording the expiry",
    );
    assert_conflict(
        store
            .update_invitation(&lapsed, Some(&event(&lapsed)))
            .await,
        "recording it twice",
    );
    let due = ok(
        every_expiring(store, now - TimeDelta::days(7), now).await,
        "listing expiries to record",
    );
    assert_eq!(ours(due), vec![], "recorded once, then never found again");
    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &ann.id).await,
            "reading"
        ),
        Some(lapsed),
        "kept in storage, as recorded"
    );
}

pub async fn a_delete_of_a_changed_invitation_conflicts<S: Store>(store: &S) {
    let scene = Scene::new(store, "Cancel").await;
    let v1 = scene
        .invite(store, &address("ann"), Role::Associate, start())
        .await;
    let v2 = next_version(&v1);
    ok(
        store.update_invitation(&v2, Some(&event(&v2))).await,
        "updating",
    );

    assert_conflict(
        store.delete_invitation(&v1, &event(&v1)).await,
        "deleting a changed invitation",
    );
    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &v1.id).await,
            "reading"
        ),
        Some(v2.clone()),
        "the changed invitation stays"
    );

    ok(store.delete_invitation(&v2, &event(&v2)).await, "deleting");
    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &v1.id).await,
            "reading"
        ),
        None
    );
    let hash = v2.token_hash.clone().expect("a pending token");
    assert_eq!(
        ok(store.invitation_by_token(&hash).await, "finding by token"),
        None
    );
    assert_eq!(scene.listed(store, None, start()).await, vec![]);
    assert_conflict(
        store.delete_invitation(&v2, &event(&v2)).await,
        "deleting a deleted invitation",
    );
}

pub async fn an_invitation_is_found_by_its_current_token_only<S: Store>(store: &S) {
    let scene = Scene::new(store, "Tokens").await;
    let first = scene
        .invite(store, &address("ann"), Role::Associate, start())
        .await;
    let find = |hash: TokenHash| async move {
        ok(store.invitation_by_token(&hash).await, "finding by token")
    };
    let first_hash = first.token_hash.clone().expect("a pending token");
    assert_eq!(find(first_hash.clone()).await, Some(first.clone()));
    assert_eq!(find(unknown_token_hash()).await, None);

    let renewed = scene.renew(&first, at(days(3)));
    ok(
        store
            .update_invitation(&renewed, Some(&event(&renewed)))
            .await,
        "renewing",
    );
    let renewed_hash = renewed.token_hash.clone().expect("a pending token");
    assert_ne!(renewed_hash, first_hash);
    assert_eq!(find(first_hash).await, None, "the superseded token");
    assert_eq!(find(renewed_hash.clone()).await, Some(renewed.clone()));

    let declined = renewed.decline(at(days(4))).expect("an open invitation");
    ok(
        store
            .update_invitation(&declined, Some(&event(&declined)))
            .await,
        "declining",
    );
    assert_eq!(find(renewed_hash).await, None, "the declined token");
    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &first.id).await,
            "reading"
        ),
        Some(declined),
        "a declined invitation stays stored"
    );

    let expired = scene
        .invite(store, &address("bob"), Role::Associate, at(-days(40)))
        .await;
    let expired_hash = expired.token_hash.clone().expect("a pending token");
    assert_eq!(
        find(expired_hash).await,
        Some(expired),
        "an expired invitation is found as stored: the domain judges expiry"
    );
}

pub async fn invitations_are_listed_newest_first_without_expired_ones<S: Store>(store: &S) {
    let scene = Scene::new(store, "Listing").await;
    let now = start();
    let invite = |label: &'static str, sent: Timestamp| {
        let scene = &scene;
        async move {
            scene
                .invite(store, &address(label), Role::Associate, sent)
                .await
        }
    };
    let _expired = invite("expired", now - INVITATION_LIFETIME).await;
    let oldest = invite("oldest", now - INVITATION_LIFETIME + secs(1)).await;
    let older = invite("older", now - days(1)).await;
    let newer = invite("newer", now - TimeDelta::hours(2)).await;
    let newest = invite("newest", now).await;
    let declined = newest.decline(now).expect("an open invitation");
    ok(
        store
            .update_invitation(&declined, Some(&event(&declined)))
            .await,
        "declining",
    );
    let other = Scene::new(store, "Other listing").await;
    other
        .invite(
            store,
            &address("elsewhere"),
            Role::Associate,
            now - TimeDelta::hours(1),
        )
        .await;

    let all = scene.listed(store, None, now).await;
    assert_eq!(
        ids(&all),
        ids(&[
            declined.clone(),
            newer.clone(),
            older.clone(),
            oldest.clone()
        ]),
        "live invitations of the workgroup, newest first"
    );
    assert_eq!(all[0], declined, "listed as stored");
    assert_eq!(
        ids(&scene.listed(store, Some(Status::Pending), now).await),
        ids(&[newer.clone(), older.clone(), oldest.clone()])
    );
    assert_eq!(
        ids(&scene.listed(store, Some(Status::Declined), now).await),
        ids(std::slice::from_ref(&declined))
    );
    assert_eq!(
        ids(&scene.listed(store, None, oldest.expires_at()).await),
        ids(&[declined, newer, older]),
        "an invitation leaves the list the second it expires"
    );
}

pub async fn invitations_are_paged_without_duplicates_or_gaps<S: Store>(store: &S) {
    let scene = Scene::new(store, "Paged invitations").await;
    let now = start();
    // Three pairs sent in the same second, so pages also split between equal send times.
    let offsets = [0, 60, 60, 120, 120, 180, 180, 240];
    let mut declined = 0;
    for (i, offset) in offsets.iter().enumerate() {
        let invitation = scene
            .invite(
                store,
                &address(&format!("guest{i}")),
                Role::Associate,
                now - secs(*offset),
            )
            .await;
        if i % 3 == 1 {
            let answered = invitation.decline(now).expect("an open invitation");
            ok(
                store
                    .update_invitation(&answered, Some(&event(&answered)))
                    .await,
                "declining",
            );
            declined += 1;
        }
    }
    let wg = &scene.workgroup.id;

    for status in [None, Some(Status::Pending), Some(Status::Declined)] {
        let expected = scene.listed(store, status, now).await;
        let count = match status {
            None => offsets.len(),
            Some(Status::Declined) => declined,
            Some(Status::Pending) => offsets.len() - declined,
        };
        assert_eq!(expected.len(), count, "invitations with status {status:?}");
        assert!(
            expected.windows(2).all(|w| w[0].sent_at >= w[1].sent_at),
            "newest first with status {status:?}"
        );
        for limit in [1, 2, 3, count] {
            let pages = every_page(limit, |page| store.invitations(wg, status, now, page)).await;
            let mut expected_sizes = vec![limit; count / limit];
            if count % limit != 0 {
                expected_sizes.push(count % limit);
            }
            assert_eq!(
                sizes(&pages),
                expected_sizes,
                "page sizes for limit {limit}, status {status:?}"
            );
            let listed: Vec<Invitation> = pages.into_iter().flatten().collect();
            assert_eq!(
                ids(&listed),
                ids(&expected),
                "pages of {limit}, status {status:?}, hold every invitation once, in order"
            );
        }
    }
}

pub async fn accepting_adds_the_membership_and_removes_the_invitation<S: Store>(store: &S) {
    let scene = Scene::new(store, "Joining").await;
    let email = address("ann");
    let invitation = scene.invite(store, &email, Role::Manager, start()).await;
    let now = at(TimeDelta::hours(1));
    let person = newcomer(&email, now);
    let agent = Agent::joining(&person, invitation.role, now);

    ok(
        store
            .accept_invitation(&invitation, &agent, Some(&person), &event(&invitation))
            .await,
        "accepting",
    );

    let membership = Membership {
        workgroup: scene.workgroup.clone(),
        agent: agent.clone(),
    };
    assert_eq!(
        ok(
            store.membership(&scene.workgroup.id, &email).await,
            "reading"
        ),
        Some(membership.clone())
    );
    assert_eq!(
        ok(store.memberships_of(&email).await, "listing memberships"),
        vec![membership]
    );
    assert_eq!(
        ok(store.person(&email).await, "reading a person"),
        Some(person)
    );
    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &invitation.id).await,
            "reading"
        ),
        None,
        "the accepted invitation is gone"
    );
    let hash = invitation.token_hash.clone().expect("a pending token");
    assert_eq!(
        ok(store.invitation_by_token(&hash).await, "finding by token"),
        None,
        "the accepted token is gone"
    );
    assert_eq!(scene.listed(store, None, now).await, vec![]);
    let agents = ok(
        store.agents(&scene.workgroup.id, first_page(10)).await,
        "listing agents",
    );
    assert!(agents.items.contains(&agent), "the new agent is listed");
    assert_eq!(agents.items.len(), 2);
}

pub async fn accepting_registers_a_person_only_once<S: Store>(store: &S) {
    let first = Scene::new(store, "First to join").await;
    let second = Scene::new(store, "Second to join").await;
    let email = address("ann");
    let ann = newcomer(&email, start());
    let invitation = first.invite(store, &email, Role::Associate, start()).await;
    ok(
        store
            .accept_invitation(
                &invitation,
                &Agent::joining(&ann, Role::Associate, start()),
                Some(&ann),
                &event(&invitation),
            )
            .await,
        "accepting the first invitation",
    );

    let invitation = second.invite(store, &email, Role::Inactive, start()).await;
    let now = at(days(1));
    let again = newcomer(&email, now);
    assert_conflict(
        store
            .accept_invitation(
                &invitation,
                &Agent::joining(&again, Role::Inactive, now),
                Some(&again),
                &event(&invitation),
            )
            .await,
        "registering a registered address on acceptance",
    );
    assert_eq!(
        ok(store.person(&email).await, "reading a person"),
        Some(ann.clone()),
        "the first registration stays"
    );
    assert_eq!(
        ok(
            store.membership(&second.workgroup.id, &email).await,
            "reading"
        ),
        None,
        "the refused acceptance added no membership"
    );
    assert_eq!(
        ok(
            store.invitation(&second.workgroup.id, &invitation.id).await,
            "reading"
        ),
        Some(invitation.clone()),
        "the refused acceptance kept the invitation"
    );

    let agent = Agent::joining(&ann, Role::Inactive, now);
    ok(
        store
            .accept_invitation(&invitation, &agent, None, &event(&invitation))
            .await,
        "accepting as the registered person",
    );
    assert_eq!(
        ok(store.person(&email).await, "reading a person"),
        Some(ann)
    );
    let memberships = ok(store.memberships_of(&email).await, "listing memberships");
    assert_eq!(memberships.len(), 2);
    assert!(memberships.iter().all(|m| m.agent.id == agent.id));
}

pub async fn accepting_a_changed_invitation_conflicts_and_writes_nothing<S: Store>(store: &S) {
    let scene = Scene::new(store, "Stale accept").await;
    let email = address("ann");
    let read = scene.invite(store, &email, Role::Associate, start()).await;
    let renewed = scene.renew(&read, at(days(1)));
    ok(
        store
            .update_invitation(&renewed, Some(&event(&renewed)))
            .await,
        "renewing",
    );

    let now = at(days(2));
    let person = newcomer(&email, now);
    let agent = Agent::joining(&person, read.role, now);
    assert_conflict(
        store
            .accept_invitation(&read, &agent, Some(&person), &event(&read))
            .await,
        "accepting a changed invitation",
    );
    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &read.id).await,
            "reading"
        ),
        Some(renewed.clone()),
        "the invitation stays as changed"
    );
    assert_eq!(
        ok(
            store.membership(&scene.workgroup.id, &email).await,
            "reading"
        ),
        None,
        "no membership was added"
    );
    assert_eq!(
        ok(store.person(&email).await, "reading a person"),
        None,
        "nobody was registered"
    );

    ok(
        store.delete_invitation(&renewed, &event(&renewed)).await,
        "cancelling",
    );
    assert_conflict(
        store
            .accept_invitation(&renewed, &agent, Some(&person), &event(&renewed))
            .await,
        "accepting a cancelled invitation",
    );
    assert_eq!(
        ok(
            store.membership(&scene.workgroup.id, &email).await,
            "reading"
        ),
        None
    );
    assert_eq!(ok(store.person(&email).await, "reading a person"), None);
}

pub async fn pending_expiring_covers_the_window_after_now_up_to_until<S: Store>(store: &S) {
    let scene = Scene::new(store, "Reminders").await;
    let other = Scene::new(store, "Other reminders").await;
    let now = start();
    let until = now + days(7);
    let cases = [
        ("at now", now, false),
        ("just after now", now + secs(1), true),
        ("in between", now + days(3), true),
        ("at until", until, true),
        ("just after until", until + secs(1), false),
        ("in 30 days", now + INVITATION_LIFETIME, false),
    ];
    let mut expected = Vec::new();
    let mut unexpected = Vec::new();
    for (label, expires, included) in cases {
        let invitation = scene
            .invite(
                store,
                &address("invitee"),
                Role::Associate,
                expires - INVITATION_LIFETIME,
            )
            .await;
        if included {
            expected.push((label, invitation.id));
        } else {
            unexpected.push((label, invitation.id));
        }
    }
    let declined = scene
        .invite(
            store,
            &address("declined"),
            Role::Associate,
            now + days(2) - INVITATION_LIFETIME,
        )
        .await;
    let declined = declined.decline(now).expect("an open invitation");
    ok(
        store
            .update_invitation(&declined, Some(&event(&declined)))
            .await,
        "declining",
    );
    unexpected.push(("declined", declined.id));
    let elsewhere = other
        .invite(
            store,
            &address("elsewhere"),
            Role::Associate,
            now + days(1) - INVITATION_LIFETIME,
        )
        .await;
    expected.push(("in another workgroup", elsewhere.id));

    let found = ok(
        every_expiring(store, now, until).await,
        "listing invitations expiring soon",
    );
    let found = ids(&found);
    for (label, id) in &expected {
        assert!(
            found.contains(id),
            "the invitation expiring {label} is missing"
        );
    }
    for (label, id) in &unexpected {
        assert!(
            !found.contains(id),
            "the invitation expiring {label} is listed"
        );
    }
    let mut unique = found.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), found.len(), "an invitation is listed twice");
}

pub async fn exactly_one_of_a_hundred_concurrent_accepts_succeeds<S: Store>(store: &S) {
    let scene = Scene::new(store, "Race to accept").await;
    let email = address("ann");
    let invitation = scene.invite(store, &email, Role::Manager, start()).await;
    let now = at(TimeDelta::hours(1));
    // Each caller found no person and registers their own, as the domain does.
    let callers: Vec<(Person, Agent)> = (0..100)
        .map(|_| {
            let person = newcomer(&email, now);
            let agent = Agent::joining(&person, invitation.role, now);
            (person, agent)
        })
        .collect();

    let results = join_all(callers.iter().map(|(person, agent)| async {
        let event = event(&invitation);
        store
            .accept_invitation(&invitation, agent, Some(person), &event)
            .await
    }))
    .await;

    let mut winners = Vec::new();
    for (result, caller) in results.into_iter().zip(&callers) {
        match result {
            Ok(()) => winners.push(caller),
            Err(StoreError::Conflict) => {}
            Err(error) => panic!("a concurrent accept failed otherwise: {error:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one accept succeeds");
    let (person, agent) = winners[0];
    assert_eq!(
        ok(store.person(&email).await, "reading a person"),
        Some(person.clone()),
        "the winner is registered"
    );
    assert_eq!(
        ok(
            store.membership(&scene.workgroup.id, &email).await,
            "reading"
        )
        .map(|m| m.agent),
        Some(agent.clone()),
        "the winner is the member"
    );
    assert_eq!(
        ok(
            store.invitation(&scene.workgroup.id, &invitation.id).await,
            "reading"
        ),
        None
    );
    let agents = ok(
        store.agents(&scene.workgroup.id, first_page(10)).await,
        "listing agents",
    );
    assert_eq!(agents.items.len(), 2, "the founder and the one winner");
}

pub async fn exactly_one_of_twenty_concurrent_invitations_of_one_address_is_created<S: Store>(
    store: &S,
) {
    let scene = Scene::new(store, "Race to invite").await;
    let email = address("ann");
    let now = start();
    let candidates: Vec<Invitation> = (0..20)
        .map(|_| scene.issue(&email, Role::Associate, now))
        .collect();

    let results = join_all(candidates.iter().map(|invitation| async move {
        store
            .insert_invitation(invitation, now, &event(invitation))
            .await
    }))
    .await;

    let mut created = Vec::new();
    let mut found = Vec::new();
    for (result, candidate) in results.into_iter().zip(&candidates) {
        match result {
            Ok(Inserted::Created) => created.push(candidate.clone()),
            Ok(Inserted::Exists(existing)) => found.push(*existing),
            Ok(Inserted::AlreadyAgent) => panic!("the invitee is no agent"),
            // Refused by a concurrent write, with nothing written: the caller retries.
            Err(StoreError::Conflict) => {}
            Err(error) => panic!("a concurrent insert failed: {error}"),
        }
    }
    assert_eq!(created.len(), 1, "exactly one insert creates");
    let winner = &created[0];
    assert!(
        found.iter().all(|existing| existing == winner),
        "every other insert finds the created invitation"
    );
    assert_eq!(
        ids(&scene.listed(store, None, now).await),
        vec![winner.id.clone()]
    );
}

pub async fn accept_racing_cancel_leaves_exactly_one_consistent_outcome<S: Store>(store: &S) {
    let scene = Scene::new(store, "Accept or cancel").await;
    let now = at(TimeDelta::hours(1));
    let mut outcomes = (0, 0, 0);
    for round in 0..20 {
        let email = address(&format!("round{round}"));
        let invitation = scene.invite(store, &email, Role::Associate, start()).await;
        let person = newcomer(&email, now);
        let agent = Agent::joining(&person, invitation.role, now);

        let (acceptance, cancellation) = (event(&invitation), event(&invitation));
        let (accepted, cancelled) = futures::join!(
            store.accept_invitation(&invitation, &agent, Some(&person), &acceptance),
            store.delete_invitation(&invitation, &cancellation),
        );

        let stored = ok(
            store.invitation(&scene.workgroup.id, &invitation.id).await,
            "reading",
        );
        let membership = ok(
            store.membership(&scene.workgroup.id, &email).await,
            "reading",
        );
        let registered = ok(store.person(&email).await, "reading a person");
        match (accepted, cancelled) {
            (Ok(()), Err(StoreError::Conflict)) => {
                outcomes.0 += 1;
                assert_eq!(stored, None, "round {round}: accepted, yet still invited");
                assert_eq!(membership.map(|m| m.agent), Some(agent), "round {round}");
                assert_eq!(registered, Some(person), "round {round}");
            }
            (Err(StoreError::Conflict), Ok(())) => {
                outcomes.1 += 1;
                assert_eq!(stored, None, "round {round}: cancelled, yet still invited");
                assert_eq!(membership, None, "round {round}: cancelled, yet a member");
                assert_eq!(registered, None, "round {round}: cancelled, yet registered");
            }
            // DynamoDB may refuse both writes of a race (a transaction conflict): then nothing
            // changed, and the use case that lost retries.
            (Err(StoreError::Conflict), Err(StoreError::Conflict)) => {
                outcomes.2 += 1;
                assert_eq!(
                    stored.as_ref(),
                    Some(&invitation),
                    "round {round}: both lost"
                );
                assert_eq!(membership, None, "round {round}: both lost, yet a member");
                assert_eq!(registered, None, "round {round}: both lost, yet registered");
            }
            (accepted, cancelled) => panic!(
                "round {round}: accept and cancel both succeeded or failed otherwise: \
                 {accepted:?} and {cancelled:?}"
            ),
        }
    }
    assert!(
        outcomes.0 + outcomes.1 > 0,
        "no round had a winner: {outcomes:?}"
    );
}
