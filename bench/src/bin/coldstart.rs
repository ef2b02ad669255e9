//! Cold start of the function binaries beside a floor and a peer, each a fresh process under the
//! same emulated Lambda Runtime API, with the templates' environment, against DynamoDB, SES and
//! Secrets Manager in moto on loopback:
//!
//! - every function in `<binary dir>` (built with the profile under test);
//! - `hello` from `<binary dir>`, the floor: a bare `lambda_runtime` function (`bench/hello`);
//! - `python`, the peer: `GET /workgroups` in Python and boto3 under `awslambdaric`
//!   (`bench/python/peer.py`), doing the `workgroups` function's work;
//! - with `--before <dir>`, the functions of another build (to compare two commits).
//!
//! Per target it reports the wall time from spawn to the first poll for an event (init) and to
//! the first answered invocation; with `--callgrind`, the instructions (valgrind's callgrind)
//! up to each of those two moments, from one more start of each ended there by SIGTERM
//! (`KEEP_CALLGRIND=1` keeps those profiles and prints where, for `callgrind_annotate`).
//!
//! With `--memory 128,256,1024`, every target is also started under a Lambda-like share of one
//! CPU for each of those memory sizes (Lambda gives a function one vCPU at 1,769 MB and a
//! share in proportion below that): a cgroup (v1) CPU quota of `size / 1769` of each 100 ms
//! period, which holds the started process only (moto and the emulated Runtime API run
//! unthrottled). It prints a second table, of first answers under each share.
//!
//! DynamoDB is reached as `localhost` and the other services as `127.0.0.1`, so that, as on
//! AWS, the table's connection is not the one the secret was read on.
//!
//! cargo run --release -p bench --bin coldstart -- <binary dir> [--runs N] [--callgrind]
//!     [--before <dir>] [--memory 128,256,1024 [--share-runs N]] [--env NAME=VALUE] [target ...]

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use bench::thousands;
use serde_json::json;
use tests::{
    aws_stack::AwsStack,
    harness::api_gateway_event,
    moto::{moto, pinned_venv},
    runtime_api::{Outcome, RuntimeApi},
};

const FUNCTIONS: [&str; 9] = [
    "workgroups",
    "invite",
    "list",
    "manage",
    "accept",
    "remind",
    "send",
    "feedback",
    "publish",
];

/// Lambda's memory size with one whole vCPU.
const MEMORY_OF_ONE_VCPU: u32 = 1769;
/// The CPU quota's period: the kernel's default.
const QUOTA_PERIOD_US: u32 = 100_000;

/// The peer's pinned packages.
const PYTHON_PEER: [&str; 2] = ["awslambdaric==4.2.2", "boto3==1.44.5"];

const SIGNED_IN: &str = "bench@example.com";

/// What is started: a program, its arguments and working directory, and which function's
/// first event it answers.
struct Target {
    label: String,
    program: PathBuf,
    args: Vec<String>,
    dir: Option<PathBuf>,
    function: &'static str,
}

/// An invocation each function answers; the bench caller has one workgroup.
fn first_event(function: &str) -> serde_json::Value {
    let signed_in = Some(SIGNED_IN);
    let none = format!("wg_{:032}", 0);
    match function {
        "workgroups" | "hello" => api_gateway_event("GET", "/workgroups", signed_in, None),
        "invite" => api_gateway_event(
            "POST",
            &format!("/workgroups/{none}/invitations"),
            signed_in,
            Some(json!({ "emails": "x@example.com", "role": "associate" })),
        ),
        "list" => api_gateway_event(
            "GET",
            &format!("/workgroups/{none}/invitations"),
            signed_in,
            None,
        ),
        "manage" => api_gateway_event(
            "DELETE",
            &format!("/workgroups/{none}/invitations/inv_{:032}", 0),
            signed_in,
            None,
        ),
        "accept" => api_gateway_event(
            "POST",
            "/invitations/lookup",
            None,
            Some(json!({ "token": "x".repeat(43) })),
        ),
        // A record whose invitation is unknown: read, found nothing, done.
        "feedback" => json!({
            "version": "0", "id": "bench", "detail-type": "Email Bounced", "source": "aws.ses",
            "account": "123456789012", "time": now(), "region": "us-east-1",
            "resources": [], "detail": {}
        }),
        // An empty batch of the queue (the send function) or of the table's stream (publish).
        "publish" | "send" => json!({ "Records": [] }),
        // The reminder function's tick (every sweep) over a table with no invitation: the
        // function refuses ticks far from its clock, so it is stamped now.
        _ => json!({
            "version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.scheduler",
            "account": "123456789012", "time": now(), "region": "us-east-1",
            "resources": [], "detail": {}
        }),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Args {
    dir: PathBuf,
    runs: usize,
    callgrind: bool,
    before: Option<PathBuf>,
    /// More environment for every start (`--env NAME=VALUE`), to try a setting.
    extra_env: Vec<(String, String)>,
    /// Memory sizes (MB) whose CPU share to start every target under (`--memory`).
    memory: Vec<u32>,
    /// Starts per target under each share (`--share-runs`, default `--runs`).
    share_runs: Option<usize>,
    chosen: Vec<String>,
}

fn parse_args() -> Args {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        dir: PathBuf::new(),
        runs: 20,
        callgrind: false,
        before: None,
        extra_env: Vec::new(),
        memory: Vec::new(),
        share_runs: None,
        chosen: Vec::new(),
    };
    let mut dir = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => parsed.runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--callgrind" => parsed.callgrind = true,
            "--before" => parsed.before = Some(args.next().expect("--before <dir>").into()),
            "--share-runs" => {
                parsed.share_runs = args.next().and_then(|n| n.parse().ok());
            }
            "--memory" => {
                let sizes = args.next().expect("--memory 128,256,1024");
                parsed.memory = sizes
                    .split(',')
                    .map(|size| size.trim().parse().expect("a memory size in MB"))
                    .collect();
            }
            "--env" => {
                let setting = args.next().expect("--env NAME=VALUE");
                let (name, value) = setting.split_once('=').expect("--env NAME=VALUE");
                parsed.extra_env.push((name.to_owned(), value.to_owned()));
            }
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => parsed.chosen.push(arg),
        }
    }
    parsed.dir = dir.expect(
        "usage: coldstart <binary dir> [--runs N] [--callgrind] [--before <dir>] [--memory 128,256,1024] [--env NAME=VALUE] [target ...]",
    );
    parsed
}

fn targets(args: &Args) -> Vec<Target> {
    let binary = |label: String, dir: &Path, name: &'static str, function: &'static str| Target {
        label,
        program: dir.join(name),
        args: Vec::new(),
        dir: None,
        function,
    };
    let mut all = vec![binary("hello (floor)".into(), &args.dir, "hello", "hello")];
    let python = pinned_venv("python-peer", &PYTHON_PEER)
        .unwrap_or_else(|why| panic!("the Python peer: {why}"));
    all.push(Target {
        label: "python peer (workgroups)".into(),
        program: python.join("bin/python"),
        args: vec!["-m".into(), "awslambdaric".into(), "peer.handler".into()],
        dir: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("python")),
        function: "workgroups",
    });
    for function in FUNCTIONS {
        all.push(binary(function.into(), &args.dir, function, function));
    }
    if let Some(before) = &args.before {
        for function in FUNCTIONS {
            all.push(binary(
                format!("{function} (before)"),
                before,
                function,
                function,
            ));
        }
    }
    all.retain(|t| {
        args.chosen.is_empty() || args.chosen.iter().any(|c| t.label.starts_with(c.as_str()))
    });
    all
}

/// The environment of one start: the stack's, Lambda's, and DynamoDB as `localhost`.
fn environment(
    stack_env: &[(String, String)],
    runtime: &RuntimeApi,
    target: &Target,
) -> Vec<(String, String)> {
    let mut env = stack_env.to_vec();
    env.extend(runtime.lambda_environment(target.function));
    // Lambda sets both; boto3 reads only this one.
    env.push(("AWS_DEFAULT_REGION".into(), "us-east-1".into()));
    env.push((
        "AWS_ENDPOINT_URL_DYNAMODB".into(),
        moto().endpoint().replace("127.0.0.1", "localhost"),
    ));
    if let Some(dir) = &target.dir {
        env.push(("LAMBDA_TASK_ROOT".into(), dir.display().to_string()));
    }
    env
}

/// A cgroup (v1) whose processes share `memory / 1769` of one CPU, as a Lambda function of
/// that memory size does; removed when dropped.
struct CpuShare {
    memory: u32,
    dir: PathBuf,
}

impl CpuShare {
    fn new(memory: u32) -> Self {
        let dir = PathBuf::from(format!(
            "/sys/fs/cgroup/cpu/coldstart-{memory}mb-{}",
            std::process::id()
        ));
        let quota = u64::from(QUOTA_PERIOD_US) * u64::from(memory) / u64::from(MEMORY_OF_ONE_VCPU);
        let set = |file: &str, value: String| {
            std::fs::write(dir.join(file), value).unwrap_or_else(|e| {
                panic!("{}/{file}: {e} (needs cgroup v1 and root)", dir.display())
            })
        };
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (needs cgroup v1 and root)", dir.display()));
        set("cpu.cfs_period_us", QUOTA_PERIOD_US.to_string());
        set("cpu.cfs_quota_us", quota.to_string());
        Self { memory, dir }
    }

    fn procs(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }
}

impl Drop for CpuShare {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// How a start is run: plainly, under callgrind, or in a cgroup with a CPU quota.
enum Under<'a> {
    Nothing,
    Callgrind(&'a Path),
    CpuShare(&'a CpuShare),
}

fn spawn(target: &Target, env: &[(String, String)], under: Under<'_>) -> Child {
    let mut command = match under {
        Under::Callgrind(out) => {
            let mut c = Command::new("valgrind");
            c.arg("--tool=callgrind")
                .arg(format!("--callgrind-out-file={}", out.display()))
                .arg(&target.program);
            c
        }
        // The shell moves itself into the cgroup, then becomes the target: the target runs
        // under the quota from its first instruction.
        Under::CpuShare(share) => {
            let mut c = Command::new("/bin/sh");
            c.arg("-c")
                .arg(r#"echo $$ > "$0" && exec "$@""#)
                .arg(share.procs())
                .arg(&target.program);
            c
        }
        Under::Nothing => Command::new(&target.program),
    };
    command
        .args(&target.args)
        .env_clear()
        .envs(env.iter().cloned())
        .stdout(Stdio::null())
        // The last start's log of each target, for when one fails.
        .stderr(
            std::fs::File::create(
                std::env::temp_dir().join(format!("coldstart-{}.log", file_name(&target.label))),
            )
            .map_or(Stdio::null(), Stdio::from),
        );
    if let Some(dir) = &target.dir {
        command.current_dir(dir);
    }
    command
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", target.program.display()))
}

/// The emulated Runtime API for `target`, with its template's timeout where that matters:
/// the reminder function stops its sweeps 30 s before its deadline, so under the emulator's
/// default (30 s) its first tick would stop at once.
async fn runtime_for(target: &Target) -> RuntimeApi {
    match target.function {
        "remind" => RuntimeApi::start_with_timeout(Duration::from_secs(300)).await,
        _ => RuntimeApi::start().await,
    }
}

/// Wall times of one start: to the first poll, and to the first answer.
async fn wall_start(
    target: &Target,
    stack_env: &[(String, String)],
    share: Option<&CpuShare>,
) -> (Duration, Duration) {
    let runtime = runtime_for(target).await;
    let env = environment(stack_env, &runtime, target);
    let started = Instant::now();
    let under = share.map_or(Under::Nothing, Under::CpuShare);
    let mut child = spawn(target, &env, under);
    // The event is queued before the first poll, so the poll takes it at once.
    let answer = async {
        let outcome = runtime
            .invoke(&first_event(target.function), Duration::from_secs(60))
            .await;
        (outcome, started.elapsed())
    };
    let ((outcome, answered), polled) =
        tokio::join!(answer, runtime.wait_for_first_poll(Duration::from_secs(60)));
    let polled = polled.unwrap_or_else(|| panic!("{} never polled", target.label));
    if let Outcome::Error(error) = outcome {
        panic!("{} failed: {error}", target.label);
    }
    let _ = child.kill();
    let _ = child.wait();
    (polled - started, answered)
}

/// Instructions to the first poll, or (`answer`) to the poll after the first answer: the
/// process is ended by SIGTERM there and callgrind writes its totals.
async fn instructions(target: &Target, stack_env: &[(String, String)], answer: bool) -> u64 {
    let runtime = runtime_for(target).await;
    let env = environment(stack_env, &runtime, target);
    let out = tempfile_path(&target.label);
    let mut child = spawn(target, &env, Under::Callgrind(&out));
    runtime
        .wait_for_first_poll(Duration::from_secs(600))
        .await
        .unwrap_or_else(|| panic!("{} never polled under callgrind", target.label));
    if answer {
        let outcome = runtime
            .invoke(&first_event(target.function), Duration::from_secs(600))
            .await;
        assert!(
            matches!(outcome, Outcome::Response(_)),
            "{}: {outcome:?}",
            target.label
        );
        let deadline = Instant::now() + Duration::from_secs(600);
        while runtime.polls() < 2 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let totals = std::fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()))
        .lines()
        .find_map(|line| line.strip_prefix("summary: ").map(str::to_owned))
        .expect("callgrind's summary line");
    if std::env::var_os("KEEP_CALLGRIND").is_some() {
        eprintln!(
            "{}: callgrind's profile kept in {}",
            target.label,
            out.display()
        );
    } else {
        let _ = std::fs::remove_file(&out);
    }
    totals.trim().parse().expect("a count of instructions")
}

/// Unique per start (`KEEP_CALLGRIND` keeps each).
fn tempfile_path(label: &str) -> PathBuf {
    static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let start = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "callgrind-{}-{}-{start}",
        file_name(label),
        std::process::id()
    ))
}

fn file_name(label: &str) -> String {
    label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Gives the bench caller one workgroup, so `GET /workgroups` reads an item.
async fn seed(dir: &Path, stack_env: &[(String, String)]) {
    let target = Target {
        label: "seed".into(),
        program: dir.join("workgroups"),
        args: Vec::new(),
        dir: None,
        function: "workgroups",
    };
    let runtime = RuntimeApi::start().await;
    let env = environment(stack_env, &runtime, &target);
    let mut child = spawn(&target, &env, Under::Nothing);
    let created = runtime
        .invoke(
            &api_gateway_event(
                "POST",
                "/workgroups",
                Some(SIGNED_IN),
                Some(json!({ "name": "Bench" })),
            ),
            Duration::from_secs(30),
        )
        .await;
    let _ = child.kill();
    let _ = child.wait();
    match created {
        Outcome::Response(answer) if answer["statusCode"] == 201 => {}
        other => panic!("the bench workgroup: {other:?}"),
    }
}

struct Row {
    label: String,
    init: (f64, f64),
    answer: (f64, f64),
    instructions: Option<(u64, u64)>,
    /// Per memory size: the first answer's p50 and p90 (ms) under its CPU share.
    shared: Vec<(u32, f64, f64)>,
}

fn ratio(value: f64, base: f64) -> String {
    format!("{:.2}×", value / base)
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let stack = AwsStack::new("coldstart").await;
    let mut env = stack.process_env();
    env.extend(args.extra_env.iter().cloned());
    seed(&args.dir, &env).await;
    let shares: Vec<CpuShare> = args.memory.iter().map(|mb| CpuShare::new(*mb)).collect();
    let mut rows = Vec::new();
    for target in targets(&args) {
        let (mut inits, mut answers) = (Vec::new(), Vec::new());
        for _ in 0..args.runs {
            let (init, answer) = wall_start(&target, &env, None).await;
            inits.push(init);
            answers.push(answer);
        }
        inits.sort();
        answers.sort();
        let mut shared = Vec::new();
        for share in &shares {
            let mut answers = Vec::new();
            for _ in 0..args.share_runs.unwrap_or(args.runs) {
                answers.push(wall_start(&target, &env, Some(share)).await.1);
            }
            answers.sort();
            shared.push((
                share.memory,
                ms(percentile(&answers, 0.5)),
                ms(percentile(&answers, 0.9)),
            ));
        }
        let instructions = if args.callgrind {
            Some((
                instructions(&target, &env, false).await,
                instructions(&target, &env, true).await,
            ))
        } else {
            None
        };
        let row = Row {
            label: target.label.clone(),
            init: (ms(percentile(&inits, 0.5)), ms(percentile(&inits, 0.9))),
            answer: (ms(percentile(&answers, 0.5)), ms(percentile(&answers, 0.9))),
            instructions,
            shared,
        };
        eprintln!(
            "{}: init p50 {:.1} ms, first answer p50 {:.1} ms, instructions {:?}",
            row.label, row.init.0, row.answer.0, row.instructions
        );
        rows.push(row);
    }
    print_table(&rows, args.runs);
    if !shares.is_empty() {
        println!();
        print_shared_table(&rows, args.share_runs.unwrap_or(args.runs));
    }
}

/// First answers under each memory size's CPU share, beside the floor's under the same share.
fn print_shared_table(rows: &[Row], runs: usize) {
    let Some(floor) = rows.iter().find(|r| r.label.starts_with("hello")) else {
        return;
    };
    let sizes: Vec<u32> = floor.shared.iter().map(|(mb, _, _)| *mb).collect();
    let mut header = format!("| start ({runs} runs each) |");
    for mb in &sizes {
        let share = f64::from(*mb) / f64::from(MEMORY_OF_ONE_VCPU) * 100.0;
        header.push_str(&format!(
            " {mb} MB ({share:.1}% of a CPU): first answer p50 / p90 (ms) | vs floor |"
        ));
    }
    println!("{header}");
    println!("|{}", " --- |".repeat(1 + 2 * sizes.len()));
    for row in rows {
        let mut line = format!("| {} |", row.label);
        for ((_, p50, p90), (_, floor_p50, _)) in row.shared.iter().zip(&floor.shared) {
            line.push_str(&format!(
                " {p50:.1} / {p90:.1} | {} |",
                ratio(*p50, *floor_p50)
            ));
        }
        println!("{line}");
    }
}

fn print_table(rows: &[Row], runs: usize) {
    let floor = rows.iter().find(|r| r.label.starts_with("hello"));
    let peer = rows.iter().find(|r| r.label.starts_with("python"));
    println!(
        "| start ({runs} runs each) | to first poll p50 / p90 (ms) | to first answer p50 / p90 (ms) | instructions to first poll | instructions to first answer | first answer vs floor | vs Python peer | instructions vs floor | vs Python peer |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for row in rows {
        let (poll, answer) = row.instructions.map_or(("—".into(), "—".into()), |(p, a)| {
            (thousands(p), thousands(a))
        });
        let versus = |other: Option<&Row>, instructions: bool| match other {
            Some(other) if instructions => match (row.instructions, other.instructions) {
                (Some((_, mine)), Some((_, theirs))) => ratio(mine as f64, theirs as f64),
                _ => "—".into(),
            },
            Some(other) => ratio(row.answer.0, other.answer.0),
            None => "—".into(),
        };
        println!(
            "| {} | {:.1} / {:.1} | {:.1} / {:.1} | {poll} | {answer} | {} | {} | {} | {} |",
            row.label,
            row.init.0,
            row.init.1,
            row.answer.0,
            row.answer.1,
            versus(floor, false),
            versus(peer, false),
            versus(floor, true),
            versus(peer, true),
        );
    }
}
