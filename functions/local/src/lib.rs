//! The local server's parts: an embedded store, an outbox mailer and development sign-in.

pub mod backends;
pub mod config;
pub mod events;
pub mod identity;
pub mod outbox;
pub mod server;
pub mod store;
