//! Issue 16's measurements on the queue of due emails: SES a stand-in endpoint that accepts R
//! emails a second and answers the rest `429 TooManyRequestsException` (`tests::ses_standin`),
//! the sender the use case `send_due` with the send function's mailer (`aws::Paced` over the
//! SES v2 adapter), draining the queue as Lambda's event source mapping does: up to ten messages
//! at a time handled at once, a message SES asked to slow down for given back for 5 seconds.
//!
//! One scenario per process (the SDK's retry quota is shared by every SES client of a process,
//! and starts full in a fresh sandbox):
//!
//! - `invite --rate R --addresses N`: one invite request of N addresses while SES takes R a
//!   second: its time and what it answered; then the sender at R a second until every email is
//!   handed over, and a delivery sweep 10 minutes later. Rows line up with
//!   `bench/before/issue16_main.rs`, which measures the same on main's synchronous sends.
//! - `reminders --rate R --due N`: N reminders due at once: the sweep's time to queue them, the
//!   sender's time to hand them over, and after 3 hours of sweeps, what never went out.
//! - `sweep --due N [--resume] [--same-second]`: the reminder sweep of N due invitations (sent
//!   50 a second, or all in one second) into the embedded queue: its time and the process's
//!   peak resident memory during it; with `--resume`, the sweep stops halfway (its `keep_going`
//!   says no) and a second run goes on.
//! - `rate --store embedded|dynamodb --rate R --emails N --senders S`: N emails due, S senders
//!   sharing the rate through the store's send slots: emails a second achieved against R,
//!   throttled answers, emails lost or sent twice.
//! - `calls --rate R --due N`: on moto (DynamoDB and SQS) the calls per email of the producers
//!   (invite, reminder sweep), of the sender and of the queue's consumer.
//!
//! The embedded store is the local server's (SQLite, in a temporary directory) with its own
//! queue; `dynamodb` is the DynamoDB store and SQS on moto, one request at a time, so its times
//! are moto's.
//!
//! cargo run --release -p bench --bin delivery -- SCENARIO [options]

use domain::fakes::ManualClock;
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use aws::{DynamoStore, Paced, SesMailer, SqsQueue, calls::CallLog, ses::Sender};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use bench::thousands;
use chrono::TimeDelta;
use domain::{
    App, Caller, Settings,
    address::EmailAddress,
    clock::Clock,
    delivery::{DueEmail, Queue, QueueError, SendOutcome},
    ids::WorkgroupId,
    invitation::Delivery,
    message::AcceptLinks,
    people::WorkgroupName,
    role::Role,
    secret::SecretKey,
    store::SendSlots,
    store::Store,
    usecases::invite::InviteRequest,
};
use futures::future::join_all;
use local::store::EmbeddedStore;
use tests::{
    harness::start_time,
    moto::moto,
    ses_standin::{Kind, SesStandIn},
};

/// The schedule's delivery sweep runs this often.
const TICK: TimeDelta = TimeDelta::minutes(10);

/// How long a received message stays hidden from other senders.
const HIDDEN: Duration = Duration::from_secs(60);

// --- options and output -----------------------------------------------------------------------

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.replace([',', '_'], "")
                .parse()
                .unwrap_or_else(|_| usage(&format!("{name}: a number")))
        })
        .unwrap_or(default)
}

fn text_arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: delivery invite|reminders|sweep|rate|calls [--rate R] [--addresses N] \
         [--due N] [--emails N] [--senders S] [--store embedded|dynamodb] [--resume]"
    );
    std::process::exit(2)
}

fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

fn mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

/// The commit measured, for the rows.
fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "this branch".to_owned())
}

// --- the scene: an application, a workgroup, SES on the stand-in ------------------------------

fn admin() -> Caller {
    Caller {
        sign_in: domain::people::SignIn {
            issuer: "https://issuer.example".to_owned(),
            subject: "sub-ada".to_owned(),
        },
        email: EmailAddress::parse("ada@example.com").expect("a valid address"),
        name: Some("Ada".to_owned()),
    }
}

/// Limits that let one administrator invite `room` addresses today, 50 a request.
fn settings(room: usize) -> Settings {
    let mut settings =
        Settings::new(AcceptLinks::new("https://invitations.test").expect("a valid base URL"));
    let room = u32::try_from(room).unwrap_or(u32::MAX).max(1000);
    settings.max_addresses_per_request = 50;
    settings.daily_invitations_per_inviter = room;
    settings.daily_invitations_per_inviter_overall = room;
    settings.daily_invitations_per_recipient = room;
    settings.pending_invitations_per_workgroup = room;
    settings
}

fn address(prefix: &str, i: usize) -> String {
    format!("{prefix}{i:06}@people.example")
}

/// An SDK configuration with test credentials (the stand-in checks none).
async fn test_sdk() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "bench",
        ))
        .load()
        .await
}

/// The send function's mailer: SES v2 on the stand-in, at `rate` a second shared through
/// `slots`; its SES calls logged in `log` if given.
fn paced<L: SendSlots>(
    sdk: &SdkConfig,
    ses: &SesStandIn,
    slots: L,
    rate: u32,
    log: Option<&CallLog>,
) -> Paced<SesMailer, L> {
    let mut config = aws_sdk_sesv2::config::Builder::from(sdk).endpoint_url(ses.endpoint());
    if let Some(log) = log {
        config = config.interceptor(log.clone());
    }
    Paced::new(
        SesMailer::new(
            aws_sdk_sesv2::Client::from_conf(config.build()),
            Sender::parse("invitations@example.com").expect("a valid sender"),
        ),
        slots,
        rate,
    )
}

async fn workgroup<S: Store, Q: Queue, C: Clock>(app: &App<S, Q, C>) -> WorkgroupId {
    app.create_workgroup(
        &admin(),
        WorkgroupName::parse("Acme").expect("a valid name"),
        None,
    )
    .await
    .expect("the workgroup is created")
    .workgroup
    .id
}

/// Invites addresses `prefix0..n` in requests of 50; how many answers said `queued`.
async fn invite<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    wg: &WorkgroupId,
    prefix: &str,
    n: usize,
) -> usize {
    let mut queued = 0;
    for start in (0..n).step_by(50) {
        let addresses: Vec<String> = (start..(start + 50).min(n))
            .map(|i| address(prefix, i))
            .collect();
        let request =
            InviteRequest::pasted(&addresses, 50, Role::Associate, None).expect("valid addresses");
        let results = app
            .invite(&admin(), wg, &request)
            .await
            .expect("the invite succeeds");
        queued += results
            .iter()
            .filter(|r| {
                r.outcome
                    .invitation()
                    .is_some_and(|i| i.delivery == Delivery::Queued)
            })
            .count();
    }
    queued
}

/// Counts the due emails posted to it and keeps none.
#[derive(Clone, Default)]
struct CountingQueue(Arc<AtomicUsize>);

impl Queue for CountingQueue {
    async fn post(&self, emails: &[DueEmail]) -> Result<(), QueueError> {
        self.0.fetch_add(emails.len(), Ordering::SeqCst);
        Ok(())
    }
}

// --- the consumer: the event source mapping's side --------------------------------------------

/// Where the sender takes due emails from.
#[derive(Clone)]
enum Consumer {
    Embedded(EmbeddedStore),
    Sqs(SqsQueue),
}

enum Handle {
    Embedded(i64),
    Sqs(String),
}

impl Consumer {
    async fn receive(&self) -> Vec<(Handle, DueEmail)> {
        match self {
            Consumer::Embedded(store) => store
                .receive_emails(10, HIDDEN)
                .await
                .expect("the queue answers")
                .into_iter()
                .map(|r| (Handle::Embedded(r.seq), r.email))
                .collect(),
            Consumer::Sqs(sqs) => sqs
                .receive(0, HIDDEN.as_secs() as i32)
                .await
                .expect("the queue answers")
                .into_iter()
                .filter_map(|r| Some((Handle::Sqs(r.receipt), r.email?)))
                .collect(),
        }
    }

    async fn settle(&self, handle: &Handle, again_after: Option<Duration>) {
        match (self, handle, again_after) {
            (Consumer::Embedded(store), Handle::Embedded(seq), None) => {
                store.delete_email(*seq).await.expect("deleted")
            }
            (Consumer::Embedded(store), Handle::Embedded(seq), Some(after)) => {
                store.delay_email(*seq, after).await.expect("delayed")
            }
            (Consumer::Sqs(sqs), Handle::Sqs(receipt), None) => {
                sqs.delete(receipt).await.expect("deleted")
            }
            (Consumer::Sqs(sqs), Handle::Sqs(receipt), Some(after)) => sqs
                .delay(receipt, after.as_secs() as i32)
                .await
                .expect("delayed"),
            _ => unreachable!("a handle of another queue"),
        }
    }

    async fn is_empty(&self) -> bool {
        match self {
            Consumer::Embedded(store) => store.queued_emails().await.expect("counted").0 == 0,
            Consumer::Sqs(sqs) => sqs.holding().await.expect("counted") == 0,
        }
    }
}

/// What a drain did.
#[derive(Debug, Default, Clone, Copy)]
struct Drained {
    sent: usize,
    skipped: usize,
    failed: usize,
    again: usize,
}

/// Runs one sender per mailer over `consumer` until the queue is empty; each takes up to ten
/// messages at a time and handles them at once.
async fn drain<S: Store, Q: Queue, C: Clock, M: domain::mailer::Mailer>(
    app: &App<S, Q, C>,
    mailers: &[M],
    consumer: &Consumer,
) -> Drained {
    let senders = mailers.iter().map(|mailer| async move {
        let mut drained = Drained::default();
        loop {
            let received = consumer.receive().await;
            if received.is_empty() {
                if consumer.is_empty().await {
                    return drained;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let outcomes = join_all(received.iter().map(|(handle, due)| async move {
                let outcome = app.send_due(due, mailer).await.expect("the store answers");
                let again = match outcome {
                    SendOutcome::RetryLater { seconds } => {
                        Some(Duration::from_secs(u64::from(seconds)))
                    }
                    _ => None,
                };
                consumer.settle(handle, again).await;
                outcome
            }))
            .await;
            for outcome in outcomes {
                match outcome {
                    SendOutcome::Sent => drained.sent += 1,
                    SendOutcome::Skipped => drained.skipped += 1,
                    SendOutcome::Failed => drained.failed += 1,
                    SendOutcome::RetryLater { .. } => drained.again += 1,
                }
            }
        }
    });
    join_all(senders)
        .await
        .into_iter()
        .fold(Drained::default(), |all, one| Drained {
            sent: all.sent + one.sent,
            skipped: all.skipped + one.skipped,
            failed: all.failed + one.failed,
            again: all.again + one.again,
        })
}

/// Recipients of `prefix0..n` with no email of `kind`, and with more than one.
fn lost_and_twice(ses: &SesStandIn, prefix: &str, n: usize, kind: Kind) -> (usize, usize) {
    let counts = ses.per_recipient();
    let count = |i: usize| {
        counts
            .get(&(address(prefix, i), kind))
            .copied()
            .unwrap_or(0)
    };
    (
        (0..n).filter(|i| count(*i) == 0).count(),
        (0..n).filter(|i| count(*i) > 1).count(),
    )
}

fn embedded_store(dir: &tempfile::TempDir) -> EmbeddedStore {
    EmbeddedStore::open(&dir.path().join("delivery.sqlite3")).expect("the store opens")
}

// --- the scenarios ----------------------------------------------------------------------------

async fn invite_scenario() {
    let (rate, n) = (arg("--rate", 5) as u32, arg("--addresses", 50));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = embedded_store(&dir);
    let ses = SesStandIn::start(Some(rate)).await;
    let sdk = test_sdk().await;
    let app = App {
        store: store.clone(),
        queue: store.clone(),
        clock: ManualClock::at(start_time()),
        key: SecretKey::generate(),
        settings: settings(n),
    };
    let wg = workgroup(&app).await;
    let started = Instant::now();
    let queued = invite(&app, &wg, "new", n).await;
    let took = started.elapsed();
    let during = ses.answers();

    let mailer = paced(&sdk, &ses, store.clone(), rate, None);
    let sending = Instant::now();
    let drained = drain(&app, &[mailer], &Consumer::Embedded(store.clone())).await;
    let sent_in = sending.elapsed();
    app.clock.advance(TICK);
    let swept = app
        .retry_deliveries(app.clock.now(), || true)
        .await
        .expect("the sweep runs");
    let (lost, twice) = lost_and_twice(&ses, "new", n, Kind::Invitation);
    println!(
        "| {} | invite {n} at {rate}/s | {} | {queued} queued, {} failed | {} SES requests | the sender handed all {} over in {} ({} throttled answers, {} given back to the queue); a sweep 10 min later posted {}; {lost} lost, {twice} twice |",
        commit(),
        seconds(took),
        n - queued,
        during.accepted + during.throttled + during.rejected,
        drained.sent,
        seconds(sent_in),
        ses.answers().throttled,
        drained.again,
        swept.sent,
    );
}

async fn reminders_scenario() {
    let (rate, n) = (arg("--rate", 5) as u32, arg("--due", 50));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = embedded_store(&dir);
    let ses = SesStandIn::start(None).await;
    let sdk = test_sdk().await;
    let app = App {
        store: store.clone(),
        queue: store.clone(),
        clock: ManualClock::at(start_time()),
        key: SecretKey::generate(),
        settings: settings(n),
    };
    let consumer = Consumer::Embedded(store.clone());
    let wg = workgroup(&app).await;
    invite(&app, &wg, "old", n).await;
    let fast = paced(&sdk, &ses, store.clone(), 1000, None);
    assert_eq!(drain(&app, &[fast], &consumer).await.sent, n);

    app.clock.advance(TimeDelta::days(23) + TimeDelta::hours(1));
    ses.forget();
    ses.set_rate(Some(rate));
    let mailer = paced(&sdk, &ses, store.clone(), rate, None);
    let started = Instant::now();
    let report = app
        .send_due_reminders(app.clock.now(), || true)
        .await
        .expect("the sweep runs");
    let queued_in = started.elapsed();
    let sending = Instant::now();
    let drained = drain(&app, std::slice::from_ref(&mailer), &consumer).await;
    let sent_in = sending.elapsed();
    let first = ses.answers();
    for _ in 0..18 {
        app.clock.advance(TICK);
        app.retry_deliveries(app.clock.now(), || true)
            .await
            .expect("the sweep runs");
        app.send_due_reminders(app.clock.now(), || true)
            .await
            .expect("the sweep runs");
        drain(&app, std::slice::from_ref(&mailer), &consumer).await;
    }
    let (lost, twice) = lost_and_twice(&ses, "old", n, Kind::Reminder);
    println!(
        "| {} | {n} reminders due at {rate}/s | {} | {} queued | {} throttled answers | the sender handed {} over in {}; after 3 h of sweeps: {} of {n} reminded, {lost} lost, {twice} twice |",
        commit(),
        seconds(queued_in),
        report.sent,
        first.throttled,
        drained.sent,
        seconds(sent_in),
        n - lost,
    );
}

async fn sweep_scenario() {
    let n = arg("--due", 10_000);
    let resume = flag("--resume");
    let same_second = flag("--same-second");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = embedded_store(&dir);
    let seeder = App {
        store: store.clone(),
        queue: CountingQueue::default(),
        clock: ManualClock::at(start_time()),
        key: SecretKey::generate(),
        settings: settings(n),
    };
    let wg = workgroup(&seeder).await;
    let seeding = Instant::now();
    for start in (0..n).step_by(50) {
        // One request of 50 a second, as a busy console sends them (all in one second with
        // `--same-second`, the worst case for a sweep that pages in order of expiry).
        if !same_second {
            seeder.clock.advance(TimeDelta::seconds(1));
        }
        invite(&seeder, &wg, &format!("due{start:06}-"), 50.min(n - start)).await;
    }
    let seeded = seeding.elapsed();
    let app = App {
        store: store.clone(),
        queue: store.clone(),
        clock: ManualClock::at(start_time() + TimeDelta::days(23) + TimeDelta::hours(1)),
        key: seeder.key.clone(),
        settings: seeder.settings.clone(),
    };
    let now = app.clock.now();
    let rss = status_kb("VmRSS:");
    std::fs::write("/proc/self/clear_refs", "5").expect("the peak is reset");
    let started = Instant::now();
    let (report, runs) = if resume {
        // The first run's time runs low halfway: it stops between pages; the retry goes on.
        let pages = AtomicUsize::new(0);
        let half = n.div_ceil(domain::usecases::remind::SWEEP_PAGE) / 2;
        let first = app
            .send_due_reminders(now, || pages.fetch_add(1, Ordering::SeqCst) < half)
            .await
            .expect("the sweep runs");
        let second = app
            .send_due_reminders(now, || true)
            .await
            .expect("the sweep runs again");
        assert!(!first.complete && second.complete);
        let mut both = first;
        both.sent += second.sent;
        both.candidates += second.candidates;
        (
            both,
            format!("stopped after {} posted, resumed", first.sent),
        )
    } else {
        let report = app
            .send_due_reminders(now, || true)
            .await
            .expect("the sweep runs");
        (report, "one run".to_owned())
    };
    let took = started.elapsed();
    let peak = status_kb("VmHWM:");
    let queued = store.queued_emails().await.expect("counted").0;
    println!(
        "| {} | {}{} | {} | {} candidates, {} posted, {} in the queue ({runs}) | {} | {} | +{} | seeded in {} |",
        commit(),
        thousands(n),
        if same_second {
            ", all sent in one second"
        } else {
            ", 50 sent a second"
        },
        seconds(took),
        thousands(report.candidates),
        thousands(report.sent),
        thousands(queued),
        mib(rss),
        mib(peak),
        mib(peak.saturating_sub(rss)),
        seconds(seeded),
    );
}

/// The AWS side on moto for the `rate` and `calls` scenarios: a table and a queue.
struct OnMoto {
    sdk: SdkConfig,
    table: String,
    url: String,
}

impl OnMoto {
    async fn new(label: &str) -> Self {
        let sdk = moto().sdk_config().await;
        let table = format!("{label}-{}", std::process::id());
        aws::dynamo::table::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
            .await
            .expect("the table is created");
        let url = SqsQueue::ensure(&aws_sdk_sqs::Client::new(&sdk), &table)
            .await
            .expect("the queue is created");
        Self { sdk, table, url }
    }

    fn store(&self, log: Option<&CallLog>) -> DynamoStore {
        let mut config = aws_sdk_dynamodb::config::Builder::from(&self.sdk);
        if let Some(log) = log {
            config = config.interceptor(log.clone());
        }
        DynamoStore::new(
            aws_sdk_dynamodb::Client::from_conf(config.build()),
            self.table.clone(),
        )
    }

    fn queue(&self, log: Option<&CallLog>) -> SqsQueue {
        let mut config = aws_sdk_sqs::config::Builder::from(&self.sdk);
        if let Some(log) = log {
            config = config.interceptor(log.clone());
        }
        SqsQueue::new(
            aws_sdk_sqs::Client::from_conf(config.build()),
            self.url.clone(),
        )
    }
}

async fn rate_scenario() {
    let (rate, senders) = (arg("--rate", 5) as u32, arg("--senders", 1).max(1));
    let n = arg("--emails", 30 * rate as usize);
    let store_kind = text_arg("--store", "embedded");
    let ses = SesStandIn::start(Some(rate)).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (drained, took) = match store_kind.as_str() {
        "embedded" => {
            let sdk = test_sdk().await;
            let store = embedded_store(&dir);
            let app = App {
                store: store.clone(),
                queue: store.clone(),
                clock: ManualClock::at(start_time()),
                key: SecretKey::generate(),
                settings: settings(n),
            };
            let wg = workgroup(&app).await;
            invite(&app, &wg, "rate", n).await;
            let mailers: Vec<_> = (0..senders)
                .map(|_| paced(&sdk, &ses, store.clone(), rate, None))
                .collect();
            ses.set_rate(Some(rate));
            let started = Instant::now();
            let drained = drain(&app, &mailers, &Consumer::Embedded(store.clone())).await;
            (drained, started.elapsed())
        }
        "dynamodb" => {
            let aws = OnMoto::new("rate").await;
            let app = App {
                store: aws.store(None),
                queue: aws.queue(None),
                clock: ManualClock::at(start_time()),
                key: SecretKey::generate(),
                settings: settings(n),
            };
            let wg = workgroup(&app).await;
            invite(&app, &wg, "rate", n).await;
            let mailers: Vec<_> = (0..senders)
                .map(|_| paced(&aws.sdk, &ses, aws.store(None), rate, None))
                .collect();
            ses.set_rate(Some(rate));
            let started = Instant::now();
            let drained = drain(&app, &mailers, &Consumer::Sqs(aws.queue(None))).await;
            (drained, started.elapsed())
        }
        other => usage(&format!("unknown store {other:?}")),
    };
    let accepted = ses.accepted();
    let (lost, twice) = lost_and_twice(&ses, "rate", n, Kind::Invitation);
    let achieved = accepted.len() as f64 / took.as_secs_f64();
    // The same after the first second's burst: from the R-th email to the last.
    let steady = match (accepted.get(rate as usize - 1), accepted.last()) {
        (Some(first), Some(last)) if accepted.len() > rate as usize => {
            (accepted.len() - rate as usize) as f64 / (last.at - first.at).as_secs_f64()
        }
        _ => f64::NAN,
    };
    println!(
        "| {} | {store_kind} | {rate}/s | {senders} | {n} | {} | {achieved:.2}/s ({:+.1}%) | {steady:.2}/s ({:+.1}%) | {} | {} | {lost} | {twice} |",
        commit(),
        seconds(took),
        (achieved / f64::from(rate) - 1.0) * 100.0,
        (steady / f64::from(rate) - 1.0) * 100.0,
        ses.answers().throttled,
        drained.again,
    );
}

/// A call log whose calls are counted per email, by service, step after step.
struct Calls(CallLog);

impl Calls {
    fn new() -> Self {
        Self(CallLog::default())
    }

    fn log(&self) -> &CallLog {
        &self.0
    }

    /// Every call of one step, per email, by service.
    fn row(&self, step: &str, emails: usize, ses_requests: Option<usize>) -> String {
        let mut by_service: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for call in self.0.take() {
            *by_service
                .entry(call.service)
                .or_default()
                .entry(call.operation)
                .or_default() += 1;
        }
        let cell = |service: &str| {
            by_service.get(service).map_or("—".to_owned(), |ops| {
                ops.iter()
                    .map(|(op, n)| {
                        let each = *n as f64 / emails as f64;
                        format!("{} {op}", trim(each))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        };
        let ses = match ses_requests {
            Some(requests) => format!(
                "{} (HTTP requests SES answered: {})",
                cell("SESv2"),
                trim(requests as f64 / emails as f64)
            ),
            None => cell("SESv2"),
        };
        format!(
            "| {} | {step} | {} | {} | {} | {ses} |",
            commit(),
            thousands(emails),
            cell("DynamoDB"),
            cell("SQS"),
        )
    }
}

fn trim(each: f64) -> String {
    if (each - each.round()).abs() < 1e-9 {
        format!("{each:.0}")
    } else {
        format!("{each:.2}")
    }
}

async fn calls_scenario() {
    let (rate, n) = (arg("--rate", 14) as u32, arg("--due", 100));
    let aws = OnMoto::new("calls").await;
    let ses = SesStandIn::start(Some(rate)).await;
    let (producer, sender, consumer) = (Calls::new(), Calls::new(), Calls::new());
    let clock = ManualClock::at(start_time());
    let key = SecretKey::generate();
    let app = App {
        store: aws.store(Some(producer.log())),
        queue: aws.queue(Some(producer.log())),
        clock: clock.clone(),
        key: key.clone(),
        settings: settings(n),
    };
    let sending = App {
        store: aws.store(Some(sender.log())),
        queue: aws.queue(None),
        clock: clock.clone(),
        key,
        settings: settings(n),
    };
    let mailer = paced(
        &aws.sdk,
        &ses,
        aws.store(Some(sender.log())),
        rate,
        Some(sender.log()),
    );
    let queue = Consumer::Sqs(aws.queue(Some(consumer.log())));
    let wg = workgroup(&app).await;
    producer.log().take();

    let mut rows = Vec::new();
    invite(&app, &wg, "calls", n).await;
    rows.push(producer.row("invite (requests of 50): the invite function", n, None));
    let before = ses.answers();
    drain(&sending, std::slice::from_ref(&mailer), &queue).await;
    let answered = |a: tests::ses_standin::Answers| a.accepted + a.throttled + a.rejected;
    rows.push(sender.row(
        "each invitation email: the send function",
        n,
        Some(answered(ses.answers()) - answered(before)),
    ));
    rows.push(consumer.row(
        "each invitation email: the event source mapping (here one ReceiveMessage per batch and one DeleteMessage per email; Lambda deletes in batches)",
        n,
        None,
    ));

    clock.advance(TimeDelta::days(23) + TimeDelta::hours(1));
    let report = app
        .send_due_reminders(clock.now(), || true)
        .await
        .expect("the sweep runs");
    rows.push(producer.row(
        &format!(
            "reminder sweep ({} due, pages of {}): the remind function",
            report.sent,
            domain::usecases::remind::SWEEP_PAGE
        ),
        report.sent,
        None,
    ));
    let before = ses.answers();
    drain(&sending, std::slice::from_ref(&mailer), &queue).await;
    rows.push(sender.row(
        "each reminder email: the send function",
        report.sent,
        Some(answered(ses.answers()) - answered(before)),
    ));
    consumer.log().take();
    app.retry_deliveries(clock.now(), || true)
        .await
        .expect("the sweep runs");
    rows.push(producer.row("delivery sweep, nothing due (every tick)", 1, None));
    for row in rows {
        println!("{row}");
    }
    let (lost, twice) = lost_and_twice(&ses, "calls", n, Kind::Reminder);
    eprintln!("reminders: {lost} lost, {twice} twice");
}

#[tokio::main]
async fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("invite") => invite_scenario().await,
        Some("reminders") => reminders_scenario().await,
        Some("sweep") => sweep_scenario().await,
        Some("rate") => rate_scenario().await,
        Some("calls") => calls_scenario().await,
        _ => usage("which scenario?"),
    }
}
