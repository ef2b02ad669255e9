//! Black-box test support: fakes, the store conformance suite and the HTTP harness.

pub mod conformance;
pub mod fakes;
pub mod harness;
