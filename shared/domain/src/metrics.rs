//! Business metrics: how many invitations went out and what became of them, how emails fare,
//! how long acceptance and delivery take, what the sweeps do. The use cases record them here
//! as they happen; whoever runs the use cases takes them at the end of each invocation (or
//! request) and writes them out: the functions as CloudWatch Embedded Metric Format log lines,
//! the local server to a file it serves as Prometheus text.
//!
//! The recorder is one per process, like the log subscriber: a Lambda sandbox handles one
//! event at a time, and the local server only ever sums what it takes. Nothing recorded names
//! a workgroup, an address or a token: a metric is a name and a number.

use std::sync::Mutex;

use crate::{audit::Change, invitation::Delivery};

/// The namespace every metric is published under.
pub const NAMESPACE: &str = "WorkgroupInvitations";

/// The one dimension every metric carries: the function (or `local`) that recorded it.
pub const DIMENSION: &str = "Function";

/// A business metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// New invitations (their first email).
    InvitationsSent,
    /// Invitations sent again: the resend action, or inviting the address again.
    InvitationsResent,
    InvitationsAccepted,
    InvitationsDeclined,
    InvitationsCancelled,
    /// Invitations recorded as expired unanswered.
    InvitationsExpired,
    /// Reminders made due before expiry.
    RemindersSent,
    /// Emails posted to the queue of due emails.
    EmailsQueued,
    /// Emails the mail service took.
    EmailsHandedOver,
    /// Attempts the mail service did not take (throttling aside).
    EmailsFailed,
    EmailsBounced,
    EmailsComplained,
    /// From the invitation's last send to its acceptance.
    TimeToAcceptance,
    /// From an email's send (when it was queued) to the mail service taking it.
    DeliveryLag,
    /// One scheduled sweep's run.
    SweepDuration,
    /// Candidates one sweep handled.
    SweepItems,
}

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
    Milliseconds,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Seconds => "Seconds",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

impl Metric {
    pub const ALL: [Metric; 16] = [
        Metric::InvitationsSent,
        Metric::InvitationsResent,
        Metric::InvitationsAccepted,
        Metric::InvitationsDeclined,
        Metric::InvitationsCancelled,
        Metric::InvitationsExpired,
        Metric::RemindersSent,
        Metric::EmailsQueued,
        Metric::EmailsHandedOver,
        Metric::EmailsFailed,
        Metric::EmailsBounced,
        Metric::EmailsComplained,
        Metric::TimeToAcceptance,
        Metric::DeliveryLag,
        Metric::SweepDuration,
        Metric::SweepItems,
    ];

    /// The metric's name, as published and as the dashboards name it.
    pub fn name(self) -> &'static str {
        match self {
            Metric::InvitationsSent => "InvitationsSent",
            Metric::InvitationsResent => "InvitationsResent",
            Metric::InvitationsAccepted => "InvitationsAccepted",
            Metric::InvitationsDeclined => "InvitationsDeclined",
            Metric::InvitationsCancelled => "InvitationsCancelled",
            Metric::InvitationsExpired => "InvitationsExpired",
            Metric::RemindersSent => "RemindersSent",
            Metric::EmailsQueued => "EmailsQueued",
            Metric::EmailsHandedOver => "EmailsHandedOver",
            Metric::EmailsFailed => "EmailsFailed",
            Metric::EmailsBounced => "EmailsBounced",
            Metric::EmailsComplained => "EmailsComplained",
            Metric::TimeToAcceptance => "TimeToAcceptance",
            Metric::DeliveryLag => "DeliveryLag",
            Metric::SweepDuration => "SweepDuration",
            Metric::SweepItems => "SweepItems",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::TimeToAcceptance => Unit::Seconds,
            Metric::DeliveryLag | Metric::SweepDuration => Unit::Milliseconds,
            _ => Unit::Count,
        }
    }

    /// The metric an audited change counts, if any: the audit trail and the metrics see the
    /// same events.
    pub fn of_change(change: &Change) -> Option<Metric> {
        Some(match change {
            Change::Invited => Metric::InvitationsSent,
            Change::Resent => Metric::InvitationsResent,
            Change::Accepted => Metric::InvitationsAccepted,
            Change::Declined => Metric::InvitationsDeclined,
            Change::Cancelled => Metric::InvitationsCancelled,
            Change::Expired => Metric::InvitationsExpired,
            Change::Reminded { .. } => Metric::RemindersSent,
            Change::Delivery { delivery, .. } => match delivery {
                Delivery::Sent => Metric::EmailsHandedOver,
                Delivery::Failed => Metric::EmailsFailed,
                Delivery::Bounced => Metric::EmailsBounced,
                Delivery::Complained => Metric::EmailsComplained,
                Delivery::Queued => return None,
            },
            Change::SignInRefused | Change::RoleChanged { .. } | Change::Removed => return None,
        })
    }
}

/// What was recorded of one metric since the last [`take`]: counts summed into one value,
/// measurements one value each.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub metric: Metric,
    pub values: Vec<f64>,
}

/// The most measurements of one metric kept between two takes: what one EMF document may carry
/// for a metric. Counts are summed, so they have no bound.
pub const MAX_VALUES: usize = 100;

/// What was recorded since the last take, by metric ([`Metric::ALL`]'s order is the enum's).
pub struct Recorder(Mutex<[Vec<f64>; Metric::ALL.len()]>);

impl Recorder {
    pub const fn new() -> Self {
        Self(Mutex::new([const { Vec::new() }; Metric::ALL.len()]))
    }

    fn record(&self, metric: Metric, value: f64) {
        // A poisoned lock only means a panic elsewhere: the values are still whole.
        let mut recorded = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let values = &mut recorded[metric as usize];
        if metric.unit() == Unit::Count && !values.is_empty() {
            values[0] += value;
        } else if values.len() < MAX_VALUES {
            values.push(value);
        }
    }

    /// Everything recorded since the last take, one entry per metric, in [`Metric::ALL`]'s
    /// order.
    pub fn take(&self) -> Vec<Recorded> {
        let mut recorded = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Metric::ALL
            .into_iter()
            .zip(recorded.iter_mut())
            .filter(|(_, values)| !values.is_empty())
            .map(|(metric, values)| Recorded {
                metric,
                values: std::mem::take(values),
            })
            .collect()
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

/// The process's recorder.
static RECORDER: Recorder = Recorder::new();

/// Counts `n` of a [`Unit::Count`] metric; a zero is written too (a sweep that found nothing).
pub fn count(metric: Metric, n: u64) {
    RECORDER.record(metric, n as f64);
}

/// Records one measurement of a time metric, in its unit.
pub fn measure(metric: Metric, value: f64) {
    RECORDER.record(metric, value.max(0.0));
}

/// Counts the metric of a change that was just written, if it has one.
pub fn changed(change: &Change) {
    if let Some(metric) = Metric::of_change(change) {
        count(metric, 1);
    }
}

/// Everything the process recorded since the last call.
pub fn take() -> Vec<Recorded> {
    RECORDER.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_distinct_name_and_a_unit() {
        for (index, metric) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(metric as usize, index, "the recorder indexes by the enum");
        }
        let mut names: Vec<_> = Metric::ALL.iter().map(|m| m.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Metric::ALL.len());
        assert_eq!(Metric::TimeToAcceptance.unit(), Unit::Seconds);
        assert_eq!(Metric::DeliveryLag.unit(), Unit::Milliseconds);
        assert_eq!(Metric::EmailsQueued.unit(), Unit::Count);
    }

    #[test]
    fn counts_are_summed_and_measurements_kept_apart_until_taken() {
        let recorder = Recorder::new();
        for (metric, value) in [
            (Metric::EmailsQueued, 2.0),
            (Metric::EmailsQueued, 3.0),
            (Metric::EmailsFailed, 0.0),
            (Metric::SweepDuration, 12.0),
            (Metric::SweepDuration, 7.0),
        ] {
            recorder.record(metric, value);
        }
        for _ in 0..MAX_VALUES + 5 {
            recorder.record(Metric::DeliveryLag, 1.0);
        }
        let taken = recorder.take();
        let of = |metric| {
            taken
                .iter()
                .find(|r| r.metric == metric)
                .map(|r| r.values.clone())
        };
        assert_eq!(of(Metric::EmailsQueued), Some(vec![5.0]));
        assert_eq!(
            of(Metric::EmailsFailed),
            Some(vec![0.0]),
            "a zero is a value"
        );
        assert_eq!(of(Metric::SweepDuration), Some(vec![12.0, 7.0]));
        assert_eq!(of(Metric::DeliveryLag).map(|v| v.len()), Some(MAX_VALUES));
        assert_eq!(
            of(Metric::EmailsBounced),
            None,
            "nothing recorded, nothing taken"
        );
        assert!(recorder.take().is_empty(), "taking empties the recorder");
    }

    #[test]
    fn each_invitation_change_counts_its_metric_and_agent_changes_none() {
        assert_eq!(
            Metric::of_change(&Change::Declined),
            Some(Metric::InvitationsDeclined)
        );
        assert_eq!(Metric::of_change(&Change::Removed), None);
        let delivery = |delivery| {
            Metric::of_change(&Change::Delivery {
                delivery,
                attempt: 1,
            })
        };
        assert_eq!(delivery(Delivery::Sent), Some(Metric::EmailsHandedOver));
        assert_eq!(
            delivery(Delivery::Complained),
            Some(Metric::EmailsComplained)
        );
        assert_eq!(delivery(Delivery::Queued), None);
    }
}
