//! The local server's parts: an embedded store and queue, an outbox mailer, the sender that
//! drains the queue into it, and development sign-in.

pub mod config;
pub mod events;
pub mod identity;
pub mod mailer;
pub mod metrics;
pub mod outbox;
pub mod routes;
pub mod sender;
pub mod server;
pub mod store;
