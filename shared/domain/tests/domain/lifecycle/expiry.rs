//! The invitation lifecycle: expiry.

use super::*;

#[test]
fn an_invitation_is_live_until_thirty_days_after_it_was_sent_and_gone_from_then_on() {
    let invitation = pending();
    let cases = [
        (t0(), true, "the moment it is sent"),
        (t0() + days(29), true, "one day before"),
        (
            t0() + days(30) - seconds(1),
            true,
            "one second before 30 days",
        ),
        (t0() + days(30), false, "exactly 30 days"),
        (t0() + days(30) + seconds(1), false, "one second after"),
        (t0() + days(365), false, "a year later"),
    ];
    for (now, live, case) in cases {
        assert_eq!(invitation.is_live(now), live, "{case}");
        assert_eq!(invitation.is_open(now), live, "{case}");
    }
}
