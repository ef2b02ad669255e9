//! Black-box test support: fakes, the store conformance suite, the HTTP harness, moto, a
//! Lambda Runtime API emulator and the browser tests' Chromium and Playwright.

pub mod aws_stack;
pub mod browser;
pub mod conformance;
pub mod fakes;
pub mod harness;
pub mod infra;
pub mod moto;
pub mod runtime_api;
