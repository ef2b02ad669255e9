//! Black-box test support: fakes, the store conformance suite, the HTTP harness and moto.

pub mod conformance;
pub mod fakes;
pub mod harness;
pub mod moto;
