//! The pending cap: a workgroup never holds more pending invitations than it allows.

use domain::store::Counters as _;

use domain::{
    Caller,
    audit::Change,
    clock::Clock,
    ids::WorkgroupId,
    invitation::Status,
    role::Role,
    usecases::{invite::InviteError, manage::ManageError},
};

use crate::harness::*;

fn capped(limit: u32) -> TestApp {
    TestApp::with(|settings| settings.pending_invitations_per_workgroup = limit)
}

#[tokio::test]
async fn the_pending_cap_refuses_a_paste_whole_and_changes_nothing() {
    let app = capped(3);
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    app.invite(&admin, &wg, "a@example.com, b@example.com", Role::Associate)
        .await;
    let refused = app
        .try_invite(&admin, &wg, "c@example.com, d@example.com", Role::Associate)
        .await;
    let Err(InviteError::PendingCap(cap)) = refused else {
        panic!("not refused by the cap: {refused:?}");
    };
    assert_eq!(cap.limit, 3);
    assert!(cap.retry_after > 0);
    assert_eq!(app.listed(&admin, &wg).await.len(), 2, "nothing invited");
    assert_eq!(app.mailer.sent().len(), 2, "nothing sent");
    assert_eq!(app.store.stored_events().len(), 4, "nothing recorded");
    // The refused request counted nothing against the daily quota either.
    let quota = domain::quota::QuotaKey::today(
        domain::quota::Counted::EmailsSentIn {
            workgroup: wg.clone(),
            inviter: address("alice@example.com"),
        },
        app.clock.now(),
    );
    assert!(
        app.store.reserve_quota(&quota, 198, 200).await.unwrap(),
        "only the two sent count"
    );
    app.store.refund_quota(&quota, 198).await.unwrap();
    app.invite(&admin, &wg, "c@example.com", Role::Associate)
        .await;
    assert_eq!(app.store.pending_count(&wg), 3);
}

#[tokio::test]
async fn places_free_up_as_invitations_are_answered_cancelled_or_expire() {
    let app = capped(3);
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    let full = "ann@example.com, bob@example.com, cy@example.com";
    let results = app.invite(&admin, &wg, full, Role::Associate).await;
    let id = |n: usize| results[n].outcome.invitation().unwrap().id.clone();
    async fn over(app: &TestApp, admin: &Caller, wg: &WorkgroupId) -> bool {
        matches!(
            app.try_invite(admin, wg, "new@example.com", Role::Associate)
                .await,
            Err(InviteError::PendingCap(_))
        )
    }
    assert!(over(&app, &admin, &wg).await);
    // At the cap, a re-invite of a pending address is a resend, as the resend action is:
    // neither needs a place.
    let again = app
        .try_invite(&admin, &wg, "ann@example.com", Role::Associate)
        .await
        .unwrap();
    assert_eq!(again[0].outcome.as_str(), "resent");
    app.resend_invitation(&admin, &wg, &id(0)).await.unwrap();
    assert_eq!(app.store.pending_count(&wg), 3);
    // A pasted list that holds a new address too is still refused whole.
    let mixed = app
        .try_invite(
            &admin,
            &wg,
            "ann@example.com, new@example.com",
            Role::Associate,
        )
        .await;
    assert!(
        matches!(mixed, Err(InviteError::PendingCap(_))),
        "{mixed:?}"
    );
    assert_eq!(app.store.pending_count(&wg), 3);

    app.decline_invitation(&app.token_sent_to("bob@example.com"))
        .await
        .unwrap();
    assert_eq!(app.store.pending_count(&wg), 2, "declined");
    app.accept_invitation(&ann(), &app.token_sent_to("ann@example.com"), Some("Ann"))
        .await
        .unwrap();
    assert_eq!(app.store.pending_count(&wg), 1, "accepted");
    app.cancel_invitation(&admin, &wg, &id(1)).await.unwrap();
    assert_eq!(
        app.store.pending_count(&wg),
        1,
        "a declined one held no place"
    );
    app.invite(
        &admin,
        &wg,
        "dee@example.com, eve@example.com",
        Role::Associate,
    )
    .await;
    assert!(over(&app, &admin, &wg).await);
    app.cancel_invitation(&admin, &wg, &id(2)).await.unwrap();
    assert_eq!(app.store.pending_count(&wg), 2, "cancelled while pending");

    // Expiries free theirs once recorded, by the sweep or by inviting the address again.
    app.advance(days(31));
    let dee = app
        .invite(&admin, &wg, "dee@example.com", Role::Associate)
        .await;
    assert_eq!(outcomes(&dee), vec![("dee@example.com", "invited")]);
    assert_eq!(
        app.store.pending_count(&wg),
        2,
        "eve's expiry still unrecorded"
    );
    assert_eq!(
        app.record_expiries(app.clock.now(), || true)
            .await
            .unwrap()
            .sent,
        1
    );
    assert_eq!(app.store.pending_count(&wg), 1);
    let expired: Vec<String> = app
        .store
        .stored_events()
        .iter()
        .filter(|e| e.change == Change::Expired)
        .map(|e| e.invitation.as_ref().unwrap().email.to_string())
        .collect();
    assert_eq!(expired, vec!["dee@example.com", "eve@example.com"]);
}

#[tokio::test]
async fn resending_a_declined_invitation_needs_a_place() {
    let app = capped(1);
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    let declined = app
        .invite_one(&admin, &wg, "ann@example.com", Role::Associate)
        .await;
    app.decline_invitation(&app.token_sent_to("ann@example.com"))
        .await
        .unwrap();
    app.invite_one(&admin, &wg, "bob@example.com", Role::Associate)
        .await;
    let refused = app.resend_invitation(&admin, &wg, &declined.id).await;
    assert!(
        matches!(refused, Err(ManageError::PendingCap(_))),
        "{refused:?}"
    );
    assert_eq!(app.stored(&declined.id).unwrap().status, Status::Declined);
    assert_eq!(app.emails_to("ann@example.com").len(), 1);
}

#[tokio::test]
async fn concurrent_invites_never_pass_the_pending_cap() {
    let app = capped(5);
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    let emails: Vec<String> = (0..12).map(|i| format!("p{i}@example.com")).collect();
    let answers = futures::future::join_all(
        emails
            .iter()
            .map(|email| app.try_invite(&admin, &wg, email, Role::Associate)),
    )
    .await;
    let invited = answers.iter().filter(|a| a.is_ok()).count();
    let capped = answers
        .iter()
        .filter(|a| matches!(a, Err(InviteError::PendingCap(_))))
        .count();
    assert_eq!((invited, capped), (5, 7), "{answers:?}");
    assert_eq!(app.listed(&admin, &wg).await.len(), 5);
    assert_eq!(app.store.pending_count(&wg), 5);
}

#[tokio::test]
async fn two_expiry_sweeps_at_once_record_each_expiry_once() {
    let app = TestApp::new();
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    for i in 0..6 {
        app.invite_one(&admin, &wg, &format!("p{i}@example.com"), Role::Associate)
            .await;
    }
    app.advance(days(30));
    let (first, second) = tokio::join!(
        app.record_expiries(app.clock.now(), || true),
        app.record_expiries(app.clock.now(), || true)
    );
    assert_eq!(first.unwrap().sent + second.unwrap().sent, 6);
    assert_eq!(
        app.record_expiries(app.clock.now(), || true)
            .await
            .unwrap()
            .candidates,
        0
    );
    let expired = app
        .store
        .stored_events()
        .iter()
        .filter(|e| e.change == Change::Expired)
        .count();
    assert_eq!(expired, 6);
    assert_eq!(app.store.pending_count(&wg), 0);
    assert!(app.listed(&admin, &wg).await.is_empty());
}

#[tokio::test]
async fn a_re_invite_below_the_cap_counts_only_the_addresses_that_became_pending() {
    let app = capped(10);
    let admin = alice();
    let wg = app.workgroup(&admin, "Support desk").await;
    app.invite(
        &admin,
        &wg,
        "ann@example.com, bob@example.com",
        Role::Associate,
    )
    .await;
    assert_eq!(app.store.pending_count(&wg), 2);
    // Places are reserved for both addresses before the request knows Ann's is pending; hers
    // goes back with her renewal.
    let again = app
        .invite(
            &admin,
            &wg,
            "ann@example.com, cy@example.com",
            Role::Associate,
        )
        .await;
    let outcomes: Vec<&str> = again.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["resent", "invited"]);
    assert_eq!(app.store.pending_count(&wg), 3);
    let resent = app
        .store
        .stored_events()
        .into_iter()
        .filter(|event| event.change == Change::Resent)
        .count();
    assert_eq!(resent, 1, "the renewal's event, written once");
}
