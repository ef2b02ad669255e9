//! Black-box test support: the store conformance suite, the HTTP harness, moto, a
//! Lambda Runtime API emulator, the deploy rehearsal, the browser tests' Chromium and Playwright, and schemathesis.

pub mod aws_stack;
pub mod binaries;
pub mod browser;
pub mod conformance;
pub mod emf;
pub mod functions;
pub mod harness;
pub mod infra;
pub mod local_server;
pub mod moto;
pub mod rehearsal;
pub mod robustness;
pub mod runtime_api;
pub mod ses_standin;
