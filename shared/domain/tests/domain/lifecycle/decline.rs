//! The invitation lifecycle: decline and ensure_open.

use super::*;

#[test]
fn declining_a_pending_invitation_kills_its_token_and_keeps_the_rest() {
    let invitation = pending();
    let declined = invitation.decline(t0() + days(1)).unwrap();
    assert_eq!(declined.status, Status::Declined);
    assert_eq!(declined.token_hash, None);
    assert_eq!(declined.version, invitation.version + 1);
    assert_eq!(declined.sent_at, invitation.sent_at);
    assert_eq!(declined.expires_at(), invitation.expires_at());
    assert_eq!(declined.role, invitation.role);
    assert_eq!(declined.id, invitation.id);
    assert!(
        declined.is_live(t0() + days(1)),
        "stays listed until expiry"
    );
}

#[test]
fn an_invitation_that_can_no_longer_be_answered_cannot_be_declined() {
    for (invitation, now, case) in closed_cases() {
        assert_eq!(invitation.decline(now), Err(Gone), "{case}");
    }
}

#[test]
fn only_a_live_pending_invitation_is_open() {
    let cases = [
        (pending(), t0(), Ok(()), "pending, just sent"),
        (
            pending(),
            t0() + days(30) - seconds(1),
            Ok(()),
            "pending, its last second",
        ),
        (declined(), t0() + days(2), Err(Gone), "declined"),
        (pending(), t0() + days(30), Err(Gone), "pending, expired"),
        (declined(), t0() + days(31), Err(Gone), "declined, expired"),
    ];
    for (invitation, now, expected, case) in cases {
        assert_eq!(invitation.ensure_open(now), expected, "{case}");
        assert_eq!(invitation.is_open(now), expected.is_ok(), "{case}");
    }
}

#[test]
fn recording_a_delivery_changes_only_the_delivery_fields() {
    let invitation = pending();
    for delivery in [
        Delivery::Sent,
        Delivery::Failed,
        Delivery::Bounced,
        Delivery::Complained,
    ] {
        let delivered = invitation.with_delivery(delivery);
        assert_eq!(delivered.delivery, delivery);
        assert_eq!(
            delivered.version, invitation.version,
            "not a lifecycle change"
        );
        assert_eq!(
            Invitation {
                delivery: invitation.delivery,
                retry_at: invitation.retry_at,
                ..delivered
            },
            invitation
        );
    }
}
