//! Warm latency per route of the deployed functions: each HTTP function binary runs as one
//! long-lived process under the emulated Lambda Runtime API (as a warm Lambda sandbox), on
//! DynamoDB, SES and Secrets Manager in moto on loopback, and answers the same kind of request
//! `--runs` times in a row after a few warm-up invocations. The time is the emulator's, from
//! handing the event over to receiving the answer. A row for one bare `GetItem` on moto says how
//! much of each figure is the emulator's own latency.
//!
//! cargo run --release -p bench --bin warm -- <binary dir> [--runs N]
//!
//! `--reinvite-against <dir>` measures only the warm re-invite of one pending address, by the
//! `invite` function of `<binary dir>` and of another build, in turns of 20 on one stack, with
//! each process's CPU per request from `/proc` (native: no instrumentation).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::types::AttributeValue;
use bench::every_item;
use domain::{invitation::Invitation, secret::SecretKey};
use serde_json::{Value, json};
use tests::{
    aws_stack::AwsStack,
    harness::api_gateway_event,
    runtime_api::{Outcome, RuntimeApi},
};

const ADMIN: &str = "ada@example.com";
const WARM_UP: usize = 10;
const WITHIN: Duration = Duration::from_secs(300);

/// One function process, warm after its first invocation.
struct Warm {
    runtime: RuntimeApi,
    child: Child,
}

impl Warm {
    async fn start(dir: &Path, function: &str, env: &[(String, String)]) -> Self {
        let runtime = RuntimeApi::start().await;
        let child = Command::new(dir.join(function))
            .env_clear()
            .envs(env.iter().cloned())
            .envs(runtime.lambda_environment(function))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{function}: {e}"));
        Self { runtime, child }
    }

    /// The answer to one API Gateway event, which must have the `expected` status.
    async fn call(&self, event: &Value, expected: u16) -> Value {
        match self.runtime.invoke(event, WITHIN).await {
            Outcome::Response(answer) if answer["statusCode"] == expected => {
                serde_json::from_str(answer["body"].as_str().unwrap_or("null"))
                    .unwrap_or(Value::Null)
            }
            other => panic!("expected {expected}: {other:?} for {event}"),
        }
    }

    /// `runs` timed calls after the warm-up (`event(i)` makes the i-th request), and the
    /// function process's own CPU time per call.
    async fn time(
        &self,
        runs: usize,
        expected: u16,
        event: impl Fn(usize) -> Value,
    ) -> (Vec<Duration>, f64) {
        self.time_after(WARM_UP, runs, expected, event).await
    }

    /// As [`Self::time`], after `warm_up` untimed calls.
    async fn time_after(
        &self,
        warm_up: usize,
        runs: usize,
        expected: u16,
        event: impl Fn(usize) -> Value,
    ) -> (Vec<Duration>, f64) {
        for i in 0..warm_up {
            self.call(&event(i), expected).await;
        }
        let mut times = Vec::with_capacity(runs);
        let cpu_before = self.cpu();
        for i in warm_up..warm_up + runs {
            let request = event(i);
            let started = Instant::now();
            self.call(&request, expected).await;
            times.push(started.elapsed());
        }
        (times, (self.cpu() - cpu_before) / runs as f64)
    }

    /// User and system CPU time the process has used so far, in ms (`/proc/<pid>/stat`).
    fn cpu(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("the function's /proc stat");
        // The fields after the command's closing parenthesis: utime and stime are the 12th
        // and 13th of them.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .expect("a stat line")
            .1
            .split_whitespace()
            .collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        ticks * 1000.0 / clock_ticks_per_second()
    }
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        let out = Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .expect("getconf");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("CLK_TCK")
    })
}

impl Drop for Warm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(path: &str, who: &str) -> Value {
    api_gateway_event("GET", path, Some(who), None)
}

fn post(path: &str, who: Option<&str>, body: Value) -> Value {
    api_gateway_event("POST", path, who, Some(body))
}

/// The accept token of each pending invitation, by address: made as the functions make them,
/// from the deployment's secret key and each invitation's current nonce (reading them back
/// from moto's SES would mean downloading everything moto holds).
async fn tokens(stack: &AwsStack) -> HashMap<String, String> {
    let secret = aws_sdk_secretsmanager::Client::new(&stack.sdk)
        .get_secret_value()
        .secret_id(&stack.env["SECRET_KEY_ARN"])
        .send()
        .await
        .expect("the secret key");
    let key = SecretKey::decode(secret.secret_string().expect("a key")).expect("a valid key");
    let dynamodb = aws_sdk_dynamodb::Client::new(&stack.sdk);
    every_item(&dynamodb, &stack.table)
        .await
        .iter()
        .filter_map(|item| item.get("invitation"))
        .map(|invitation| {
            let invitation: Invitation =
                serde_dynamo::from_attribute_value(invitation.clone()).expect("an invitation item");
            let token = key.invitation_token(&invitation.id, &invitation.nonce);
            (invitation.email.to_string(), token.expose().to_owned())
        })
        .collect()
}

/// The id of a new workgroup of the bench's administrator.
async fn create_workgroup(workgroups: &Warm) -> String {
    let created = workgroups
        .call(
            &post("/workgroups", Some(ADMIN), json!({ "name": "Warm" })),
            201,
        )
        .await;
    created["id"].as_str().expect("a workgroup id").to_owned()
}

/// Invites `addresses` (50 per request) and returns each one's invitation id.
async fn invite_all(invite: &Warm, wg: &str, addresses: &[String]) -> Vec<String> {
    let mut ids = Vec::new();
    // Ten at a time: moto slows as the table grows, and an invocation must answer in time.
    for chunk in addresses.chunks(10) {
        let answer = invite
            .call(
                &post(
                    &format!("/workgroups/{wg}/invitations"),
                    Some(ADMIN),
                    json!({ "emails": chunk, "role": "associate" }),
                ),
                200,
            )
            .await;
        for result in answer["results"].as_array().expect("results") {
            ids.push(
                result["invitation"]["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("not invited: {result}"))
                    .to_owned(),
            );
        }
    }
    ids
}

fn addresses(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}@example.com")).collect()
}

/// `runs` timed ticks of the reminder function after the warm-up, each stamped now.
async fn time_tick(remind: &Warm, runs: usize, sweep: &str) -> (Vec<Duration>, f64) {
    let tick = || {
        json!({
            "version": "0", "id": "bench", "detail-type": "Scheduled Event",
            "source": "aws.scheduler", "account": "123456789012", "region": "us-east-1",
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "resources": [], "detail": { "sweep": sweep }
        })
    };
    let mut times = Vec::with_capacity(runs);
    let mut cpu_before = 0.0;
    for i in 0..WARM_UP + runs {
        if i == WARM_UP {
            cpu_before = remind.cpu();
        }
        let started = Instant::now();
        match remind.runtime.invoke(&tick(), WITHIN).await {
            Outcome::Response(report) if report["skipped_tick"] == false => {}
            other => panic!("the {sweep} tick: {other:?}"),
        }
        if i >= WARM_UP {
            times.push(started.elapsed());
        }
    }
    (times, (remind.cpu() - cpu_before) / runs as f64)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// The warm re-invite of one pending address by two builds' `invite`, in turns, on one stack.
async fn reinvite_against(dir: &Path, before: &Path, runs: usize) {
    const TURN: usize = 20;
    let stack = AwsStack::new("warm-reinvite").await;
    let mut env = stack.process_env();
    env.push(("INVITE_DAILY_LIMIT".into(), "1000000".into()));
    env.push(("INVITER_DAILY_LIMIT".into(), "1000000".into()));
    env.push(("RECIPIENT_DAILY_LIMIT".into(), "1000000".into()));
    let workgroups = Warm::start(dir, "workgroups", &env).await;
    let wg = create_workgroup(&workgroups).await;
    let builds = [
        (
            dir.display().to_string(),
            Warm::start(dir, "invite", &env).await,
        ),
        (
            before.display().to_string(),
            Warm::start(before, "invite", &env).await,
        ),
    ];
    invite_all(&builds[0].1, &wg, &addresses("p", 1)).await;
    let reinvite = post(
        &format!("/workgroups/{wg}/invitations"),
        Some(ADMIN),
        json!({ "emails": "p0@example.com", "role": "associate" }),
    );
    let mut measured: Vec<(Vec<Duration>, f64)> = vec![(Vec::new(), 0.0), (Vec::new(), 0.0)];
    for turn in 0..runs.div_ceil(TURN) {
        for (build, (times, cpu)) in builds.iter().zip(measured.iter_mut()) {
            let warm_up = if turn == 0 { WARM_UP } else { 0 };
            let (more, cpu_ms) = build
                .1
                .time_after(warm_up, TURN, 200, |_| reinvite.clone())
                .await;
            times.extend(more);
            *cpu += cpu_ms * TURN as f64;
        }
    }
    println!(
        "| build | re-invite one pending address ({runs} warm, in turns of {TURN}) | p50 ms | p99 ms | function CPU ms per request |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for ((label, _), (mut times, cpu)) in builds.iter().zip(measured) {
        times.sort();
        println!(
            "| {label} | POST /workgroups/{{wg}}/invitations | {:.2} | {:.2} | {:.2} |",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            cpu / times.len() as f64,
        );
    }
}

struct Row {
    function: &'static str,
    request: String,
    times: Vec<Duration>,
    /// The function process's CPU time per request; none for moto's own row.
    cpu_ms: Option<f64>,
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut runs = 200;
    let mut against = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--reinvite-against" => against = args.next().map(PathBuf::from),
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let dir = dir.expect("usage: warm <binary dir> [--runs N] [--reinvite-against <dir>]");
    if let Some(before) = against {
        return reinvite_against(&dir, &before, runs).await;
    }
    let n = WARM_UP + runs;

    let stack = AwsStack::new("warm").await;
    let mut env = stack.process_env();
    // Enough quota and pending places for every request below.
    env.push(("INVITE_DAILY_LIMIT".into(), "1000000".into()));
    env.push(("INVITER_DAILY_LIMIT".into(), "1000000".into()));
    env.push(("RECIPIENT_DAILY_LIMIT".into(), "1000000".into()));
    env.push(("WORKGROUP_DAILY_LIMIT".into(), "1000000".into()));
    env.push(("PENDING_INVITATION_LIMIT".into(), "100000".into()));
    env.push(("INVITE_MAX_ADDRESSES".into(), "50".into()));
    let workgroups = Warm::start(&dir, "workgroups", &env).await;
    let invite = Warm::start(&dir, "invite", &env).await;
    let list = Warm::start(&dir, "list", &env).await;
    let manage = Warm::start(&dir, "manage", &env).await;
    let accept = Warm::start(&dir, "accept", &env).await;

    // A workgroup with 50 pending invitations, and invitations to accept, decline and cancel.
    let wg = create_workgroup(&workgroups).await;
    eprintln!("seeding {} invitations", 50 + 3 * n);
    let pending = invite_all(&invite, &wg, &addresses("p", 50)).await;
    let accepters = addresses("a", n);
    invite_all(&invite, &wg, &accepters).await;
    let decliners = addresses("d", n);
    invite_all(&invite, &wg, &decliners).await;
    let cancelled = invite_all(&invite, &wg, &addresses("c", n)).await;
    let tokens = tokens(&stack).await;
    let token_of = |address: &str| tokens.get(address).cloned().expect("a token");
    let lookup_token = token_of("p0@example.com");

    let base = format!("/workgroups/{wg}");
    let mut rows = Vec::new();
    let mut measure = |function, request: &str, (times, cpu_ms): (Vec<Duration>, f64)| {
        eprintln!("{function} {request}");
        rows.push(Row {
            function,
            request: request.to_owned(),
            times,
            cpu_ms: (function != "(moto)").then_some(cpu_ms),
        })
    };
    measure(
        "workgroups",
        "GET /workgroups",
        workgroups
            .time(runs, 200, |_| get("/workgroups", ADMIN))
            .await,
    );
    measure(
        "workgroups",
        "POST /workgroups",
        workgroups
            .time(runs, 201, |i| {
                post(
                    "/workgroups",
                    Some(ADMIN),
                    json!({ "name": format!("Team {i}") }),
                )
            })
            .await,
    );
    measure(
        "list",
        "GET /workgroups/{wg}/agents",
        list.time(runs, 200, |_| get(&format!("{base}/agents"), ADMIN))
            .await,
    );
    measure(
        "list",
        "GET /workgroups/{wg}/invitations (first page)",
        list.time(runs, 200, |_| get(&format!("{base}/invitations"), ADMIN))
            .await,
    );
    measure(
        "list",
        "GET /workgroups/{wg}/invitations/{id}",
        list.time(runs, 200, |_| {
            get(&format!("{base}/invitations/{}", pending[0]), ADMIN)
        })
        .await,
    );
    measure(
        "list",
        "GET /workgroups/{wg}/events (first page)",
        list.time(runs, 200, |_| get(&format!("{base}/events"), ADMIN))
            .await,
    );
    measure(
        "list",
        "GET /openapi.json",
        list.time(runs, 200, |_| {
            api_gateway_event("GET", "/openapi.json", None, None)
        })
        .await,
    );
    measure(
        "accept",
        "POST /invitations/lookup",
        accept
            .time(runs, 200, |_| {
                post(
                    "/invitations/lookup",
                    None,
                    json!({ "token": lookup_token }),
                )
            })
            .await,
    );
    measure(
        "invite",
        "POST /workgroups/{wg}/invitations (re-invite one pending address)",
        invite
            .time(runs, 200, |_| {
                post(
                    &format!("{base}/invitations"),
                    Some(ADMIN),
                    json!({ "emails": "p1@example.com", "role": "associate" }),
                )
            })
            .await,
    );
    measure(
        "manage",
        "POST /workgroups/{wg}/invitations/{id}/resend",
        manage
            .time(runs, 200, |_| {
                api_gateway_event(
                    "POST",
                    &format!("{base}/invitations/{}/resend", pending[2]),
                    Some(ADMIN),
                    None,
                )
            })
            .await,
    );
    measure(
        "manage",
        "DELETE /workgroups/{wg}/invitations/{id}",
        manage
            .time(runs, 204, |i| {
                api_gateway_event(
                    "DELETE",
                    &format!("{base}/invitations/{}", cancelled[i]),
                    Some(ADMIN),
                    None,
                )
            })
            .await,
    );
    measure(
        "accept",
        "POST /invitations/accept (first registration)",
        accept
            .time(runs, 200, |i| {
                post(
                    "/invitations/accept",
                    Some(&accepters[i]),
                    json!({ "token": token_of(&accepters[i]), "name": format!("Agent {i}") }),
                )
            })
            .await,
    );
    measure(
        "accept",
        "POST /invitations/decline",
        accept
            .time(runs, 200, |i| {
                post(
                    "/invitations/decline",
                    None,
                    json!({ "token": token_of(&decliners[i]) }),
                )
            })
            .await,
    );

    // The schedules' ticks, nothing due yet: what each tick costs whatever the traffic.
    let remind = Warm::start(&dir, "remind", &env).await;
    for (request, sweep) in [
        (
            "tick every 10 minutes (retries, expiries), nothing due",
            "deliveries",
        ),
        ("daily tick (reminders), nothing due", "reminders"),
    ] {
        let times = time_tick(&remind, runs, sweep).await;
        measure("remind", request, times);
    }

    // The emulator's own share: one GetItem from this process, warm.
    let dynamodb = aws_sdk_dynamodb::Client::new(&stack.sdk);
    let mut times = Vec::new();
    for i in 0..WARM_UP + runs {
        let started = Instant::now();
        dynamodb
            .get_item()
            .table_name(&stack.table)
            .key("pk", AttributeValue::S("WARM-UP".into()))
            .key("sk", AttributeValue::S("WARM-UP".into()))
            .send()
            .await
            .expect("moto answers");
        if i >= WARM_UP {
            times.push(started.elapsed());
        }
    }
    measure(
        "(moto)",
        "one GetItem from the SDK, no function",
        (times, 0.0),
    );

    println!(
        "| function | request ({runs} in a row, warm) | p50 ms | p99 ms | mean ms | function CPU ms per request |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for mut row in rows {
        row.times.sort();
        let mean = row.times.iter().map(Duration::as_secs_f64).sum::<f64>()
            / row.times.len() as f64
            * 1000.0;
        println!(
            "| {} | {} | {:.2} | {:.2} | {mean:.2} | {} |",
            row.function,
            row.request,
            percentile(&row.times, 0.5),
            percentile(&row.times, 0.99),
            row.cpu_ms.map_or("—".into(), |ms| format!("{ms:.2}")),
        );
    }
}
