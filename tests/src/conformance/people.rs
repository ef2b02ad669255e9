//! Checks of workgroups, people, memberships and agents.

use domain::{
    ids::WorkgroupId,
    locale::Locale,
    people::{Agent, Membership, Workgroup, WorkgroupName},
    role::Role,
    store::Store,
};

use super::*;

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
