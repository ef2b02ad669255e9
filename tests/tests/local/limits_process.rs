//! The daily limits on the local server as a process, set through its environment: twenty
//! concurrent requests at each limit make exactly the limit over HTTP; the rest are 429
//! problem+json with `Retry-After` and change nothing.

use std::time::Duration;

use serde_json::{Value, json};
use tests::local_server::LocalServer;

struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn new(base: &str) -> Self {
        Self {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(60)))
                .build()
                .into(),
            base: base.to_owned(),
        }
    }

    /// `(status, Retry-After, body)` of a request signed in with `token`.
    fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Value,
    ) -> (u16, Option<String>, Value) {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {token}");
        let response = match method {
            "GET" => self.agent.get(&url).header("Authorization", &auth).call(),
            _ => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(body),
        };
        let mut response = response.expect("the server answers");
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let status = response.status().as_u16();
        let body = response.body_mut().read_json().unwrap_or(Value::Null);
        (status, retry_after, body)
    }

    fn sign_in(&self, email: &str) -> String {
        let mut response = self
            .agent
            .post(format!("{}/dev/sign-in", self.base))
            .send_json(json!({ "email": email }))
            .expect("the server answers");
        assert_eq!(response.status(), 200);
        let body: Value = response.body_mut().read_json().unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    fn workgroup(&self, token: &str, name: &str) -> (u16, Option<String>, Value) {
        self.call("POST", "/workgroups", token, json!({ "name": name }))
    }

    fn invite(&self, token: &str, wg: &str, emails: &str) -> (u16, Option<String>, Value) {
        self.call(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            token,
            json!({ "emails": emails, "role": "associate" }),
        )
    }
}

/// Runs `count` requests at once, on threads, and returns their answers.
fn burst<F>(count: usize, request: F) -> Vec<(u16, Option<String>, Value)>
where
    F: Fn(usize) -> (u16, Option<String>, Value) + Sync,
{
    std::thread::scope(|scope| {
        let running: Vec<_> = (0..count)
            .map(|n| {
                let request = &request;
                scope.spawn(move || request(n))
            })
            .collect();
        running.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

fn tally(answers: &[(u16, Option<String>, Value)], ok: u16, kind: &str) -> (usize, usize) {
    for (status, retry_after, body) in answers.iter().filter(|a| a.0 != ok) {
        assert_eq!(*status, 429, "{body}");
        assert_eq!(body["type"], format!("/problems/{kind}"), "{body}");
        assert!(
            retry_after
                .as_deref()
                .is_some_and(|s| s.parse::<u32>().is_ok_and(|s| s > 0))
        );
    }
    let granted = answers.iter().filter(|a| a.0 == ok).count();
    (granted, answers.len() - granted)
}

#[test]
fn the_local_server_enforces_each_daily_limit_from_its_environment() {
    let data = tempfile::tempdir().unwrap();
    let server = LocalServer::start(
        tests::binaries::local(),
        &["--data-dir", data.path().to_str().unwrap()],
        &[
            ("RUST_LOG", "warn"),
            ("WORKGROUP_DAILY_LIMIT", "3"),
            ("INVITER_DAILY_LIMIT", "4"),
            ("RECIPIENT_DAILY_LIMIT", "2"),
        ],
    );
    let client = Client::new(&server.base);

    // Workgroups per person.
    let ada = client.sign_in("ada@example.com");
    let created = burst(20, |n| client.workgroup(&ada, &format!("FREE PRIZE {n}")));
    assert_eq!(tally(&created, 201, "too-many-workgroups"), (3, 17));
    let mine = client.call("GET", "/workgroups", &ada, Value::Null);
    let groups: Vec<String> = mine.2["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(groups.len(), 3);

    // Emails per inviter, all workgroups together.
    let sent = burst(20, |n| {
        client.invite(&ada, &groups[n % 3], &format!("target{n}@example.com"))
    });
    assert_eq!(tally(&sent, 200, "too-many-invitations"), (4, 16));

    // Emails per recipient, whoever sends them.
    let senders: Vec<(String, String)> = (0..20)
        .map(|n| {
            let token = client.sign_in(&format!("admin{n}@shops.example"));
            let (status, _, body) = client.workgroup(&token, &format!("Shop {n}"));
            assert_eq!(status, 201, "{body}");
            (token, body["id"].as_str().unwrap().to_owned())
        })
        .collect();
    let received = burst(20, |n| {
        let (token, wg) = &senders[n];
        client.invite(token, wg, "popular@example.com")
    });
    assert_eq!(tally(&received, 200, "too-many-invitations"), (2, 18));
    // The server's sender hands emails over a moment after the request that made them due.
    let in_outbox = || {
        std::fs::read_dir(data.path().join("outbox"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|entry| {
                std::fs::read_to_string(entry.path())
                    .is_ok_and(|text| text.contains("popular@example.com"))
            })
            .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while in_outbox() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let to_popular = in_outbox();
    assert_eq!(
        to_popular, 2,
        "only the emails the limit allowed are in the outbox"
    );
}
