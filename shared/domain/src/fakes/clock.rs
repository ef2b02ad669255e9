//! A clock that only moves when told.

use std::sync::{Arc, Mutex};

use crate::clock::{Clock, Timestamp};
use chrono::TimeDelta;

/// A clock that stands still until a test moves it. Clones share one time.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    pub fn at(start: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}
