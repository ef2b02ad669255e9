//! The store conformance suite on the DynamoDB store, against moto (started by the harness),
//! each test on a table of its own created from the one table definition; and what only the
//! DynamoDB store has to prove: expired items that TTL has not deleted yet stay invisible and
//! inert, the table's TTL and indexes, and a reminder sweep that reads only its window's days.

use domain::store::{Invitations as _, People as _};
use std::collections::{BTreeSet, HashMap};

use aws::{DynamoStore, calls::CallLog, dynamo::table};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::TimeDelta;
use domain::{
    audit::{Actor, Change, Event},
    clock::INVITATION_LIFETIME,
    ids::InvitationId,
    people::{Agent, Person},
    role::Role,
    store::{Inserted, PageRequest, StoreError},
};
use tests::{
    conformance::{Scene, address, newcomer, start},
    moto::moto,
};

/// A table name no other test uses.
fn unique_table(label: &str) -> String {
    let id = InvitationId::generate();
    format!("{label}-{}", &id.as_str()[id.as_str().len() - 16..])
}

async fn client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&moto().sdk_config().await)
}

/// A store on a new table. The table outlives the test: moto, and with it every table, stops
/// when the test binary exits.
async fn fresh_store() -> (DynamoStore, ()) {
    let client = client().await;
    let name = unique_table("conformance");
    table::create_table(&client, &name)
        .await
        .expect("the table is created");
    (DynamoStore::new(client, name), ())
}

tests::store_conformance!(fresh_store);

/// A store whose client counts its calls, on a new table; and a plain client on that table.
async fn counted_store() -> (DynamoStore, CallLog, aws_sdk_dynamodb::Client, String) {
    let sdk = moto().sdk_config().await;
    let plain = aws_sdk_dynamodb::Client::new(&sdk);
    let name = unique_table("counted");
    table::create_table(&plain, &name)
        .await
        .expect("the table is created");
    let log = CallLog::default();
    let counted = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(log.clone())
            .build(),
    );
    (DynamoStore::new(counted, name.clone()), log, plain, name)
}

fn first_page(limit: usize) -> PageRequest {
    PageRequest { after: None, limit }
}

/// The item stored under `pk`/`sk`, read as it is, past the store.
async fn raw_item(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: String,
    sk: String,
) -> Option<HashMap<String, AttributeValue>> {
    client
        .get_item()
        .table_name(table)
        .key(table::PARTITION_KEY, AttributeValue::S(pk))
        .key(table::SORT_KEY, AttributeValue::S(sk))
        .consistent_read(true)
        .send()
        .await
        .expect("GetItem")
        .item
}

#[tokio::test]
async fn expired_invitations_still_stored_are_invisible_in_lists_and_replaced_by_an_invite() {
    let (store, log, client, table) = counted_store().await;
    let scene = Scene::new(&store, "Lingering").await;
    let wg = &scene.workgroup.id;
    // Five invitations sent first expire first; three sent a day later are still live.
    let mut expired = Vec::new();
    for i in 0..5 {
        let sent = start() + TimeDelta::seconds(i);
        expired.push(
            scene
                .invite(&store, &address("old"), Role::Associate, sent)
                .await,
        );
    }
    let mut live = Vec::new();
    for i in 0..3 {
        let sent = start() + TimeDelta::days(1) + TimeDelta::seconds(i);
        live.push(
            scene
                .invite(&store, &address("new"), Role::Associate, sent)
                .await,
        );
    }
    let now = start() + INVITATION_LIFETIME + TimeDelta::hours(1);

    let lingering = &expired[0];
    let stored = raw_item(
        &client,
        &table,
        format!("WG#{wg}"),
        format!("INVITEE#{}", lingering.email),
    )
    .await;
    assert!(stored.is_some(), "moto keeps expired items, as TTL may");
    assert_eq!(
        store.invitation(wg, &lingering.id).await.unwrap().as_ref(),
        Some(lingering),
        "read by id, an expired invitation is returned as stored (the domain refuses it)"
    );

    log.take();
    let page = store
        .invitations(wg, None, now, first_page(3))
        .await
        .unwrap();
    let newest_first: Vec<_> = live.iter().rev().map(|i| i.id.clone()).collect();
    assert_eq!(
        page.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        newest_first
    );
    assert_eq!(page.next, None, "the expired ones do not make another page");
    assert!(
        log.count("Query") >= 2,
        "the filter dropped expired items within the first query's limit, so it read on"
    );
    let first = store
        .invitations(wg, None, now, first_page(2))
        .await
        .unwrap();
    assert_eq!(first.items, vec![live[2].clone(), live[1].clone()]);
    let after = first.next.expect("a second page");
    let second = store
        .invitations(
            wg,
            None,
            now,
            PageRequest {
                after: Some(after),
                limit: 2,
            },
        )
        .await
        .unwrap();
    assert_eq!(second.items, vec![live[0].clone()]);
    assert_eq!(second.next, None, "no page of expired items only");
    let due = store
        .pending_expiring(now, now + TimeDelta::days(7), whole_page())
        .await
        .unwrap();
    let due: BTreeSet<_> = due.items.into_iter().map(|i| i.id).collect();
    let live_ids: BTreeSet<_> = live.iter().map(|i| i.id.clone()).collect();
    assert_eq!(due, live_ids, "the sweep never sees an expired invitation");

    let fresh = scene.issue(&lingering.email, Role::Manager, now);
    let invited = Event::of(&fresh, Change::Invited, Actor::System, now);
    assert_eq!(
        store
            .insert_invitation(&fresh, now, &invited)
            .await
            .unwrap(),
        Inserted::Exists(Box::new(lingering.clone())),
        "an expiry not yet recorded is recorded first"
    );
    let lapsed = lingering.lapsed(now).expect("pending and expired");
    store.update_invitation(&lapsed, None).await.unwrap();
    assert_eq!(
        store
            .insert_invitation(&fresh, now, &invited)
            .await
            .unwrap(),
        Inserted::Created
    );
    assert_eq!(store.invitation(wg, &lingering.id).await.unwrap(), None);
    let old_hash = lingering.token_hash.clone().expect("a pending token");
    assert_eq!(store.invitation_by_token(&old_hash).await.unwrap(), None);
    let listed = scene.listed(&store, None, now).await;
    assert_eq!(
        listed.first(),
        Some(&fresh),
        "the new invitation is listed first"
    );
    assert_eq!(log.count("Scan"), 0);
}

#[tokio::test]
async fn accepting_or_cancelling_a_replaced_invitation_leaves_its_replacement_alone() {
    let (store, _, _, _) = counted_store().await;
    let scene = Scene::new(&store, "Inert").await;
    let email = address("ann");
    let expired = scene.invite(&store, &email, Role::Associate, start()).await;
    let now = expired.expires_at() + TimeDelta::days(1);
    let fresh = scene.issue(&email, Role::Manager, now);
    let lapsed = expired.lapsed(now).expect("pending and expired");
    store.update_invitation(&lapsed, None).await.unwrap();
    let event = Event::of(&fresh, Change::Invited, Actor::System, now);
    store.insert_invitation(&fresh, now, &event).await.unwrap();

    let person = newcomer(&email, now);
    let agent = Agent::joining(&person, expired.role, now);
    assert!(matches!(
        store
            .accept_invitation(&lapsed, &agent, Some(&person), &event)
            .await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        store.delete_invitation(&lapsed, &event).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store
            .invitation(&scene.workgroup.id, &fresh.id)
            .await
            .unwrap(),
        Some(fresh),
        "the replaced invitation's accept and cancel left the new one alone"
    );
    assert_eq!(store.person(&email).await.unwrap(), None::<Person>);
}

#[tokio::test]
async fn the_reminder_sweep_queries_only_the_days_of_its_window() {
    let (store, log, _, _) = counted_store().await;
    let scene = Scene::new(&store, "Sweep").await;
    let now = start();
    let in_3_days = scene
        .invite(
            &store,
            &address("soon"),
            Role::Associate,
            now + TimeDelta::days(3) - INVITATION_LIFETIME,
        )
        .await;
    let in_20_days = scene
        .invite(
            &store,
            &address("later"),
            Role::Associate,
            now + TimeDelta::days(20) - INVITATION_LIFETIME,
        )
        .await;

    log.take();
    let week = store
        .pending_expiring(now, now + TimeDelta::days(7), whole_page())
        .await
        .unwrap();
    assert_eq!(
        week.items.iter().map(|i| &i.id).collect::<Vec<_>>(),
        [&in_3_days.id],
        "the invitation expiring in 20 days is outside a 7-day window"
    );
    // 09:00 on day 0 to 09:00 on day 7: eight calendar days, one query each.
    assert_eq!(log.operations(), vec!["Query"; 8]);

    log.take();

    let month = store
        .pending_expiring(now, now + TimeDelta::days(25), whole_page())
        .await
        .unwrap();
    let ids: BTreeSet<_> = month.items.iter().map(|i| &i.id).collect();
    assert_eq!(ids, BTreeSet::from([&in_3_days.id, &in_20_days.id]));
    assert_eq!(log.count("Query"), 26);

    log.take();
    let empty = store
        .pending_expiring(now, now - TimeDelta::hours(1), whole_page())
        .await;
    assert!(empty.unwrap().items.is_empty());
    assert_eq!(
        log.operations(),
        Vec::<String>::new(),
        "an empty window reads nothing"
    );
    assert_eq!(log.count("Scan"), 0);
}

#[tokio::test]
async fn memberships_of_sorts_a_workgroup_name_before_its_longer_names() {
    let (store, _) = fresh_store().await;
    let ann = newcomer(&address("ann"), start());
    for (i, name) in ["Acme-IT", "Acme IT", "Acme"].into_iter().enumerate() {
        Scene::founded_by(&store, name, &ann, i == 0).await;
    }
    let names: Vec<String> = store
        .memberships_of(&ann.email)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.workgroup.name.to_string())
        .collect();
    assert_eq!(names, ["Acme", "Acme IT", "Acme-IT"]);
}

#[tokio::test]
async fn a_page_position_this_store_did_not_write_is_refused() {
    let (store, _) = fresh_store().await;
    let scene = Scene::new(&store, "Positions").await;
    let wg = &scene.workgroup.id;
    for after in [
        "",
        "ann@example.com",
        "SENT#2031|ann@example.com",
        "WG#x|ann@example.com",
    ] {
        let page = PageRequest {
            after: Some(after.to_owned()),
            limit: 10,
        };
        assert!(
            matches!(
                store.invitations(wg, None, start(), page).await,
                Err(StoreError::Backend { .. })
            ),
            "invitations after {after:?}"
        );
    }
    for after in ["", "not an address", "SENT#2031|ann@example.com"] {
        let page = PageRequest {
            after: Some(after.to_owned()),
            limit: 10,
        };
        assert!(
            matches!(
                store.agents(wg, page).await,
                Err(StoreError::Backend { .. })
            ),
            "agents after {after:?}"
        );
    }
}

#[tokio::test]
async fn the_table_has_every_index_and_ttl_on_expires_at_and_creating_it_again_is_harmless() {
    let client = client().await;
    let name = unique_table("definition");
    table::ensure_table(&client, &name).await.unwrap();
    table::ensure_table(&client, &name).await.unwrap();
    table::create_table(&client, &name).await.unwrap();

    let ttl = client
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().expect("a TTL description");
    assert_eq!(ttl.attribute_name(), Some(table::TTL_ATTRIBUTE));
    assert_eq!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );

    let described = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let described = described.table().expect("a table description");
    let key_names = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
        schema
            .iter()
            .map(|k| k.attribute_name().to_owned())
            .collect::<Vec<_>>()
    };
    let expected = |index: &table::Index| {
        std::iter::once(index.partition)
            .chain(index.sort)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        key_names(described.key_schema()),
        [table::PARTITION_KEY, table::SORT_KEY]
    );
    let globals: HashMap<&str, Vec<String>> = described
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            (
                i.index_name().unwrap_or_default(),
                key_names(i.key_schema()),
            )
        })
        .collect();
    assert_eq!(globals.len(), table::GLOBAL_INDEXES.len());
    for index in &table::GLOBAL_INDEXES {
        assert_eq!(
            globals.get(index.name),
            Some(&expected(index)),
            "{}",
            index.name
        );
    }
    let locals: HashMap<&str, Vec<String>> = described
        .local_secondary_indexes()
        .iter()
        .map(|i| {
            (
                i.index_name().unwrap_or_default(),
                key_names(i.key_schema()),
            )
        })
        .collect();
    assert_eq!(locals.len(), table::LOCAL_INDEXES.len());
    for index in &table::LOCAL_INDEXES {
        assert_eq!(
            locals.get(index.name),
            Some(&expected(index)),
            "{}",
            index.name
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn warming_up_reads_one_key_no_item_has_and_writes_nothing() {
    let (store, log, plain, name) = counted_store().await;
    store.warm_up().await.expect("moto answers");
    assert_eq!(log.operations(), ["GetItem"]);
    let items = plain.scan().table_name(&name).send().await.unwrap();
    assert_eq!(items.count(), 0, "the warm-up wrote something");

    // A table that is not there: the first request will say so; the warm-up only reports it.
    let missing = DynamoStore::new(plain, unique_table("missing"));
    assert!(matches!(
        missing.warm_up().await,
        Err(StoreError::Backend { .. })
    ));
}

/// A page long enough for everything a check writes.
fn whole_page() -> domain::store::PageRequest {
    domain::store::PageRequest {
        after: None,
        limit: 100,
    }
}
