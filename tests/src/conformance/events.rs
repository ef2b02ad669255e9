//! Checks of the audit trail: every change writes its event.

use domain::{
    audit::{Change, Event},
    people::Agent,
    role::Role,
    store::{Inserted, Store},
};

use super::*;

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
