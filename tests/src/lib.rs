//! Black-box test support: fakes, the store conformance suite, the HTTP harness, moto and a
//! Lambda Runtime API emulator.

pub mod aws_stack;
pub mod conformance;
pub mod fakes;
pub mod harness;
pub mod infra;
pub mod moto;
pub mod runtime_api;
