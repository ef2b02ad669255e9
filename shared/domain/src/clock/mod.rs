//! Time: an injected clock, so expiry and reminders can be tested and tried at any moment.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// An instant, in whole seconds, UTC.
pub type Timestamp = DateTime<Utc>;

/// How long an invitation stays valid after it was last sent.
pub const INVITATION_LIFETIME: TimeDelta = TimeDelta::days(30);

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now().trunc_subsecs(0)
    }
}

/// The machine's clock moved by a fixed offset: it runs, but starts at another moment.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: TimeDelta,
}

impl ShiftedClock {
    /// A clock that reads `start` now and advances in real time from there.
    pub fn starting_at(start: Timestamp) -> Self {
        Self {
            offset: start - Utc::now(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        (Utc::now() + self.offset).trunc_subsecs(0)
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

pub mod rfc3339;
