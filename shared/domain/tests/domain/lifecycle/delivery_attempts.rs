//! The invitation lifecycle: delivery attempts.

use super::*;

pub(super) fn resent(invitation: &Invitation, now: Timestamp) -> Invitation {
    let key = key();
    let by = inviter("Alice", "alice@example.com");
    invitation.renew(send(&key, by, invitation.role, now)).0
}

#[test]
fn a_new_email_is_due_after_the_grace_unless_its_sender_reports() {
    let invitation = pending();
    assert_eq!(invitation.delivery, Delivery::Queued);
    assert_eq!(invitation.occasion, Occasion::Invitation);
    assert_eq!(invitation.delivery_attempts, 0);
    assert!(!invitation.retry_due(invitation.sent_at));
    assert!(!invitation.retry_due(invitation.sent_at + DELIVERY_GRACE - TimeDelta::seconds(1)));
    assert!(invitation.retry_due(invitation.sent_at + DELIVERY_GRACE));
    let sent = invitation.attempted(true, invitation.sent_at);
    assert_eq!((sent.delivery, sent.retry_at), (Delivery::Sent, None));
    assert!(!sent.retry_due(invitation.sent_at + days(1)));
}

#[test]
fn failed_attempts_back_off_then_stop_after_the_last() {
    let mut invitation = pending();
    let mut now = invitation.sent_at;
    invitation = invitation
        .claimed_for(&invitation.due_email(), now)
        .expect("claimable");
    for (attempt, wait) in RETRY_BACKOFF.iter().enumerate() {
        assert_eq!(usize::from(invitation.delivery_attempts), attempt + 1);
        let failed = invitation.attempted(false, now);
        assert_eq!(failed.delivery, Delivery::Failed);
        assert_eq!(
            failed.retry_at,
            Some(now + *wait),
            "after attempt {}",
            attempt + 1
        );
        assert_eq!(
            failed.version, invitation.version,
            "a report is not a change"
        );
        assert!(!failed.retry_due(now + *wait - TimeDelta::seconds(1)));
        now += *wait;
        assert!(failed.retry_due(now));
        let reposted = failed.reposted(now);
        assert_eq!(reposted.version, failed.version + 1, "a post is a change");
        assert!(
            !reposted.retry_due(now),
            "posted: not due while the queue holds it"
        );
        invitation = reposted
            .claimed_for(&reposted.due_email(), now)
            .expect("claimable");
        assert_eq!(
            invitation.version,
            reposted.version + 1,
            "a claim is a change"
        );
        assert!(
            !invitation.retry_due(now),
            "claimed: not due while its sender works"
        );
    }
    assert_eq!(invitation.delivery_attempts, MAX_DELIVERY_ATTEMPTS);
    let given_up = invitation.attempted(false, now);
    assert_eq!(
        (given_up.delivery, given_up.retry_at),
        (Delivery::Failed, None)
    );
    assert!(!given_up.retry_due(now + days(1)));
}

#[test]
fn no_attempt_is_due_once_the_invitation_is_declined_or_expired() {
    let invitation = pending().attempted(false, t0());
    let due = invitation.retry_at.unwrap();
    assert!(invitation.retry_due(due));
    assert!(!invitation.decline(t0()).unwrap().retry_due(due));
    assert!(!invitation.retry_due(invitation.expires_at()));
}

#[test]
fn a_resend_starts_the_attempts_over() {
    let invitation = pending().attempted(false, t0());
    let renewed = resent(&invitation, t0() + days(1));
    assert_eq!(renewed.delivery, Delivery::Queued);
    assert_eq!(renewed.delivery_attempts, 0);
    assert_eq!(renewed.retry_at, Some(t0() + days(1) + DELIVERY_GRACE));
}

#[test]
fn no_reminder_goes_to_an_address_that_bounced_or_complained() {
    let schedule = ReminderSchedule::default();
    let invitation = pending();
    let late = invitation.expires_at() - days(1);
    assert!(invitation.due_reminder(&schedule, late).is_some());
    for refused in [Delivery::Bounced, Delivery::Complained] {
        let refused = invitation.with_delivery(refused);
        assert!(refused.due_reminder(&schedule, late).is_none());
        // A resend starts over.
        let renewed = resent(&refused, late);
        assert!(
            renewed
                .due_reminder(&schedule, renewed.expires_at() - days(1))
                .is_some()
        );
    }
}
