//! Checks of the port's sign-in binding, daily counters, invitation by address and the events
//! that record no change.

use domain::{
    audit::{Actor, Event},
    ids::WorkgroupId,
    people::SignIn,
    quota::{Counted, QuotaKey},
    role::Role,
    store::SendSlots,
    store::Store,
};
use futures::future::join_all;

use super::{Scene, address, assert_conflict, at, days, newcomer, ok, start, trail};

fn sign_in(subject: &str) -> SignIn {
    SignIn {
        issuer: "https://issuer.example".to_owned(),
        subject: subject.to_owned(),
    }
}

pub async fn a_person_registered_before_sign_ins_were_bound_is_bound_once<S: Store>(store: &S) {
    let mut legacy = newcomer(&address("legacy"), start());
    legacy.sign_in = None;
    Scene::founded_by(store, "Legacy", &legacy, true).await;
    ok(
        store.bind_sign_in(&legacy.email, &sign_in("first")).await,
        "binding",
    );
    let bound = ok(store.person(&legacy.email).await, "reading").expect("registered");
    assert_eq!(bound.sign_in, Some(sign_in("first")));
    assert_eq!(bound.id, legacy.id, "the rest of the person is kept");
    assert_conflict(
        store.bind_sign_in(&legacy.email, &sign_in("second")).await,
        "binding a bound person",
    );
    let still = ok(store.person(&legacy.email).await, "reading").expect("registered");
    assert_eq!(still.sign_in, Some(sign_in("first")));
    assert_conflict(
        store
            .bind_sign_in(&address("nobody"), &sign_in("first"))
            .await,
        "binding an unregistered address",
    );
    assert_eq!(
        ok(store.person(&address("nobody")).await, "reading"),
        None,
        "binding registers nobody"
    );
}

pub async fn daily_counters_of_each_kind_and_owner_count_apart<S: Store>(store: &S) {
    let ann = address("ann");
    let now = at(days(3));
    let counters = [
        Counted::EmailsSentIn {
            workgroup: WorkgroupId::generate(),
            inviter: ann.clone(),
        },
        Counted::EmailsSent {
            inviter: ann.clone(),
        },
        Counted::EmailsReceived {
            recipient: ann.clone(),
        },
        Counted::WorkgroupsCreated {
            creator: ann.clone(),
        },
        Counted::SignInsRefused {
            person: ann.clone(),
        },
        Counted::EmailsSent {
            inviter: address("bob"),
        },
    ];
    for counted in counters {
        let key = QuotaKey::today(counted, now);
        assert!(
            ok(store.reserve_quota(&key, 2, 2).await, "reserving"),
            "{key:?} starts empty"
        );
        assert!(!ok(store.reserve_quota(&key, 1, 2).await, "reserving"));
    }
}

pub async fn twenty_concurrent_reservations_never_overshoot_any_daily_counter<S: Store>(store: &S) {
    let key = QuotaKey::today(
        Counted::EmailsReceived {
            recipient: address("popular"),
        },
        at(days(4)),
    );
    let results = join_all((0..20).map(|_| store.reserve_quota(&key, 1, 5))).await;
    let granted = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(granted, 5, "{results:?}");
    ok(store.refund_quota(&key, 2).await, "refunding");
    let results = join_all((0..20).map(|_| store.reserve_quota(&key, 1, 5))).await;
    let granted = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(granted, 2, "what was given back, and no more: {results:?}");
}

pub async fn the_invitation_of_an_address_is_read_by_workgroup_and_address<S: Store>(store: &S) {
    let scene = Scene::new(store, "By address").await;
    let other = Scene::new(store, "Elsewhere").await;
    let ann = address("ann");
    let invited = scene.invite(store, &ann, Role::Manager, start()).await;
    let found = ok(
        store.invitation_for(&scene.workgroup.id, &ann).await,
        "reading",
    );
    assert_eq!(found, Some(invited));
    assert_eq!(
        ok(
            store.invitation_for(&other.workgroup.id, &ann).await,
            "reading"
        ),
        None,
        "another workgroup's"
    );
    assert_eq!(
        ok(
            store
                .invitation_for(&scene.workgroup.id, &address("bob"))
                .await,
            "reading"
        ),
        None
    );
}

pub async fn a_recorded_event_is_listed_in_its_workgroups_trail<S: Store>(store: &S) {
    let scene = Scene::new(store, "Trail").await;
    let other = Scene::new(store, "Other trail").await;
    let actor = Actor::SignIn {
        email: scene.founder.email.clone(),
        issuer: "https://elsewhere.example".to_owned(),
        subject: "impostor".to_owned(),
    };
    let event = Event::sign_in_refused(&scene.workgroup.id, &scene.founder, actor, start());
    ok(store.record_event(&event).await, "recording");
    assert_eq!(trail(store, &scene.workgroup.id).await, vec![event]);
    assert!(trail(store, &other.workgroup.id).await.is_empty());
}

pub async fn of_twenty_concurrent_senders_exactly_the_rate_take_a_second<S: Store + SendSlots>(
    store: &S,
) {
    // A second of the far future, and one second on: each has slots of its own.
    let second = at(days(5)).timestamp();
    let taken = join_all((0..20).map(|_| store.take_send_slot(second, 5))).await;
    let mut places: Vec<u32> = taken.into_iter().filter_map(|t| ok(t, "taking")).collect();
    // Each sender that got a slot got a place of its own in the second.
    places.sort_unstable();
    assert_eq!(places, vec![0, 1, 2, 3, 4]);
    assert_eq!(ok(store.take_send_slot(second, 5).await, "taking"), None);
    assert_eq!(
        ok(store.take_send_slot(second + 1, 5).await, "taking"),
        Some(0)
    );
}
