//! The "before" of issue 16, measured on `main` at 5a14216, where a request or a sweep sends
//! its emails itself, synchronously, through the SES v2 mailer. It is not built on this branch
//! (its API is main's); `bash bench/before/run-on-main.sh` copies it into a worktree of main
//! beside the stand-in SES endpoint (`tests/src/ses_standin.rs`) and runs it there. Its rows
//! line up with `bench/src/bin/delivery.rs`'s, which measures the same on the queue.
//!
//! One scenario per process, so that the SDK's retry quota (shared by every SES client of a
//! process) starts full each time, as in a fresh Lambda sandbox:
//!
//! - `invite --rate R --addresses N`: one invite request of N addresses with SES accepting R a
//!   second (the stand-in's token bucket): its time, the emails it handed over and the ones it
//!   left `failed`; then the delivery sweep every 10 minutes (the bucket full again each time, as
//!   after 10 idle minutes) until every invitee has an email: how many sweeps that took.
//! - `reminders --rate R --due N`: N invitations whose 7-day reminder is due at once (their own
//!   emails sent beforehand); one reminder sweep at R a second: its time and what it handed
//!   over; then every 10-minute and daily sweep for 3 hours: the reminders that never went out.
//! - `sweep --due N`: the reminder sweep of N due invitations on a mailer that counts and
//!   discards: its time and the process's peak resident memory during it.
//!
//! Everything runs on the embedded store (SQLite in a temporary directory), so the times are
//! SES's and the use case's.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use aws::{SesMailer, ses::Sender};
use aws_config::{BehaviorVersion, Region};
use chrono::TimeDelta;
use local::store::EmbeddedStore;
use domain::{
    App, Caller, Settings,
    address::EmailAddress,
    clock::Clock,
    invitation::Delivery,
    message::{AcceptLinks, Email},
    people::WorkgroupName,
    role::Role,
    secret::SecretKey,
    store::{MailError, Mailer, Store},
    usecases::invite::InviteRequest,
};
use tests::{
    fakes::ManualClock,
    harness::start_time,
    ses_standin::{Kind, SesStandIn},
};

const TICK: TimeDelta = TimeDelta::minutes(10);

#[derive(Clone, Default)]
struct CountingMailer(Arc<AtomicUsize>);

impl Mailer for CountingMailer {
    async fn send(&self, _email: &Email) -> Result<(), MailError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.replace([',', '_'], "").parse().expect("a number"))
        .unwrap_or(default)
}

fn admin() -> Caller {
    Caller {
        sign_in: domain::people::SignIn {
            issuer: "https://issuer.example".to_owned(),
            subject: "sub-ada".to_owned(),
        },
        email: EmailAddress::parse("ada@example.com").unwrap(),
        name: Some("Ada".to_owned()),
    }
}

fn settings(room: usize) -> Settings {
    let mut settings = Settings::new(AcceptLinks::new("https://invitations.test").unwrap());
    let room = u32::try_from(room).unwrap().max(1000);
    settings.max_addresses_per_request = 50;
    settings.daily_invitations_per_inviter = room;
    settings.daily_invitations_per_inviter_overall = room;
    settings.daily_invitations_per_recipient = room;
    settings.pending_invitations_per_workgroup = room;
    settings
}

async fn ses_mailer(ses: &SesStandIn) -> SesMailer {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "bench",
        ))
        .load()
        .await;
    SesMailer::new(
        ses.client(&sdk),
        Sender::parse("invitations@example.com").unwrap(),
    )
}

fn address(prefix: &str, i: usize) -> String {
    format!("{prefix}{i:06}@people.example")
}

/// Invites `n` addresses in requests of 50; how many were handed over and how many failed.
async fn invite<S: Store, M: Mailer, C: Clock>(
    app: &App<S, M, C>,
    wg: &domain::ids::WorkgroupId,
    prefix: &str,
    n: usize,
) -> (usize, usize) {
    let (mut sent, mut failed) = (0, 0);
    for start in (0..n).step_by(50) {
        let request = InviteRequest {
            emails: (start..(start + 50).min(n))
                .map(|i| address(prefix, i))
                .collect(),
            role: Role::Associate,
            locale: None,
        };
        for result in app.invite(&admin(), wg, &request).await.expect("invited") {
            match result.outcome.invitation().map(|i| i.delivery) {
                Some(Delivery::Sent) => sent += 1,
                _ => failed += 1,
            }
        }
    }
    (sent, failed)
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

fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[tokio::main]
async fn main() {
    let scenario = std::env::args().nth(1).unwrap_or_default();
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(&dir.path().join("before.sqlite3")).unwrap();
    let commit = "main";
    match scenario.as_str() {
        "invite" => {
            let (rate, n) = (arg("--rate", 5), arg("--addresses", 50));
            let ses = SesStandIn::start(Some(rate as u32)).await;
            let app = App {
                store,
                mailer: ses_mailer(&ses).await,
                clock: ManualClock::at(start_time()),
                key: SecretKey::generate(),
                settings: settings(n),
            };
            let wg = app
                .create_workgroup(&admin(), WorkgroupName::parse("Acme").unwrap(), None)
                .await
                .unwrap()
                .workgroup
                .id;
            let started = Instant::now();
            let (sent, failed) = invite(&app, &wg, "new", n).await;
            let took = started.elapsed();
            let answers = ses.answers();
            let mut sweeps = 0;
            while ses.answers().accepted < n && sweeps < 60 {
                sweeps += 1;
                app.clock.advance(TICK);
                ses.set_rate(Some(rate as u32));
                app.retry_deliveries(app.clock.now()).await.unwrap();
            }
            let delivered = ses.answers().accepted;
            println!(
                "| {commit} | invite {n} at {rate}/s | {} | {sent} sent, {failed} failed | {} throttled answers | {sweeps} sweeps ({} min) to deliver {delivered} of {n} |",
                seconds(took),
                answers.throttled,
                sweeps * 10,
            );
        }
        "reminders" => {
            let (rate, n) = (arg("--rate", 5), arg("--due", 50));
            let ses = SesStandIn::start(None).await;
            let app = App {
                store,
                mailer: ses_mailer(&ses).await,
                clock: ManualClock::at(start_time()),
                key: SecretKey::generate(),
                settings: settings(n),
            };
            let wg = app
                .create_workgroup(&admin(), WorkgroupName::parse("Acme").unwrap(), None)
                .await
                .unwrap()
                .workgroup
                .id;
            let (sent, _) = invite(&app, &wg, "old", n).await;
            assert_eq!(sent, n, "the invitations went out before the reminders");
            app.clock.advance(TimeDelta::days(23) + TimeDelta::hours(1));
            ses.forget();
            ses.set_rate(Some(rate as u32));
            let started = Instant::now();
            let report = app.send_due_reminders(app.clock.now()).await.unwrap();
            let took = started.elapsed();
            let first = ses.answers();
            for _ in 0..18 {
                app.clock.advance(TICK);
                ses.set_rate(Some(rate as u32));
                app.retry_deliveries(app.clock.now()).await.unwrap();
                app.send_due_reminders(app.clock.now()).await.unwrap();
            }
            let reminded = (0..n)
                .filter(|i| ses.count(&address("old", *i), Kind::Reminder) > 0)
                .count();
            let twice = (0..n)
                .filter(|i| ses.count(&address("old", *i), Kind::Reminder) > 1)
                .count();
            println!(
                "| {commit} | {n} reminders due at {rate}/s | {} | {} sent, {} failed | {} throttled answers | after 3 h of sweeps: {reminded} of {n} reminded, {} lost, {twice} twice |",
                seconds(took),
                report.sent,
                report.failed,
                first.throttled,
                n - reminded,
            );
        }
        "sweep" => {
            let n = arg("--due", 10_000);
            let mailer = CountingMailer::default();
            let app = App {
                store,
                mailer: mailer.clone(),
                clock: ManualClock::at(start_time()),
                key: SecretKey::generate(),
                settings: settings(n),
            };
            let wg = app
                .create_workgroup(&admin(), WorkgroupName::parse("Acme").unwrap(), None)
                .await
                .unwrap()
                .workgroup
                .id;
            let seeding = Instant::now();
            invite(&app, &wg, "due", n).await;
            let seeded = seeding.elapsed();
            app.clock.advance(TimeDelta::days(23) + TimeDelta::hours(1));
            mailer.0.store(0, Ordering::SeqCst);
            let rss = status_kb("VmRSS:");
            std::fs::write("/proc/self/clear_refs", "5").expect("the peak is reset");
            let started = Instant::now();
            let report = app.send_due_reminders(app.clock.now()).await.unwrap();
            let took = started.elapsed();
            let peak = status_kb("VmHWM:");
            println!(
                "| {commit} | {n} | {} | {} candidates, {} emails handed over | {} | {} | +{} | seeded in {} |",
                seconds(took),
                report.candidates,
                mailer.0.load(Ordering::SeqCst),
                mib(rss),
                mib(peak),
                mib(peak.saturating_sub(rss)),
                seconds(seeded),
            );
        }
        _ => {
            eprintln!("usage: issue16 invite|reminders|sweep [--rate R] [--addresses N] [--due N]");
            std::process::exit(2);
        }
    }
}
