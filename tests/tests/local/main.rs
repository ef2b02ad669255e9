//! The local server as a process: its limits, its robustness under load and generated requests
//! (schemathesis), the README's walk-through, the console in Chromium, and SQS as its queue.

mod browser;
mod limits_process;
mod load_invariants;
mod readme_walkthrough;
mod schemathesis;
mod server_process;
mod sqs_queue;
