//! Checks of accepting, alone and racing other writes.

use chrono::TimeDelta;
use domain::{
    invitation::Invitation,
    people::{Agent, Membership, Person},
    role::Role,
    store::{Inserted, Store, StoreError},
};
use futures::future::join_all;

use super::*;

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
