//! Checks of idempotency keys, daily quotas and pending counts, alone and concurrent.

use domain::{
    clock::Timestamp,
    idempotency::{Claim, RecordedAnswer},
    ids::WorkgroupId,
    quota::{Counted, QuotaKey},
    store::{Store, StoreError},
};
use futures::future::join_all;

use super::*;

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

pub async fn a_quota_reads_back_what_its_day_counts_and_nothing_of_another<S: Store>(store: &S) {
    let key = quota_key(0);
    let used = |key: QuotaKey| async move { ok(store.quota_used(&key).await, "reading a count") };
    assert_eq!(used(key.clone()).await, 0, "nothing counted yet");
    assert!(ok(store.reserve_quota(&key, 4, 10).await, "reserving"));
    assert!(ok(store.reserve_quota(&key, 3, 10).await, "reserving"));
    assert_eq!(used(key.clone()).await, 7);
    assert!(!ok(store.reserve_quota(&key, 4, 10).await, "reserving"));
    assert_eq!(
        used(key.clone()).await,
        7,
        "a refused reservation counts nothing"
    );
    ok(store.refund_quota(&key, 2).await, "refunding");
    assert_eq!(used(key.clone()).await, 5);
    // The count is the day's: the next day, and the day before, read 0.
    for day in [key.day.succ_opt().unwrap(), key.day.pred_opt().unwrap()] {
        let other = QuotaKey { day, ..key.clone() };
        assert_eq!(used(other).await, 0, "{day}");
    }
    // Another counter of the same inviter and day counts apart.
    let overall = QuotaKey {
        counted: Counted::EmailsSent {
            inviter: address("inviter"),
        },
        ..key.clone()
    };
    assert_eq!(used(overall).await, 0);
    // Reading changes nothing: the rest of the limit is still there.
    assert!(ok(store.reserve_quota(&key, 5, 10).await, "reserving"));
    assert!(!ok(store.reserve_quota(&key, 1, 10).await, "reserving"));
    assert_eq!(used(key).await, 10);
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
