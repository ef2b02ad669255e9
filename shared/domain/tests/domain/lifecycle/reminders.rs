//! The invitation lifecycle: reminders.

use super::*;

/// `now` such that the pending invitation sent at [`t0`] has `left` before it expires.
pub(super) fn with_left(left: TimeDelta) -> Timestamp {
    t0() + days(30) - left
}

fn reminder(days_before: u16, covers: &[u16]) -> Option<Reminder> {
    Some(Reminder {
        days_before,
        covers: covers.to_vec(),
    })
}

pub(super) fn due(invitation: &Invitation, now: Timestamp) -> Option<Reminder> {
    invitation
        .due_reminder(&ReminderSchedule::default(), now)
        .map(|mut reminder| {
            reminder.covers.sort_unstable_by(|a, b| b.cmp(a));
            reminder
        })
}

#[test]
fn no_reminder_is_due_while_more_than_seven_days_are_left() {
    let invitation = pending();
    for now in [t0(), t0() + days(10), with_left(days(7) + seconds(1))] {
        assert_eq!(due(&invitation, now), None, "at {now}");
    }
}

#[test]
fn the_seven_day_reminder_is_due_at_exactly_seven_days_left_and_within() {
    let invitation = pending();
    for left in [days(7), days(7) - seconds(1), days(3), days(1) + seconds(1)] {
        assert_eq!(
            due(&invitation, with_left(left)),
            reminder(7, &[7]),
            "{left} left"
        );
    }
}

#[test]
fn a_claimed_reminder_is_not_due_again() {
    let invitation = pending();
    let now = with_left(days(7));
    let claimed = invitation.reminded(&due(&invitation, now).unwrap(), now);
    assert_eq!(claimed.reminders_sent, vec![7]);
    assert_eq!(claimed.version, invitation.version + 1);
    for left in [days(7), days(6), days(1) + seconds(1)] {
        assert_eq!(due(&claimed, with_left(left)), None, "{left} left");
    }
}

#[test]
fn the_one_day_reminder_follows_the_seven_day_one() {
    let invitation = pending();
    let after_seven = invitation.reminded(
        &due(&invitation, with_left(days(7))).unwrap(),
        with_left(days(7)),
    );
    assert_eq!(due(&after_seven, with_left(days(1))), reminder(1, &[1]));
    let after_one = after_seven.reminded(&reminder(1, &[1]).unwrap(), with_left(days(1)));
    assert_eq!(after_one.reminders_sent, vec![1, 7]);
    for left in [days(1), seconds(1)] {
        assert_eq!(due(&after_one, with_left(left)), None, "{left} left");
    }
}

#[test]
fn after_a_missed_seven_day_sweep_only_the_one_day_reminder_is_sent_and_covers_both() {
    let invitation = pending();
    let owed = due(&invitation, with_left(days(1))).unwrap();
    assert_eq!(owed, reminder(1, &[7, 1]).unwrap());
    let claimed = invitation.reminded(&owed, with_left(days(1)));
    assert_eq!(claimed.reminders_sent, vec![1, 7]);
    assert_eq!(due(&claimed, with_left(hours(12))), None);
}

#[test]
fn nothing_is_due_for_a_declined_or_expired_invitation() {
    for left in [days(7), days(1), seconds(1)] {
        assert_eq!(
            due(&declined(), with_left(left)),
            None,
            "declined, {left} left"
        );
    }
    for now in [t0() + days(30), t0() + days(31)] {
        assert_eq!(due(&pending(), now), None, "expired at {now}");
    }
}

#[test]
fn renewing_resets_the_reminder_schedule() {
    let key = key();
    let invitation = pending();
    let reminded = invitation.reminded(
        &due(&invitation, with_left(days(7))).unwrap(),
        with_left(days(7)),
    );
    let renewed_at = with_left(days(6));
    let (renewed, _) = reminded.renew(send(
        &key,
        inviter("Alice", "alice@example.com"),
        Role::Manager,
        renewed_at,
    ));
    assert_eq!(due(&renewed, renewed_at), None, "30 days are left again");
    assert_eq!(
        due(&renewed, renewed_at + days(23)),
        reminder(7, &[7]),
        "the seven-day reminder is owed again"
    );
}

#[test]
fn reminder_schedules_parse_from_comma_separated_days() {
    let cases: [(&str, &[u16], &str); 7] = [
        ("7,1", &[7, 1], "the default"),
        ("1,7", &[7, 1], "any order"),
        (" 7 , 1 ", &[7, 1], "spaces around"),
        ("3", &[3], "a single day"),
        ("7,7,1", &[7, 1], "a repeated day"),
        ("29,1", &[29, 1], "the longest"),
        ("14,7,3,1", &[14, 7, 3, 1], "several"),
    ];
    for (input, expected, case) in cases {
        let schedule = ReminderSchedule::parse(input).unwrap_or_else(|_| panic!("{case}"));
        assert_eq!(schedule.days_before(), expected, "{case}");
    }
    assert_eq!(
        ReminderSchedule::parse("7,1").unwrap(),
        ReminderSchedule::default()
    );
    assert_eq!(ReminderSchedule::default().horizon(), days(7));
    assert_eq!(ReminderSchedule::parse("1,14").unwrap().horizon(), days(14));
}

#[test]
fn reminder_schedules_outside_the_thirty_days_or_malformed_are_refused() {
    let cases = [
        ("", "empty"),
        ("0", "on expiry itself"),
        ("30", "the day it is sent"),
        ("45", "before it is sent"),
        ("7,", "a trailing comma"),
        (",", "only a comma"),
        ("seven", "a word"),
        ("-1", "negative"),
        ("7;1", "semicolons"),
        ("7 1", "spaces"),
        ("1.5", "a fraction"),
        ("65536", "too large for a day count"),
    ];
    for (input, case) in cases {
        assert_eq!(ReminderSchedule::parse(input), Err(BadSchedule), "{case}");
    }
}
