//! Checks of invitations: writing, reading, conditions, tokens, lists, sweeps.

use domain::{
    clock::INVITATION_LIFETIME,
    ids::InvitationId,
    invitation::{Delivery, Invitation},
    role::Role,
    store::{Inserted, Store},
};

use super::*;

mod reads;
pub use reads::*;

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

pub async fn a_renewal_freeing_a_place_gives_it_back_in_the_same_write<S: Store>(store: &S) {
    let scene = Scene::new(store, "Places").await;
    let wg = &scene.workgroup.id;
    let v1 = scene
        .invite(store, &address("ann"), Role::Associate, start())
        .await;
    // Ann's place, and the one a re-invite of her address reserved.
    assert!(ok(store.reserve_pending(wg, 2, 10).await, "reserving"));
    // Whether `free` more places fit under a cap of 10, given back at once if they do.
    let fits = |free: u32| async move {
        let fitted = ok(
            store.reserve_pending(wg, free, 10).await,
            "probing the count",
        );
        if fitted {
            ok(
                store.release_pending(wg, free).await,
                "giving the probe back",
            );
        }
        fitted
    };
    let v2 = scene.renew(&v1, at(days(1)));
    let rival = scene.renew(&v1, at(days(2)));
    ok(
        store.renew_freeing_place(&v2, &event(&v2)).await,
        "renewing",
    );
    assert_eq!(
        ok(store.invitation(wg, &v1.id).await, "reading"),
        Some(v2.clone())
    );
    assert!(fits(9).await && !fits(10).await, "one place counted, Ann's");

    assert_conflict(
        store.renew_freeing_place(&rival, &event(&rival)).await,
        "a second renewal from version 1",
    );
    assert_eq!(
        ok(store.invitation(wg, &v1.id).await, "reading"),
        Some(v2.clone()),
        "unchanged"
    );
    assert!(
        fits(9).await && !fits(10).await,
        "no place freed by the refused renewal"
    );

    // A count that drifted to zero is never taken below it: the renewal is refused whole.
    ok(store.release_pending(wg, 1).await, "emptying the count");
    let v3 = scene.renew(&v2, at(days(3)));
    assert_conflict(
        store.renew_freeing_place(&v3, &event(&v3)).await,
        "a renewal freeing a place nobody counts",
    );
    assert_eq!(
        ok(store.invitation(wg, &v1.id).await, "reading"),
        Some(v2),
        "unchanged by the refused renewal"
    );
    assert!(fits(10).await && !fits(11).await, "still none counted");
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
