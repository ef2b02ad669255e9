//! Cold start of the function binaries: each run starts a fresh process under an emulated
//! Lambda Runtime API, with the templates' environment, against DynamoDB, SES and Secrets
//! Manager in moto on loopback. It reports the time from spawn to the first poll for an event
//! (init: configuration, SDK config, reading the secret) and to the first answered invocation.
//!
//! cargo run --release -p bench --bin coldstart -- <binary dir> [runs] [function ...]

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::json;
use tests::{
    aws_stack::AwsStack,
    harness::api_gateway_event,
    runtime_api::{Outcome, RuntimeApi},
};

const FUNCTIONS: [&str; 6] = ["workgroups", "invite", "list", "manage", "accept", "remind"];

/// An invocation each function answers without a prepared workgroup.
fn first_event(function: &str) -> serde_json::Value {
    let signed_in = Some("bench@example.com");
    match function {
        "workgroups" => api_gateway_event("GET", "/workgroups", signed_in, None),
        "invite" => api_gateway_event(
            "POST",
            &format!("/workgroups/wg_{:032}/invitations", 0),
            signed_in,
            Some(json!({ "emails": "x@example.com", "role": "associate" })),
        ),
        "list" => api_gateway_event(
            "GET",
            &format!("/workgroups/wg_{:032}/invitations", 0),
            signed_in,
            None,
        ),
        "manage" => api_gateway_event(
            "DELETE",
            &format!("/workgroups/wg_{:032}/invitations/inv_{:032}", 0, 0),
            signed_in,
            None,
        ),
        "accept" => api_gateway_event(
            "POST",
            "/invitations/lookup",
            None,
            Some(json!({ "token": "x".repeat(43) })),
        ),
        _ => json!({
            "version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.scheduler",
            "time": chrono_now(), "detail": {}
        }),
    }
}

fn chrono_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // RFC 3339 from epoch seconds without another dependency: let `date` do it.
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{now}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .expect("date");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: coldstart <binary dir> [runs] [function ...]");
    let runs: usize = args.next().map_or(20, |n| n.parse().expect("runs"));
    let chosen: Vec<String> = args.collect();
    let functions: Vec<&str> = if chosen.is_empty() {
        FUNCTIONS.to_vec()
    } else {
        FUNCTIONS
            .iter()
            .copied()
            .filter(|f| chosen.iter().any(|c| c == f))
            .collect()
    };
    let stack = AwsStack::new("coldstart").await;
    let env = stack.process_env();
    println!(
        "| function | size (bytes) | init p50 ms | init p90 ms | first answer p50 ms | first answer p90 ms |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for function in functions {
        let binary = std::path::Path::new(&dir).join(function);
        let size = std::fs::metadata(&binary)
            .map(|m| m.len())
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        let (mut inits, mut answers) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let runtime = RuntimeApi::start().await;
            let started = Instant::now();
            let mut child = Command::new(&binary)
                .env_clear()
                .envs(env.iter().cloned())
                .envs(runtime.lambda_environment(function))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("the binary starts");
            let polled = runtime
                .wait_for_first_poll(Duration::from_secs(30))
                .await
                .expect("it polls");
            let init = polled - started;
            let outcome = runtime
                .invoke(&first_event(function), Duration::from_secs(30))
                .await;
            let answered = started.elapsed();
            if let Outcome::Error(error) = outcome {
                panic!("{function} failed: {error}");
            }
            inits.push(init);
            answers.push(answered);
            let _ = child.kill();
            let _ = child.wait();
        }
        inits.sort();
        answers.sort();
        println!(
            "| {function} | {size} | {} | {} | {} | {} |",
            ms(percentile(&inits, 0.5)),
            ms(percentile(&inits, 0.9)),
            ms(percentile(&answers, 0.5)),
            ms(percentile(&answers, 0.9)),
        );
    }
}
