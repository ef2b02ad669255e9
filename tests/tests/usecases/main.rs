//! The use cases of `App`, against the in-memory store, the recording mailer and a manual clock:
//! one module per use case or concern, the app under test in `harness`.

mod accept;
mod audit;
mod harness;
mod invite;
mod list;
mod mail_failures;
mod pending_cap;
mod privileges;
mod remind;
mod seed_story;
