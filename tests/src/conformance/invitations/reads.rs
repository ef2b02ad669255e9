//! Checks of reading invitations: by token, listed and paged, and the sweeps' candidates.

use crate::conformance::*;
use chrono::TimeDelta;
use domain::{
    clock::{INVITATION_LIFETIME, Timestamp},
    ids::InvitationId,
    invitation::{self, Delivery, Invitation, Status},
    role::Role,
    secret::TokenHash,
    store::Store,
};

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
