//! Scale: the first page of a workgroup's invitations and the reminder sweep, timed and with
//! their DynamoDB calls counted, at 10, 1,000 and 100,000 pending invitations in one workgroup,
//! on the embedded SQLite store and on the DynamoDB store over moto.
//!
//! Each size starts from an empty store: a fresh SQLite file, or a fresh moto table. An
//! administrator creates one workgroup and invites N addresses into it, the sends spread evenly
//! over 30 days (the clock moves between invite requests), so the expiries spread over the next
//! 30 days. Then, with the clock at one fixed "now" a minute before the first expiry:
//!
//! - the first page of `GET /workgroups/{wg}/invitations` as the API asks for it by default (no
//!   status, the default limit), through the use case: the median time of `--reps` calls, its
//!   items and its DynamoDB calls;
//! - the reminder sweep at that now, through the use case: one run (it makes each reminder the
//!   invitation's current email with a conditional write and posts it to the queue, so a second
//!   run at the same now finds nothing due), its report, its DynamoDB calls and the emails it
//!   posted;
//! - the same sweep again at the same now, which sends nothing: what a sweep costs that only
//!   reads (a second table).
//!
//! Both stores get the same queue, one that counts the due emails posted and keeps none, so the
//! times are the store's and the use case's; on AWS the emails go out in `SendMessageBatch`es of
//! ten, and the sender then makes the same calls for each (tests/tests/aws/calls.rs counts
//! them; `bench/src/bin/delivery.rs` measures the sending). DynamoDB calls are
//! counted by `aws::calls::CallLog` on the store's client; seeding and the bench's own reads go
//! through a second, uncounted client. moto is not DynamoDB: its times are moto's (a Python
//! server answering one request at a time, whose queries go through every item of the table and
//! whose `TransactWriteItems` copies the whole table first), so on DynamoDB only the calls carry
//! over, and the calls are what DynamoDB bills.
//!
//! moto makes two concessions (see [`dynamodb`] and [`sweep_plan`]): above 240 invitations most
//! are seeded as copies of invitations the use case wrote, and a sweep whose writes moto would
//! take longer than `--sweep-budget` (600 s) to run is measured as far as its read (the call it
//! makes first), its writes reported as the number due, one `TransactWriteItems` each.
//!
//! cargo run --release -p bench --bin scale [-- [N ...] [--stores embedded,dynamodb] [--reps R]
//!     [--real-seed K] [--templates T] [--sweep-budget SECONDS]]

use domain::fakes::ManualClock;
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use aws::{
    DynamoStore,
    calls::CallLog,
    dynamo::table::{PARTITION_KEY, SORT_KEY, create_table},
};
use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Put, PutRequest, TransactWriteItem, WriteRequest},
};
use bench::{Item, every_item, thousands};
use chrono::TimeDelta;
use domain::{
    App, Caller, Settings,
    address::EmailAddress,
    clock::{Clock, Timestamp},
    delivery::{DueEmail, Queue, QueueError},
    ids::{InvitationId, WorkgroupId},
    invitation::Invitation,
    message::AcceptLinks,
    people::WorkgroupName,
    role::Role,
    secret::{SecretKey, SendNonce},
    store::{PageRequest, Store},
    usecases::{
        ListQuery,
        invite::{InviteOutcome, InviteRequest},
        remind::SweepReport,
    },
};
use local::store::EmbeddedStore;
use tests::{harness::start_time, moto::moto};

const USAGE: &str = "usage: scale [N ...] [--stores embedded,dynamodb] [--reps R] \
                     [--real-seed K] [--templates T] [--sweep-budget SECONDS]";

const DEFAULT_SIZES: [usize; 3] = [10, 1_000, 100_000];

/// The sends spread over an invitation's lifetime, so the expiries spread over as long.
const SEND_WINDOW: TimeDelta = TimeDelta::days(30);

/// At least this many invite requests (at most one an hour over the window), so that small
/// sizes spread too instead of going out in one request of 50.
const SPREAD_STEPS: usize = 720;

/// The first page's repetitions stop early once they took this long (at least 3 are timed):
/// on moto at 100,000 invitations a page takes seconds.
const PAGE_BUDGET: Duration = Duration::from_secs(60);

/// Items per `BatchWriteItem`, DynamoDB's maximum.
const BATCH: usize = 25;

/// The sort keys of invitation items start with it (`aws::dynamo::keys`, private there).
const INVITEE_PREFIX: &str = "INVITEE#";

// --- options ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Embedded,
    Dynamo,
}

impl Backend {
    fn label(self) -> &'static str {
        match self {
            Backend::Embedded => "embedded (SQLite)",
            Backend::Dynamo => "DynamoDB (moto)",
        }
    }
}

struct Options {
    sizes: Vec<usize>,
    backends: Vec<Backend>,
    /// Timed calls of the first page.
    reps: usize,
    /// On moto, the largest size seeded wholly through the use case.
    real_seed: usize,
    /// On moto, for larger sizes: invitations seeded through the use case, of which the rest
    /// are copies.
    templates: usize,
    /// On moto, the sweep's writes are run only if estimated to take less than this.
    sweep_budget: Duration,
    /// The command that reproduces this run.
    command: String,
}

fn usage(problem: &str) -> ! {
    eprintln!("{problem}\n{USAGE}");
    std::process::exit(2)
}

/// `100000`, `100_000` or `100,000`.
fn count(text: &str) -> Option<usize> {
    text.replace(['_', ','], "").parse().ok().filter(|n| *n > 0)
}

impl Options {
    fn parse() -> Self {
        let raw: Vec<String> = std::env::args().skip(1).collect();
        let mut command = "cargo run --release -p bench --bin scale".to_owned();
        if !raw.is_empty() {
            command = format!("{command} -- {}", raw.join(" "));
        }
        let mut options = Options {
            sizes: Vec::new(),
            backends: vec![Backend::Embedded, Backend::Dynamo],
            reps: 20,
            real_seed: 240,
            templates: 240,
            sweep_budget: Duration::from_secs(600),
            command,
        };
        let mut args = raw.iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
            };
            match arg.as_str() {
                "--stores" => {
                    options.backends = value()
                        .split(',')
                        .map(|store| match store.trim() {
                            "embedded" => Backend::Embedded,
                            "dynamodb" => Backend::Dynamo,
                            other => usage(&format!("unknown store {other:?}")),
                        })
                        .collect();
                }
                "--reps" => {
                    options.reps = count(value()).unwrap_or_else(|| usage("--reps: a count"));
                }
                "--real-seed" => {
                    options.real_seed =
                        count(value()).unwrap_or_else(|| usage("--real-seed: a count"));
                }
                "--templates" => {
                    options.templates =
                        count(value()).unwrap_or_else(|| usage("--templates: a count"));
                }
                "--sweep-budget" => {
                    let seconds =
                        count(value()).unwrap_or_else(|| usage("--sweep-budget: seconds"));
                    options.sweep_budget = Duration::from_secs(seconds as u64);
                }
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                size => options
                    .sizes
                    .push(count(size).unwrap_or_else(|| usage(&format!("not a size: {size:?}")))),
            }
        }
        if options.sizes.is_empty() {
            options.sizes = DEFAULT_SIZES.to_vec();
        }
        options
    }
}

// --- the queue --------------------------------------------------------------------------------

/// Counts the due emails posted to it and keeps none (100,000 messages need not sit in
/// memory). Clones share one count.
#[derive(Clone, Default)]
struct CountingQueue(Arc<AtomicUsize>);

impl CountingQueue {
    /// Emails posted since the last `take`.
    fn take(&self) -> usize {
        self.0.swap(0, Ordering::SeqCst)
    }
}

impl Queue for CountingQueue {
    async fn post(&self, emails: &[DueEmail]) -> Result<(), QueueError> {
        self.0.fetch_add(emails.len(), Ordering::SeqCst);
        Ok(())
    }
}

/// Every pending invitation expiring in `[since, until)`, page after page as the sweep reads
/// them.
async fn every_pending_expiring<S: Store>(
    store: &S,
    since: Timestamp,
    until: Timestamp,
) -> Vec<Invitation> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .pending_expiring(
                since,
                until,
                PageRequest {
                    after: after.take(),
                    limit: domain::usecases::remind::SWEEP_PAGE,
                },
            )
            .await
            .expect("the candidates are read");
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
}

// --- formatting -------------------------------------------------------------------------------

fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 7_200.0 {
        format!("{:.1} h", s / 3_600.0)
    } else if s >= 120.0 {
        format!("{} min {:02} s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.01 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.2} ms", s * 1e3)
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// The DynamoDB calls logged since the last `take`, per operation, e.g. `1 GetItem, 1 Query`
/// ("—" for the embedded store, which makes none).
fn calls(log: Option<&CallLog>) -> String {
    let Some(log) = log else {
        return "—".to_owned();
    };
    let mut counted: BTreeMap<String, usize> = BTreeMap::new();
    for call in log.take().into_iter().filter(|c| c.service == "DynamoDB") {
        *counted.entry(call.operation).or_default() += 1;
    }
    if counted.is_empty() {
        return "none".to_owned();
    }
    counted
        .iter()
        .map(|(operation, n)| format!("{} {operation}", thousands(*n)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn forget_calls(log: Option<&CallLog>) {
    if let Some(log) = log {
        log.take();
    }
}

fn sweep_counts(report: &SweepReport) -> String {
    let mut text = format!(
        "{} / {}",
        thousands(report.candidates),
        thousands(report.sent)
    );
    if report.failed > 0 {
        text.push_str(&format!(" ({} failed)", thousands(report.failed)));
    }
    text
}

// --- one workgroup, seeded and measured -------------------------------------------------------

/// The moment everything is measured at: after the last send, a minute before the first
/// invitation (sent at the start) expires, so every invitation is listed and the oldest week's
/// sends are within the reminder horizon.
fn measured_now() -> Timestamp {
    start_time() + SEND_WINDOW - TimeDelta::minutes(1)
}

fn address(index: usize) -> String {
    // Fixed width, so that no address is part of another (clones rewrite them as text).
    format!("i{index:08}@example.com")
}

/// What one store measured.
struct Measured {
    page_time: String,
    page_items: usize,
    page_calls: String,
    sweep_time: String,
    sweep_counts: String,
    sweep_calls: String,
    sweep_emails: String,
    /// The same sweep run again at the same now; `None` when the first was not run.
    again: Option<(String, String, String)>,
}

/// How the sweep is measured.
enum SweepPlan {
    /// Through the use case.
    Run,
    /// Only its read (the candidates), its writes estimated too long for moto.
    ReadOnly { due: usize, estimate: Duration },
}

struct Scene<S> {
    app: App<S, CountingQueue, ManualClock>,
    admin: Caller,
    workgroup: WorkgroupId,
}

impl<S: Store> Scene<S> {
    /// `store` with one workgroup, and settings that let one administrator invite `n`.
    async fn found(store: S, n: usize) -> Self {
        let mut settings =
            Settings::new(AcceptLinks::new("https://invitations.test").expect("a valid base URL"));
        // The daily quota and the pending cap would stop the seeding long before N.
        let room = u32::try_from(n).unwrap_or(u32::MAX);
        settings.daily_invitations_per_inviter = room;
        settings.daily_invitations_per_inviter_overall = room;
        settings.pending_invitations_per_workgroup = room;
        let app = App {
            store,
            queue: CountingQueue::default(),
            clock: ManualClock::at(start_time()),
            key: SecretKey::generate(),
            settings,
        };
        let admin = Caller {
            sign_in: domain::people::SignIn {
                issuer: "https://issuer.example".to_owned(),
                subject: "sub-ada".to_owned(),
            },
            email: EmailAddress::parse("ada@example.com").expect("a valid address"),
            name: Some("Ada".to_owned()),
        };
        let founded = app
            .create_workgroup(
                &admin,
                WorkgroupName::parse("Acme IT").expect("a valid name"),
                None,
            )
            .await
            .expect("the workgroup is created");
        Self {
            workgroup: founded.workgroup.id,
            app,
            admin,
        }
    }

    fn move_clock_to(&self, at: Timestamp) {
        self.app.clock.advance(at - self.app.clock.now());
    }

    /// Invites addresses `0..n` through the use case, in requests of up to the maximum of
    /// addresses, sent evenly over [`SEND_WINDOW`].
    async fn seed_through_use_case(&self, n: usize) {
        let started = Instant::now();
        let max = self.app.settings.max_addresses_per_request;
        let requests = n.div_ceil(max).max(n.min(SPREAD_STEPS));
        let window = SEND_WINDOW.num_seconds() as usize;
        for r in 0..requests {
            let offset = TimeDelta::seconds((window * r / requests) as i64);
            self.move_clock_to(start_time() + offset);
            let addresses: Vec<String> = (n * r / requests..n * (r + 1) / requests)
                .map(address)
                .collect();
            let request =
                InviteRequest::pasted(&addresses, addresses.len().max(1), Role::Associate, None)
                    .expect("valid addresses");
            let results = self
                .app
                .invite(&self.admin, &self.workgroup, &request)
                .await
                .expect("the invite request succeeds");
            let invited = results
                .iter()
                .filter(|r| matches!(r.outcome, InviteOutcome::Invited(_)))
                .count();
            assert_eq!(
                invited,
                addresses.len(),
                "every address invited: {results:?}"
            );
            if (r + 1) * 10 / requests > r * 10 / requests {
                eprintln!(
                    "    seeded {} of {} ({})",
                    thousands(n * (r + 1) / requests),
                    thousands(n),
                    duration(started.elapsed())
                );
            }
        }
        self.app.queue.take();
    }

    async fn first_page(&self) -> usize {
        self.app
            .list_invitations(&self.admin, &self.workgroup, None, &ListQuery::default())
            .await
            .expect("the first page")
            .items
            .len()
    }

    async fn measure(&self, log: Option<&CallLog>, reps: usize, plan: SweepPlan) -> Measured {
        self.move_clock_to(measured_now());
        let now = self.app.clock.now();

        eprintln!("    first page");
        self.first_page().await; // warms the connection (and SQLite's page cache) up
        let (mut times, mut page_items, mut page_calls) = (Vec::new(), 0, String::new());
        let started = Instant::now();
        while times.len() < reps && (times.len() < 3 || started.elapsed() < PAGE_BUDGET) {
            forget_calls(log);
            let call = Instant::now();
            page_items = self.first_page().await;
            times.push(call.elapsed());
            // Every repetition makes the same calls: keep the last one's.
            page_calls = calls(log);
        }
        let mut page_time = duration(median(times.clone()));
        if times.len() < reps {
            page_time.push_str(&format!(" (of {})", times.len()));
        }

        let measured = |sweep_time, sweep_counts, sweep_calls, sweep_emails, again| Measured {
            page_time: page_time.clone(),
            page_items,
            page_calls: page_calls.clone(),
            sweep_time,
            sweep_counts,
            sweep_calls,
            sweep_emails,
            again,
        };
        match plan {
            SweepPlan::Run => {
                eprintln!("    sweep");
                self.app.queue.take();
                forget_calls(log);
                let started = Instant::now();
                let report = self
                    .app
                    .send_due_reminders(now, || true)
                    .await
                    .expect("the sweep runs");
                let time = started.elapsed();
                let sweep_calls = calls(log);
                let emails = self.app.queue.take();

                eprintln!("    sweep again");
                let started = Instant::now();
                let again = self
                    .app
                    .send_due_reminders(now, || true)
                    .await
                    .expect("the sweep runs again");
                let again_time = started.elapsed();
                // What the first run claimed is not due again; what it failed to claim or send
                // (counted in its report) is, as on the next tick in production.
                measured(
                    duration(time),
                    sweep_counts(&report),
                    sweep_calls,
                    thousands(emails),
                    Some((duration(again_time), sweep_counts(&again), calls(log))),
                )
            }
            SweepPlan::ReadOnly { due, estimate } => {
                // The sweep's first step, as it calls it: its candidates.
                eprintln!("    sweep's read only");
                forget_calls(log);
                let started = Instant::now();
                let candidates = every_pending_expiring(
                    &self.app.store,
                    now,
                    now + self.app.settings.reminders.horizon(),
                )
                .await;
                let time = started.elapsed();
                measured(
                    format!(
                        "{} to read; the writes not run (over {} on moto)",
                        duration(time),
                        duration(estimate)
                    ),
                    format!(
                        "{} / — ({} due)",
                        thousands(candidates.len()),
                        thousands(due)
                    ),
                    format!(
                        "{} + {} TransactWriteItems (not run)",
                        calls(log),
                        thousands(due)
                    ),
                    format!("— ({} due)", thousands(due)),
                    None,
                )
            }
        }
    }
}

// --- the two stores ---------------------------------------------------------------------------

struct Row {
    store: &'static str,
    invitations: usize,
    seeding: String,
    measured: Measured,
}

async fn embedded(n: usize, options: &Options) -> Row {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = EmbeddedStore::open(&dir.path().join("scale.sqlite3")).expect("the store opens");
    let scene = Scene::found(store, n).await;
    eprintln!("  seeding {} through the use case", thousands(n));
    let started = Instant::now();
    scene.seed_through_use_case(n).await;
    let seeding = format!("{} (use case)", duration(started.elapsed()));
    let measured = scene.measure(None, options.reps, SweepPlan::Run).await;
    Row {
        store: Backend::Embedded.label(),
        invitations: n,
        seeding,
        measured,
    }
}

/// Seeding on moto. Through the use case each address costs two `TransactWriteItems` (the
/// insert and the delivery, each with its event), and moto copies the whole table before each
/// item of a transaction, so seeding slows down as the table grows (quadratic overall): 240
/// took 80 s on the 2-core machine of bench/RESULTS.md, so 1,000 would take some 20 minutes and
/// 100,000 months. So sizes up to `--real-seed` (240) go wholly through the use case; a larger one seeds
/// `--templates` (240, one send every 3 hours over the window) through the use case and the
/// rest are copies of them written with `BatchWriteItem`: each item as the use case wrote it, with its id, address, nonce and token
/// hash replaced by new ones everywhere they appear (keys and index keys included) and the
/// token hash derived from the new id and nonce with the app's key, so that a copy is an
/// invitation like the others (its reminder claims and links work); it keeps its original's
/// send, so the copies spread as the originals do. Copies get no events, which neither the list
/// nor the sweep reads, and the workgroup's pending count stays at the originals' (only invites
/// read it).
async fn dynamodb(n: usize, options: &Options) -> Row {
    let sdk = moto().sdk_config().await;
    let plain = Client::new(&sdk);
    let table = format!("scale-{}-{n}", std::process::id());
    create_table(&plain, &table)
        .await
        .expect("the table is created");
    let log = CallLog::default();
    let counted = Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(log.clone())
            .build(),
    );
    let scene = Scene::found(DynamoStore::new(counted, table.clone()), n).await;

    let real = if n <= options.real_seed {
        n
    } else {
        options.templates.min(n)
    };
    eprintln!("  seeding {} through the use case", thousands(real));
    let started = Instant::now();
    scene.seed_through_use_case(real).await;
    let through_use_case = started.elapsed();
    let seeding = if real == n {
        format!("{} (use case)", duration(through_use_case))
    } else {
        eprintln!("  cloning {}", thousands(n - real));
        let started = Instant::now();
        clone_invitations(&plain, &table, &scene.app.key, real, n).await;
        let cloning = started.elapsed();
        format!(
            "{}: {} by the use case in {}, {} cloned in {}",
            duration(through_use_case + cloning),
            thousands(real),
            duration(through_use_case),
            thousands(n - real),
            duration(cloning),
        )
    };

    let plan = sweep_plan(&plain, &table, &scene.app.settings, options.sweep_budget).await;
    let measured = scene.measure(Some(&log), options.reps, plan).await;
    // Frees moto's memory for the next size.
    if let Err(error) = plain.delete_table().table_name(&table).send().await {
        eprintln!("  the table {table} was not deleted: {error}");
    }
    Row {
        store: Backend::Dynamo.label(),
        invitations: n,
        seeding,
        measured,
    }
}

/// Every invitation item of the table, read with the uncounted client.
async fn invitation_items(client: &Client, table: &str) -> Vec<Item> {
    let is_invitation = |item: &Item| matches!(item.get(SORT_KEY), Some(AttributeValue::S(sk)) if sk.starts_with(INVITEE_PREFIX));
    let mut items = every_item(client, table).await;
    items.retain(is_invitation);
    items
}

/// `value` with every `(from, to)` replaced in every string it holds, at any depth.
fn rewritten(value: &AttributeValue, replacements: &[(String, String)]) -> AttributeValue {
    match value {
        AttributeValue::S(text) => AttributeValue::S(
            replacements
                .iter()
                .fold(text.clone(), |text, (from, to)| text.replace(from, to)),
        ),
        AttributeValue::M(map) => AttributeValue::M(
            map.iter()
                .map(|(name, v)| (name.clone(), rewritten(v, replacements)))
                .collect(),
        ),
        AttributeValue::L(list) => {
            AttributeValue::L(list.iter().map(|v| rewritten(v, replacements)).collect())
        }
        other => other.clone(),
    }
}

/// A copy of the invitation item `template` for `email`: a new id, nonce and token hash.
fn clone_of(template: &Item, key: &SecretKey, email: String) -> Item {
    let original: Invitation = serde_dynamo::from_attribute_value(
        template
            .get("invitation")
            .cloned()
            .expect("an invitation item holds its invitation"),
    )
    .expect("the invitation decodes");
    let id = InvitationId::generate();
    let nonce = SendNonce::generate();
    let hash = key.invitation_token(&id, &nonce).hash();
    let mut replacements = vec![
        (original.id.to_string(), id.to_string()),
        (original.email.to_string(), email),
        (String::from(original.nonce.clone()), String::from(nonce)),
    ];
    if let Some(old) = &original.token_hash {
        replacements.push((old.as_str().to_owned(), hash.as_str().to_owned()));
    }
    template
        .iter()
        .map(|(name, value)| (name.clone(), rewritten(value, &replacements)))
        .collect()
}

/// Writes invitations `real..total` as copies of the `real` the use case wrote, round robin.
async fn clone_invitations(
    client: &Client,
    table: &str,
    key: &SecretKey,
    real: usize,
    total: usize,
) {
    let started = Instant::now();
    let templates = invitation_items(client, table).await;
    assert_eq!(templates.len(), real, "one item per invitation seeded");
    let mut batch = Vec::with_capacity(BATCH);
    for index in real..total {
        let item = clone_of(&templates[index % real], key, address(index));
        batch.push(
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .expect("a put request"),
                )
                .build(),
        );
        if batch.len() == BATCH || index + 1 == total {
            write_batch(client, table, std::mem::take(&mut batch)).await;
        }
        let done = index + 1 - real;
        if done.is_multiple_of(10_000) || index + 1 == total {
            eprintln!(
                "    cloned {} of {} ({})",
                thousands(done),
                thousands(total - real),
                duration(started.elapsed())
            );
        }
    }
}

async fn write_batch(client: &Client, table: &str, mut requests: Vec<WriteRequest>) {
    while !requests.is_empty() {
        let output = client
            .batch_write_item()
            .request_items(table, requests)
            .send()
            .await
            .expect("moto writes the batch");
        requests = output
            .unprocessed_items
            .and_then(|mut unprocessed| unprocessed.remove(table))
            .unwrap_or_default();
    }
}

/// Whether moto can run the sweep's writes within `budget`. Each reminder is claimed with one
/// `TransactWriteItems` of two puts (the invitation and its event), for which moto copies the
/// table twice: a probe of that shape, times the reminders due, estimates them (from below:
/// the sweep measured at 600 invitations took twice its estimate).
async fn sweep_plan(
    client: &Client,
    table: &str,
    settings: &Settings,
    budget: Duration,
) -> SweepPlan {
    let now = measured_now();
    let reader = DynamoStore::new(client.clone(), table.to_owned());
    let candidates = every_pending_expiring(&reader, now, now + settings.reminders.horizon()).await;
    let due = candidates
        .iter()
        .filter(|c| c.due_reminder(&settings.reminders, now).is_some())
        .count();
    let mut probes = Vec::new();
    for i in 0..3 {
        // Items in partitions of their own, in no index: nothing measured reads them.
        let put = |sk: String| {
            let put = Put::builder()
                .table_name(table)
                .item(PARTITION_KEY, AttributeValue::S("BENCH#PROBE".into()))
                .item(SORT_KEY, AttributeValue::S(sk))
                .build()
                .expect("a put");
            TransactWriteItem::builder().put(put).build()
        };
        let started = Instant::now();
        client
            .transact_write_items()
            .transact_items(put(format!("A{i}")))
            .transact_items(put(format!("B{i}")))
            .send()
            .await
            .expect("moto runs the probe");
        probes.push(started.elapsed());
    }
    let estimate = median(probes) * u32::try_from(due).unwrap_or(u32::MAX);
    eprintln!(
        "  {} reminders due, their claims estimated at over {} on moto",
        thousands(due),
        duration(estimate)
    );
    if estimate <= budget {
        SweepPlan::Run
    } else {
        SweepPlan::ReadOnly { due, estimate }
    }
}

// --- the report -------------------------------------------------------------------------------

#[tokio::main]
async fn main() {
    let options = Options::parse();
    let run = Instant::now();
    let mut rows = Vec::new();
    for backend in &options.backends {
        for &n in &options.sizes {
            eprintln!("{} with {} invitations", backend.label(), thousands(n));
            let started = Instant::now();
            let row = match backend {
                Backend::Embedded => embedded(n, &options).await,
                Backend::Dynamo => dynamodb(n, &options).await,
            };
            eprintln!("  done in {}", duration(started.elapsed()));
            rows.push(row);
        }
    }

    println!("`{}`", options.command);
    println!();
    println!(
        "One workgroup, N pending invitations sent evenly over 30 days; measured a minute \
         before the first expiry. The first page as the API lists by default (no status, {} \
         items), median of {}; the reminder sweep once (it claims what is due and queues it). \
         Emails are the due emails the sweep posted to the queue (on AWS in SendMessageBatches of ten), each sent later by the sender. \
         moto's times are moto's, not DynamoDB's; the calls carry over.",
        ListQuery::DEFAULT_LIMIT,
        options.reps
    );
    println!();
    println!(
        "| store | invitations | seeding time | first page: time p50 | first page: items \
         | first page: DynamoDB calls | sweep: time | sweep: candidates / sent \
         | sweep: DynamoDB calls | sweep: emails |"
    );
    println!("| --- | ---: | --- | ---: | ---: | --- | --- | --- | --- | ---: |");
    for row in &rows {
        let m = &row.measured;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.store,
            thousands(row.invitations),
            row.seeding,
            m.page_time,
            m.page_items,
            m.page_calls,
            m.sweep_time,
            m.sweep_counts,
            m.sweep_calls,
            m.sweep_emails,
        );
    }
    println!();
    println!("The same sweep again at the same now: nothing is due, what remains is its read.");
    println!();
    println!("| store | invitations | time | candidates / sent | DynamoDB calls |");
    println!("| --- | ---: | ---: | --- | --- |");
    for row in &rows {
        let (time, counts, calls) = row
            .measured
            .again
            .clone()
            .unwrap_or_else(|| ("not run".into(), "—".into(), "—".into()));
        println!(
            "| {} | {} | {time} | {counts} | {calls} |",
            row.store,
            thousands(row.invitations),
        );
    }
    eprintln!("the whole run took {}", duration(run.elapsed()));
}
