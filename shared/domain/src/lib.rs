//! The workgroup agent invitations domain.
//!
//! Every rule of the product lives here: roles and privileges, the invitation lifecycle,
//! address parsing, tokens, cursors, reminders and email rendering. Storage, mail and time are
//! ports ([`store::Store`], [`mailer::Mailer`], [`clock::Clock`]); no AWS type appears here.

pub mod address;
pub mod app;
pub mod audit;
pub mod clock;
pub mod delivery;
#[cfg(feature = "test-util")]
pub mod fakes;
pub mod idempotency;
pub mod ids;
pub mod invitation;
pub mod locale;
pub mod mailer;
pub mod message;
pub mod metrics;
pub mod people;
pub mod quota;
pub mod role;
pub mod secret;
pub mod store;
pub mod usecases;

pub use app::{App, Caller, Settings};

/// Random bytes from the operating system's generator.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the OS random generator is available");
    bytes
}
