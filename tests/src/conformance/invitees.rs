//! Checks of the invitee's own invitations: one address's, in every workgroup, found by its
//! address and by id alone.

use chrono::TimeDelta;
use domain::{clock::INVITATION_LIFETIME, role::Role, store::Store};

use super::*;

/// Every invitation `invitations_to` lists for `email` at `now`, read `limit` at a time.
async fn every_invitation_to<S: Store>(
    store: &S,
    email: &EmailAddress,
    now: Timestamp,
    limit: usize,
) -> Vec<Vec<Invitation>> {
    every_page(limit, |page| store.invitations_to(email, now, page)).await
}

pub async fn an_address_lists_its_open_invitations_in_every_workgroup_newest_first<S: Store>(
    store: &S,
) {
    let ann = address("ann");
    let now = start();
    let acme = Scene::new(store, "Acme").await;
    let globex = Scene::new(store, "Globex").await;
    let initech = Scene::new(store, "Initech").await;
    let umbrella = Scene::new(store, "Umbrella").await;
    let hooli = Scene::new(store, "Hooli").await;

    let older = acme.invite(store, &ann, Role::Manager, now - days(2)).await;
    let newer = globex
        .invite(store, &ann, Role::Associate, now - TimeDelta::hours(1))
        .await;
    let declined = initech.invite(store, &ann, Role::Associate, now).await;
    let declined = declined.decline(now).expect("an open invitation");
    ok(
        store
            .update_invitation(&declined, Some(&event(&declined)))
            .await,
        "declining",
    );
    let expiring = umbrella
        .invite(
            store,
            &ann,
            Role::Associate,
            now - INVITATION_LIFETIME + secs(1),
        )
        .await;
    let accepted = hooli.invite(store, &ann, Role::Associate, now).await;
    let person = newcomer(&ann, now);
    ok(
        store
            .accept_invitation(
                &accepted,
                &Agent::joining(&person, Role::Associate, now),
                Some(&person),
                &event(&accepted),
            )
            .await,
        "accepting",
    );
    // Another address in the same workgroup is not Ann's.
    acme.invite(store, &address("bob"), Role::Associate, now)
        .await;

    let listed = every_invitation_to(store, &ann, now, 10).await.concat();
    assert_eq!(
        ids(&listed),
        ids(&[newer.clone(), older.clone(), expiring.clone()]),
        "pending and live, newest send first; declined, accepted and others' left out"
    );
    assert_eq!(listed[0], newer, "listed as stored");
    assert_eq!(
        ids(&every_invitation_to(store, &ann, expiring.expires_at(), 10)
            .await
            .concat()),
        ids(&[newer.clone(), older.clone()]),
        "an invitation leaves the list the second it expires"
    );

    // A resend keeps the invitation (and its id) and moves it to the top.
    let resent = acme.renew(&older, now);
    ok(
        store
            .update_invitation(&resent, Some(&event(&resent)))
            .await,
        "resending",
    );
    let listed = every_invitation_to(store, &ann, now, 10).await.concat();
    assert_eq!(ids(&listed), ids(&[resent.clone(), newer, expiring]));
    assert_eq!(listed[0], resent);
    assert_eq!(
        every_invitation_to(store, &address("nobody"), now, 10).await,
        vec![Vec::<Invitation>::new()]
    );
}

pub async fn an_address_s_invitations_are_paged_without_duplicates_or_gaps<S: Store>(store: &S) {
    let ann = address("ann");
    let now = start();
    // Pairs sent in the same second, so pages also split between equal send times.
    let offsets = [0, 60, 60, 120, 120, 180, 180];
    let mut expected = Vec::new();
    for (i, offset) in offsets.iter().enumerate() {
        let scene = Scene::new(store, &format!("Workgroup {i}")).await;
        expected.push(
            scene
                .invite(store, &ann, Role::Associate, now - secs(*offset))
                .await,
        );
    }
    let all = every_invitation_to(store, &ann, now, 100).await.concat();
    assert_eq!(all.len(), offsets.len());
    assert!(
        all.windows(2).all(|w| w[0].sent_at >= w[1].sent_at),
        "newest first"
    );
    let mut sorted = ids(&all);
    sorted.sort();
    let mut sent = ids(&expected);
    sent.sort();
    assert_eq!(sorted, sent, "every invitation of the address");
    for limit in [1, 2, 3, offsets.len()] {
        let pages = every_invitation_to(store, &ann, now, limit).await;
        let mut expected_sizes = vec![limit; offsets.len() / limit];
        if offsets.len() % limit != 0 {
            expected_sizes.push(offsets.len() % limit);
        }
        assert_eq!(
            sizes(&pages),
            expected_sizes,
            "page sizes for limit {limit}"
        );
        assert_eq!(
            ids(&pages.concat()),
            ids(&all),
            "pages of {limit} read as one list"
        );
    }
}

pub async fn an_invitation_is_found_by_its_id_alone<S: Store>(store: &S) {
    let scene = Scene::new(store, "By id").await;
    let ann = address("ann");
    let invitation = scene.invite(store, &ann, Role::Manager, start()).await;
    let find =
        |id: InvitationId| async move { ok(store.invitation_with_id(&id).await, "finding by id") };
    assert_eq!(find(invitation.id.clone()).await, Some(invitation.clone()));
    assert_eq!(find(InvitationId::generate()).await, None);

    let declined = invitation.decline(start()).expect("an open invitation");
    ok(
        store
            .update_invitation(&declined, Some(&event(&declined)))
            .await,
        "declining",
    );
    assert_eq!(
        find(invitation.id.clone()).await,
        Some(declined.clone()),
        "found as stored: the domain judges whether it can be answered"
    );
    ok(
        store.delete_invitation(&declined, &event(&declined)).await,
        "cancelling",
    );
    assert_eq!(find(invitation.id).await, None);
}
