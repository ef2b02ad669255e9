//! The store conformance suite on the in-memory fake, so that the fast use-case tests run on a
//! store that keeps every promise of the port.

use domain::fakes::MemoryStore;

async fn fresh_store() -> (MemoryStore, ()) {
    (MemoryStore::default(), ())
}

tests::store_conformance!(fresh_store);
