//! The store conformance suite on the embedded SQLite store, and what only a file-backed store
//! promises: its data outlives the process.

use domain::store::{Invitations as _, People as _};
use domain::{
    invitation::Status,
    role::Role,
    store::{PageRequest, StoreError},
};
use local::store::EmbeddedStore;
use tempfile::TempDir;
use tests::conformance::{Scene, address, newcomer, start};

/// A store in a fresh temporary folder, which lives as long as the returned guard.
async fn fresh_store() -> (EmbeddedStore, TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = EmbeddedStore::open(&dir.path().join("store.sqlite3")).expect("the store opens");
    (store, dir)
}

tests::store_conformance!(fresh_store);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn data_survives_closing_and_reopening_the_store() {
    let (store, dir) = fresh_store().await;
    let scene = Scene::new(&store, "Kept on disk").await;
    let member = scene
        .join(&store, &address("member"), Role::Manager, start())
        .await;
    let pending = scene
        .invite(&store, &address("pending"), Role::Associate, start())
        .await;
    drop(store);

    let store = EmbeddedStore::open(&dir.path().join("store.sqlite3")).expect("the store reopens");
    let memberships = store
        .memberships_of(&member.email)
        .await
        .expect("memberships are read");
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].workgroup, scene.workgroup);
    assert_eq!(memberships[0].agent, member);
    assert!(
        store
            .person(&scene.founder.email)
            .await
            .expect("a person is read")
            .is_some(),
        "the founder is still registered"
    );
    let hash = pending.token_hash.clone().expect("a pending token");
    assert_eq!(
        store
            .invitation_by_token(&hash)
            .await
            .expect("an invitation is read"),
        Some(pending.clone())
    );
    assert_eq!(
        scene.listed(&store, Some(Status::Pending), start()).await,
        vec![pending]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_page_position_the_store_did_not_write_is_an_error() {
    let (store, _dir) = fresh_store().await;
    let scene = Scene::new(&store, "Positions").await;
    let wg = &scene.workgroup.id;
    for position in [
        "",
        "garbage",
        "12|inv_nothex",
        "x|inv_00000000000000000000000000000000",
    ] {
        let page = PageRequest {
            after: Some(position.to_owned()),
            limit: 10,
        };
        let listed = store.invitations(wg, None, start(), page.clone()).await;
        assert!(
            matches!(listed, Err(StoreError::Backend { .. })),
            "invitations after {position:?}: {listed:?}"
        );
    }
    for position in ["", "not an address", "Ann@Example.com"] {
        let page = PageRequest {
            after: Some(position.to_owned()),
            limit: 10,
        };
        let listed = store.agents(wg, page).await;
        assert!(
            matches!(listed, Err(StoreError::Backend { .. })),
            "agents after {position:?}: {listed:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_store_on_the_same_file_sees_the_first_ones_writes() {
    let (first, dir) = fresh_store().await;
    let second = EmbeddedStore::open(&dir.path().join("store.sqlite3")).expect("the store opens");
    let email = address("shared");
    let person = newcomer(&email, start());
    let scene = Scene::founded_by(&first, "Two processes", &person, true).await;
    assert_eq!(
        second
            .membership(&scene.workgroup.id, &email)
            .await
            .expect("a membership is read")
            .map(|m| m.agent),
        Some(scene.founder)
    );
}
