//! The store conformance suite on every store (SQLite, DynamoDB on moto, the in-memory fake), and what each store adds.

mod dynamodb;
mod embedded;
mod memory;
