//! Hand-written fakes of the ports for fast tests (the `test-util` feature): an in-memory store
//! that checks every condition the ports state (it runs the store conformance suite too), queues,
//! a recording mailer and a clock that only moves when told. Storage and email tests of the real
//! adapters use the real adapters.

mod clock;
mod mailer;
mod queue;
mod store;

pub use clock::ManualClock;
pub use mailer::RecordingMailer;
pub use queue::{InlineQueue, MemoryQueue};
pub use store::MemoryStore;
