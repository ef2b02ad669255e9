//! Checks of the writes behind managing agents: a role changed and an agent removed, each with
//! its event, each conditioned on the membership still having the role read and on a witness
//! (the caller, or another administrator) still having theirs.

use domain::{
    audit::{Actor, Change, Event},
    people::{Agent, Membership},
    role::Role,
    store::Store,
};

use super::*;

fn membership(scene: &Scene, agent: &Agent) -> Membership {
    Membership {
        workgroup: scene.workgroup.clone(),
        agent: agent.clone(),
    }
}

/// The event of giving `agent` the role `to`, by `by`.
fn role_changed(scene: &Scene, agent: &Agent, to: Role, by: &Agent, at: Timestamp) -> Event {
    let change = Change::RoleChanged {
        old_role: agent.role,
        new_role: to,
    };
    Event::about_agent(&scene.workgroup.id, agent, change, Actor::from(by), at)
}

/// The event of removing `agent`, by `by`.
fn removed(scene: &Scene, agent: &Agent, by: &Agent, at: Timestamp) -> Event {
    Event::about_agent(
        &scene.workgroup.id,
        agent,
        Change::Removed,
        Actor::from(by),
        at,
    )
}

/// The workgroup's agents, by email, in one page.
async fn agents_of<S: Store>(store: &S, scene: &Scene) -> Vec<Agent> {
    let page = ok(
        store.agents(&scene.workgroup.id, first_page(100)).await,
        "listing agents",
    );
    assert_eq!(page.next, None, "fewer than 100 agents fit one page");
    page.items
}

fn with_role(agent: &Agent, role: Role) -> Agent {
    Agent {
        role,
        ..agent.clone()
    }
}

pub async fn a_role_change_is_written_with_its_event<S: Store>(store: &S) {
    let scene = Scene::new(store, "Roles").await;
    let ann = scene
        .join(store, &address("ann"), Role::Associate, start())
        .await;
    let before = trail(store, &scene.workgroup.id).await;

    let promoted = role_changed(&scene, &ann, Role::Manager, &scene.founder, at(secs(10)));
    ok(
        store
            .change_role(
                &membership(&scene, &ann),
                Role::Manager,
                Some(&scene.founder),
                &promoted,
            )
            .await,
        "changing a role",
    );
    let ann_now = with_role(&ann, Role::Manager);
    assert_eq!(
        ok(
            store.membership(&scene.workgroup.id, &ann.email).await,
            "reading a membership"
        ),
        Some(membership(&scene, &ann_now)),
        "only the role changed: id, name and joined stay"
    );
    assert_eq!(
        ok(
            store.memberships_of(&ann.email).await,
            "listing memberships"
        ),
        vec![membership(&scene, &ann_now)],
        "the person's workgroups show the new role"
    );
    let mut expected = vec![scene.founder.clone(), ann_now.clone()];
    expected.sort_by(|a, b| a.email.cmp(&b.email));
    assert_eq!(agents_of(store, &scene).await, expected);
    let after = trail(store, &scene.workgroup.id).await;
    assert_eq!(after.len(), before.len() + 1, "one event for one change");
    assert_eq!(after[0], promoted, "the change's event, as given");

    // Without a witness (the port allows it: the use cases leave it out when leaving).
    let demoted = role_changed(&scene, &ann_now, Role::Inactive, &ann_now, at(secs(20)));
    ok(
        store
            .change_role(
                &membership(&scene, &ann_now),
                Role::Inactive,
                None,
                &demoted,
            )
            .await,
        "changing a role without a witness",
    );
    assert_eq!(
        ok(
            store.membership(&scene.workgroup.id, &ann.email).await,
            "reading a membership"
        )
        .map(|m| m.agent.role),
        Some(Role::Inactive)
    );
    assert_eq!(trail(store, &scene.workgroup.id).await[0], demoted);
}

pub async fn a_stale_role_or_witness_refuses_the_write_and_changes_nothing<S: Store>(store: &S) {
    let scene = Scene::new(store, "Stale").await;
    let wg = &scene.workgroup.id;
    let ann = scene
        .join(store, &address("ann"), Role::Manager, start())
        .await;
    let bob = scene
        .join(store, &address("bob"), Role::Associate, start())
        .await;
    let stranger = newcomer(&address("stranger"), start());
    let stranger = Agent::joining(&stranger, Role::Administrator, start());
    let agents = agents_of(store, &scene).await;
    let events = trail(store, wg).await;
    let when = at(secs(30));

    // The target's role as read is no longer stored.
    let stale_bob = with_role(&bob, Role::Manager);
    // The witness's role as read is no longer stored, or the witness is no agent at all.
    let stale_ann = with_role(&ann, Role::Administrator);
    let cases: [(&Agent, Option<&Agent>, &str); 4] = [
        (&stale_bob, Some(&scene.founder), "a stale target role"),
        (&stale_bob, None, "a stale target role, no witness"),
        (&bob, Some(&stale_ann), "a witness whose role changed"),
        (&bob, Some(&stranger), "a witness who is no agent"),
    ];
    for (target, keeps, what) in cases {
        assert_conflict(
            store
                .change_role(
                    &membership(&scene, target),
                    Role::Inactive,
                    keeps,
                    &role_changed(&scene, target, Role::Inactive, &scene.founder, when),
                )
                .await,
            &format!("changing a role with {what}"),
        );
        assert_conflict(
            store
                .remove_agent(
                    &membership(&scene, target),
                    keeps,
                    &removed(&scene, target, &scene.founder, when),
                )
                .await,
            &format!("removing an agent with {what}"),
        );
    }
    // An agent who is gone: removed already, or never joined.
    let gone = Agent::joining(
        &newcomer(&address("gone"), start()),
        Role::Associate,
        start(),
    );
    assert_conflict(
        store
            .change_role(
                &membership(&scene, &gone),
                Role::Manager,
                Some(&scene.founder),
                &role_changed(&scene, &gone, Role::Manager, &scene.founder, when),
            )
            .await,
        "changing the role of no agent",
    );
    assert_conflict(
        store
            .remove_agent(
                &membership(&scene, &gone),
                Some(&scene.founder),
                &removed(&scene, &gone, &scene.founder, when),
            )
            .await,
        "removing no agent",
    );

    assert_eq!(
        agents_of(store, &scene).await,
        agents,
        "no role changed, no one removed"
    );
    assert_eq!(
        trail(store, wg).await,
        events,
        "no event of a refused write"
    );
}

pub async fn removing_an_agent_deletes_only_that_membership<S: Store>(store: &S) {
    let scene = Scene::new(store, "Removing").await;
    let elsewhere = Scene::new(store, "Elsewhere").await;
    let email = address("ann");
    let ann = scene.join(store, &email, Role::Manager, start()).await;
    let person = ok(store.person(&email).await, "reading a person").expect("ann is registered");
    // Ann in a second workgroup, as the registered person she is.
    let invitation = elsewhere
        .invite(store, &email, Role::Associate, at(secs(1)))
        .await;
    let ann_elsewhere = Agent::joining(&person, Role::Associate, at(secs(2)));
    ok(
        store
            .accept_invitation(&invitation, &ann_elsewhere, None, &event(&invitation))
            .await,
        "accepting as a registered person",
    );
    let bob = scene
        .join(store, &address("bob"), Role::Associate, at(secs(3)))
        .await;
    let elsewhere_events = trail(store, &elsewhere.workgroup.id).await;

    let removal = removed(&scene, &ann, &scene.founder, at(secs(10)));
    ok(
        store
            .remove_agent(&membership(&scene, &ann), Some(&scene.founder), &removal)
            .await,
        "removing an agent",
    );

    assert_eq!(
        ok(
            store.membership(&scene.workgroup.id, &email).await,
            "reading a membership"
        ),
        None,
        "the membership is gone"
    );
    let mut rest = vec![scene.founder.clone(), bob];
    rest.sort_by(|a, b| a.email.cmp(&b.email));
    assert_eq!(agents_of(store, &scene).await, rest, "the others stay");
    assert_eq!(
        ok(store.person(&email).await, "reading a person"),
        Some(person.clone()),
        "the person stays registered, bound to the same sign-in"
    );
    assert_eq!(
        ok(store.memberships_of(&email).await, "listing memberships"),
        vec![membership(&elsewhere, &ann_elsewhere)],
        "her other membership stays"
    );
    assert_eq!(trail(store, &scene.workgroup.id).await[0], removal);
    assert_eq!(
        trail(store, &elsewhere.workgroup.id).await,
        elsewhere_events,
        "nothing written in the other workgroup"
    );
    assert_conflict(
        store
            .remove_agent(
                &membership(&scene, &ann),
                Some(&scene.founder),
                &removed(&scene, &ann, &scene.founder, at(secs(11))),
            )
            .await,
        "removing her again",
    );
    // No longer an agent: she can be invited again.
    let again = scene.issue(&email, Role::Associate, at(secs(20)));
    assert_eq!(
        ok(
            store
                .insert_invitation(&again, at(secs(20)), &event(&again))
                .await,
            "inviting a removed agent"
        ),
        Inserted::Created
    );
}

/// Two administrators, founder and another, of a new workgroup.
async fn two_administrators<S: Store>(store: &S, round: usize) -> (Scene, Agent) {
    let scene = Scene::new(store, &format!("Two heads {round}")).await;
    let other = scene
        .join(store, &address("other"), Role::Administrator, start())
        .await;
    (scene, other)
}

/// The rounds' outcome: at least one administrator left, each success's event written and
/// no other, every refusal a conflict.
async fn assert_one_administrator_left<S: Store>(
    store: &S,
    scene: &Scene,
    events_before: usize,
    outcomes: [(Result<(), StoreError>, &Event); 2],
    round: usize,
) {
    let mut written = Vec::new();
    for (outcome, event) in outcomes {
        match outcome {
            Ok(()) => written.push(event.clone()),
            Err(StoreError::Conflict) => {}
            Err(error) => panic!("round {round}: a write failed: {error:?}"),
        }
    }
    let agents = agents_of(store, scene).await;
    let administrators = agents
        .iter()
        .filter(|a| a.role == Role::Administrator)
        .count();
    assert!(
        administrators >= 1,
        "round {round}: no administrator left: {agents:?}"
    );
    assert!(
        written.len() <= 1,
        "round {round}: both writes succeeded, leaving {agents:?}"
    );
    let trail = trail(store, &scene.workgroup.id).await;
    assert_eq!(
        trail.len(),
        events_before + written.len(),
        "round {round}: one event per write made"
    );
    if let Some(event) = written.first() {
        assert_eq!(&trail[0], event, "round {round}: the winner's event");
    }
}

pub async fn two_administrators_demoting_each_other_at_once_leave_one<S: Store>(store: &S) {
    for round in 0..10 {
        let (scene, other) = two_administrators(store, round).await;
        let founder = scene.founder.clone();
        let events_before = trail(store, &scene.workgroup.id).await.len();
        let when = at(secs(60));
        let demote_other = role_changed(&scene, &other, Role::Manager, &founder, when);
        let demote_founder = role_changed(&scene, &founder, Role::Manager, &other, when);
        let (of_other, of_founder) = (membership(&scene, &other), membership(&scene, &founder));
        // Each conditioned on the caller still being an administrator, as the use case does.
        let (first, second) = tokio::join!(
            store.change_role(&of_other, Role::Manager, Some(&founder), &demote_other),
            store.change_role(&of_founder, Role::Manager, Some(&other), &demote_founder),
        );
        assert_one_administrator_left(
            store,
            &scene,
            events_before,
            [(first, &demote_other), (second, &demote_founder)],
            round,
        )
        .await;
    }
}

pub async fn two_administrators_leaving_at_once_leave_one<S: Store>(store: &S) {
    for round in 0..10 {
        let (scene, other) = two_administrators(store, round).await;
        let founder = scene.founder.clone();
        let events_before = trail(store, &scene.workgroup.id).await.len();
        let when = at(secs(60));
        let founder_leaves = removed(&scene, &founder, &founder, when);
        let other_leaves = removed(&scene, &other, &other, when);
        let (of_founder, of_other) = (membership(&scene, &founder), membership(&scene, &other));
        // Each conditioned on the other administrator remaining one, as the use case does.
        let (first, second) = tokio::join!(
            store.remove_agent(&of_founder, Some(&other), &founder_leaves),
            store.remove_agent(&of_other, Some(&founder), &other_leaves),
        );
        assert_one_administrator_left(
            store,
            &scene,
            events_before,
            [(first, &founder_leaves), (second, &other_leaves)],
            round,
        )
        .await;
    }
}
