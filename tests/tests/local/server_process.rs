//! The local server as a process: started on a free loopback port, driven over HTTP, stopped
//! and restarted on the same data folder.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tests::local_server::{RawReply, raw_exchange, socket_addr};

mod hardening;

/// A running server and everything it printed.
struct Server {
    child: Child,
    base: String,
    printed: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(data: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(tests::binaries::local())
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let stdout = child.stdout.take().expect("stdout");
        let printed = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = printed.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(base) = line.strip_prefix("listening on ") {
                    let _ = tx.send(base.trim().to_owned());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server prints its address");
        Self {
            child,
            base,
            printed,
        }
    }

    fn stop(mut self) {
        // SIGKILL: nothing acknowledged may be lost even without a clean shutdown.
        self.child.kill().expect("the server stops");
        self.child.wait().expect("the server exits");
    }

    fn printed_links(&self) -> Vec<String> {
        self.printed
            .lock()
            .unwrap()
            .iter()
            .filter_map(|line| {
                line.split_whitespace()
                    .find(|w| w.contains("/accept#token="))
            })
            .map(str::to_owned)
            .collect()
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut response = match (method, body) {
            ("GET", _) => with_auth(agent.get(&url), &auth).call(),
            ("DELETE", _) => with_auth(agent.delete(&url), &auth).call(),
            ("POST", Some(body)) => with_auth(agent.post(&url), &auth).send_json(&body),
            ("POST", None) => with_auth(agent.post(&url), &auth).send_empty(),
            _ => panic!("unsupported method {method}"),
        }
        .expect("the server answers");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }
}

fn with_auth<B>(
    request: ureq::RequestBuilder<B>,
    auth: &Option<String>,
) -> ureq::RequestBuilder<B> {
    match auth {
        Some(value) => request.header("Authorization", value),
        None => request,
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a subcommand of the binary and returns what it printed.
fn run(data: &Path, args: &[&str]) -> String {
    let output = Command::new(tests::binaries::local())
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("the command runs");
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

fn token_of(link: &str) -> String {
    link.split_once("#token=")
        .expect("a token in the fragment")
        .1
        .to_owned()
}

#[test]
fn the_server_serves_the_seed_story_and_keeps_everything_across_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let admin = run(data.path(), &["token", "--email", "ada@example.com"]);
    let ann = run(data.path(), &["token", "--email", "ann@example.com"]);

    let server = Server::start(data.path(), &[]);
    let (status, created) = server.call(
        "POST",
        "/workgroups",
        Some(&admin),
        Some(json!({"name": "Acme IT"})),
    );
    assert_eq!(status, 201, "{created}");
    let wg = created["id"].as_str().unwrap().to_owned();
    let (status, invited) = server.call(
        "POST",
        &format!("/workgroups/{wg}/invitations"),
        Some(&admin),
        Some(json!({"emails": "ann@example.com, bob@example.com", "role": "manager"})),
    );
    assert_eq!(status, 200, "{invited}");

    // Each accept link is printed, and an .eml file lands in the outbox.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.printed_links().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.printed_links().len(), 2);
    let emls = std::fs::read_dir(data.path().join("outbox"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "eml")
        })
        .count();
    assert_eq!(emls, 2);
    let ann_link = run(data.path(), &["link", "--to", "ann@example.com"]);
    assert!(server.printed_links().contains(&ann_link));

    // An invalid bearer token is refused before the API runs, as API Gateway does.
    let (status, problem) = server.call("GET", "/workgroups", Some("not-a-jwt"), None);
    assert_eq!(status, 401, "{problem}");
    let (status, _) = server.call("GET", "/accept", None, None);
    assert_eq!(status, 200);

    server.stop();
    let server = Server::start(data.path(), &[]);
    let (status, listed) = server.call(
        "GET",
        &format!("/workgroups/{wg}/invitations"),
        Some(&admin),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        2,
        "invitations survive a restart"
    );
    let (status, accepted) = server.call(
        "POST",
        "/invitations/accept",
        Some(&ann),
        Some(json!({"token": token_of(&ann_link), "name": "Ann Lee"})),
    );
    assert_eq!(
        status, 200,
        "the emailed link still works after a restart: {accepted}"
    );

    server.stop();
    let server = Server::start(data.path(), &[]);
    let (status, agents) = server.call(
        "GET",
        &format!("/workgroups/{wg}/agents"),
        Some(&admin),
        None,
    );
    assert_eq!(status, 200);
    let emails: Vec<&str> = agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec!["ada@example.com", "ann@example.com"]);
}

#[test]
fn a_shifted_clock_expires_invitations_and_the_sweep_sends_reminders() {
    let data = tempfile::tempdir().unwrap();
    let admin = run(data.path(), &["token", "--email", "ada@example.com"]);
    let server = Server::start(data.path(), &["--now", "2030-01-01T00:00:00Z"]);
    let (_, created) = server.call(
        "POST",
        "/workgroups",
        Some(&admin),
        Some(json!({"name": "Acme IT"})),
    );
    let wg = created["id"].as_str().unwrap().to_owned();
    let (_, invited) = server.call(
        "POST",
        &format!("/workgroups/{wg}/invitations"),
        Some(&admin),
        Some(json!({"emails": "ann@example.com", "role": "associate"})),
    );
    assert_eq!(
        invited["results"][0]["invitation"]["expires_at"],
        "2030-01-31T00:00:00Z"
    );
    // `link` waits until the server's sender has handed the invitation over.
    let first = run(data.path(), &["link", "--to", "ann@example.com"]);
    server.stop();

    let swept = run(data.path(), &["remind", "--at", "2030-01-24T00:00:00Z"]);
    assert!(swept.contains("1 queued"), "{swept}");
    assert!(swept.contains("sender: 1 emails handed over"), "{swept}");
    let again = run(data.path(), &["remind", "--at", "2030-01-24T01:00:00Z"]);
    assert!(
        again.contains("0 queued") && again.contains("sender: 0 emails handed over"),
        "a reminder goes out once: {again}"
    );
    let link = run(data.path(), &["link", "--to", "ann@example.com"]);
    assert_eq!(
        token_of(&link),
        token_of(&first),
        "the reminder carries the invitation's own token"
    );

    // Development tokens stay valid whatever the server's clock says.
    let server = Server::start(data.path(), &["--now", "2030-01-31T00:00:00Z"]);
    let (status, listed) = server.call(
        "GET",
        &format!("/workgroups/{wg}/invitations"),
        Some(&admin),
        None,
    );
    assert_eq!(status, 200);
    assert!(
        listed["items"].as_array().unwrap().is_empty(),
        "expired after 30 days"
    );
    let (status, _) = server.call(
        "POST",
        "/invitations/lookup",
        None,
        Some(json!({"token": token_of(&link)})),
    );
    assert_eq!(status, 404);
}

#[test]
fn metrics_count_the_story_and_are_served_as_prometheus_text() {
    let data = tempfile::tempdir().unwrap();
    let admin = run(data.path(), &["token", "--email", "ada@example.com"]);
    let ann = run(data.path(), &["token", "--email", "ann@example.com"]);
    let server = Server::start(data.path(), &[]);
    let (_, created) = server.call(
        "POST",
        "/workgroups",
        Some(&admin),
        Some(json!({"name": "Acme"})),
    );
    let wg = created["id"].as_str().unwrap().to_owned();
    let (status, invited) = server.call(
        "POST",
        &format!("/workgroups/{wg}/invitations"),
        Some(&admin),
        Some(json!({"emails": "ann@example.com, bob@example.com, cy@example.com", "role": "associate"})),
    );
    assert_eq!(status, 200, "{invited}");
    let link = |to| token_of(&run(data.path(), &["link", "--to", to]));
    let (status, _) = server.call(
        "POST",
        "/invitations/accept",
        Some(&ann),
        Some(json!({"token": link("ann@example.com"), "name": "Ann"})),
    );
    assert_eq!(status, 200);
    let (status, _) = server.call(
        "POST",
        "/invitations/decline",
        None,
        Some(json!({"token": link("bob@example.com")})),
    );
    assert_eq!(status, 200);
    let cy = invited["results"][2]["invitation"]["id"].as_str().unwrap();
    let (status, _) = server.call(
        "DELETE",
        &format!("/workgroups/{wg}/invitations/{cy}"),
        Some(&admin),
        None,
    );
    assert_eq!(status, 204);

    // The sender records a handover just after the email is in the outbox.
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let (status, text) = server.call("GET", "/metrics", None, None);
        assert_eq!(status, 200);
        let text = text.as_str().expect("plain text").to_owned();
        if text.contains("emails_handed_over_total{function=\"local\"} 3")
            || Instant::now() > deadline
        {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    for line in [
        "invitations_sent_total{function=\"local\"} 3",
        "emails_queued_total{function=\"local\"} 3",
        "emails_handed_over_total{function=\"local\"} 3",
        "invitations_accepted_total{function=\"local\"} 1",
        "invitations_declined_total{function=\"local\"} 1",
        "invitations_cancelled_total{function=\"local\"} 1",
        "invitations_expired_total{function=\"local\"} 0",
        "time_to_acceptance_seconds_count{function=\"local\"} 1",
        "delivery_lag_milliseconds_count{function=\"local\"} 3",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from:\n{text}"
        );
    }
    // The file behind it holds the same EMF documents the functions write.
    let written = std::fs::read_to_string(data.path().join("metrics.jsonl")).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for line in written.lines() {
        tests::emf::check(&serde_json::from_str(line).unwrap(), "local", &mut seen);
    }
    assert_eq!(seen["InvitationsSent"].sum, 3.0);
    for address in ["ann@", "bob@", "cy@", wg.as_str()] {
        assert!(!written.contains(address), "{address} in the metrics");
    }
}

#[test]
fn the_console_signs_in_with_development_tokens_only_here() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let (status, config) = server.call("GET", "/config.json", None, None);
    assert_eq!(status, 200);
    assert_eq!(config, serde_json::json!({ "signIn": { "kind": "dev" } }));

    let (status, signed) = server.call(
        "POST",
        "/dev/sign-in",
        None,
        Some(serde_json::json!({ "email": "ada@example.com", "name": "Ada" })),
    );
    assert_eq!(status, 200, "{signed}");
    let token = signed["token"].as_str().unwrap();
    let (status, mine) = server.call("GET", "/workgroups", Some(token), None);
    assert_eq!((status, &mine["items"]), (200, &serde_json::json!([])));

    for refused in [
        serde_json::json!({ "email": "not an address" }),
        serde_json::json!({ "name": "no address" }),
    ] {
        let (status, problem) = server.call("POST", "/dev/sign-in", None, Some(refused));
        assert_eq!(status, 400, "{problem}");
    }
    let (status, page) = server.call("GET", "/", None, None);
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("/web/app.js"));
    server.stop();
}

/// The server's answer to `method path` with `headers` and `body`: status and headers.
fn exchange(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, http::HeaderMap) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut request = http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", server.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = agent
        .run(request.body(body.unwrap_or("").to_owned()).unwrap())
        .expect("the server answers");
    (response.status().as_u16(), response.headers().clone())
}

/// A raw request's head, naming the server in its `Host`, plus `rest` (headers and body).
fn raw(server: &Server, request_line: &str, rest: &str) -> Vec<u8> {
    let host = server.base.trim_start_matches("http://");
    format!("{request_line}\r\nHost: {host}\r\n{rest}").into_bytes()
}

/// Long enough for any of the server's timeouts to have passed, twice over.
const PATIENCE: Duration = Duration::from_secs(45);

fn assert_problem(reply: &RawReply, status: u16) {
    assert_eq!(reply.status(), Some(status), "{reply:?}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{reply:?}"
    );
    let body: Value = serde_json::from_str(reply.body()).expect("a JSON problem");
    assert_eq!(body["status"], status, "{reply:?}");
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}
