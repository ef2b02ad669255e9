//! A load run against the local server as a process: 10,000 mixed requests from 32 concurrent
//! clients (invites, lists, resends, cancels, lookups, accepts, declines, the audit trail) on
//! four workgroups sharing a small pool of invitees each, so the same invitations are raced
//! constantly. Then the invariants: no server error; at most one live invitation per address and
//! workgroup; no membership without its acceptance in the trail; no accepted token works again;
//! no email lost (every pending invitation's current send is in the outbox, delivered).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::{Value, json};
use tests::local_server::LocalServer;

const REQUESTS: usize = 10_016;
const CLIENTS: usize = 32;
const WORKGROUPS: usize = 4;
const INVITEES_PER_WORKGROUP: usize = 40;

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

    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Bearer {t}"));
        let with = |mut request: ureq::RequestBuilder<ureq::typestate::WithoutBody>| {
            if let Some(auth) = &auth {
                request = request.header("Authorization", auth);
            }
            request
        };
        let mut response = match (method, body) {
            ("GET", _) => with(self.agent.get(&url)).call(),
            ("DELETE", _) => with(self.agent.delete(&url)).call(),
            ("POST", body) => {
                let mut request = self.agent.post(&url);
                if let Some(auth) = &auth {
                    request = request.header("Authorization", auth);
                }
                match body {
                    Some(body) => request.send_json(&body),
                    None => request.send_empty(),
                }
            }
            _ => panic!("unsupported method {method}"),
        }
        .expect("the server answers");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn sign_in(&self, email: &str) -> String {
        let (status, body) = self.call(
            "POST",
            "/dev/sign-in",
            None,
            Some(json!({ "email": email, "name": email })),
        );
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// Every item of a list, following its cursors.
    fn all(&self, path: &str, token: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = match &next {
                Some(cursor) => format!("{path}?limit=100&cursor={cursor}"),
                None => format!("{path}?limit=100"),
            };
            let (status, body) = self.call("GET", &page, Some(token), None);
            assert_eq!(status, 200, "{page}: {body}");
            items.extend(body["items"].as_array().unwrap().iter().cloned());
            match body["next_cursor"].as_str() {
                Some(cursor) => next = Some(cursor.to_owned()),
                None => return items,
            }
        }
    }
}

/// A small deterministic generator: the run is the same mix every time.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The accept links in the outbox, by recipient, read incrementally (files are named by the
/// time they were sent, so the newest is last).
#[derive(Default)]
struct Outbox {
    seen: HashSet<PathBuf>,
    links: HashMap<String, Vec<String>>,
}

impl Outbox {
    fn refresh(&mut self, dir: &Path) {
        for path in local::outbox::messages(dir).unwrap() {
            if !self.seen.insert(path.clone()) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let (mut to, mut link) = (None, None);
            let mut last: Option<&mut String> = None;
            let mut fields: Vec<(String, String)> = Vec::new();
            for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
                if line.is_empty() {
                    break;
                }
                if line.starts_with([' ', '\t']) {
                    if let Some(value) = last.as_mut() {
                        value.push_str(line.trim());
                    }
                    continue;
                }
                if let Some((name, value)) = line.split_once(':') {
                    fields.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
                }
                last = None;
                if let Some(field) = fields.last_mut() {
                    last = Some(&mut field.1);
                }
            }
            for (name, value) in fields {
                match name.as_str() {
                    "to" => {
                        to = Some(
                            value
                                .trim_matches(['<', '>'])
                                .rsplit('<')
                                .next()
                                .unwrap()
                                .trim_end_matches('>')
                                .to_owned(),
                        )
                    }
                    "x-accept-link" => link = Some(value.split_whitespace().collect::<String>()),
                    _ => {}
                }
            }
            if let (Some(to), Some(link)) = (to, link) {
                self.links
                    .entry(to.to_ascii_lowercase())
                    .or_default()
                    .push(link);
            }
        }
    }

    fn tokens_to(&self, to: &str) -> Vec<String> {
        self.links
            .get(to)
            .map(|links| {
                links
                    .iter()
                    .map(|l| l.split_once("#token=").unwrap().1.to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

type Statuses = Mutex<BTreeMap<(String, u16), usize>>;

/// Counts an answer; a server error fails the run.
fn record(statuses: &Statuses, kind: &str, status: u16, body: &Value) {
    assert!(status < 500, "{kind} answered {status}: {body}");
    *statuses
        .lock()
        .unwrap()
        .entry((kind.to_owned(), status))
        .or_default() += 1;
}

#[test]
fn ten_thousand_mixed_requests_leave_every_invariant_standing() {
    let data = tempfile::tempdir().unwrap();
    let server = LocalServer::start(
        tests::binaries::local(),
        &[],
        &[
            ("LOCAL_DATA_DIR", data.path().to_str().unwrap()),
            ("RUST_LOG", "error"),
            // The daily limits are not what this run is about.
            ("INVITE_DAILY_LIMIT", "1000000"),
            ("INVITER_DAILY_LIMIT", "1000000"),
            ("RECIPIENT_DAILY_LIMIT", "1000000"),
            ("WORKGROUP_DAILY_LIMIT", "1000000"),
            // The outbox takes emails as fast as the sender hands them over.
            ("SES_MAX_SEND_RATE", "1000"),
        ],
    );
    let base = server.base.clone();
    let client = Client::new(&base);
    let outbox_dir = data.path().join("outbox");

    // Four workgroups, each with its administrator and its own invitees.
    let mut workgroups = Vec::new();
    for w in 0..WORKGROUPS {
        let admin = format!("admin{w}@example.com");
        let token = client.sign_in(&admin);
        let (status, made) = client.call(
            "POST",
            "/workgroups",
            Some(&token),
            Some(json!({ "name": format!("Load {w}") })),
        );
        assert_eq!(status, 201, "{made}");
        let invitees: Vec<String> = (0..INVITEES_PER_WORKGROUP)
            .map(|i| format!("p{i}.w{w}@example.com"))
            .collect();
        workgroups.push((
            made["id"].as_str().unwrap().to_owned(),
            admin,
            token,
            invitees,
        ));
    }
    let sign_ins: HashMap<String, String> = workgroups
        .iter()
        .flat_map(|(_, _, _, invitees)| invitees.iter())
        .map(|email| (email.clone(), client.sign_in(email)))
        .collect();

    let workgroups = Arc::new(workgroups);
    let sign_ins = Arc::new(sign_ins);
    let known: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let accepted: Arc<Mutex<Vec<String>>> = Arc::default();
    let outbox: Arc<Mutex<Outbox>> = Arc::default();
    let statuses: Arc<Statuses> = Arc::default();

    let threads: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (workgroups, sign_ins, known, accepted, outbox, statuses) = (
                workgroups.clone(),
                sign_ins.clone(),
                known.clone(),
                accepted.clone(),
                outbox.clone(),
                statuses.clone(),
            );
            let client = Client::new(&base);
            let outbox_dir = outbox_dir.clone();
            std::thread::spawn(move || {
                let mut dice = Dice(
                    0x9e37_79b9_7f4a_7c15 ^ (n as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d),
                );
                for _ in 0..REQUESTS / CLIENTS {
                    let w = dice.below(WORKGROUPS);
                    let (wg, _, admin, invitees) = &workgroups[w];
                    let someone = &invitees[dice.below(invitees.len())];
                    let roll = dice.below(100);
                    let (kind, status, body) = if roll < 25 {
                        let mut emails = vec![someone.clone()];
                        if dice.below(2) == 0 {
                            emails.push(invitees[dice.below(invitees.len())].clone());
                        }
                        let role = ["manager", "associate", "inactive"][dice.below(3)];
                        let (status, body) = client.call(
                            "POST",
                            &format!("/workgroups/{wg}/invitations"),
                            Some(admin),
                            Some(json!({ "emails": emails.join(", "), "role": role })),
                        );
                        if status == 200 {
                            let mut known = known.lock().unwrap();
                            for result in body["results"].as_array().unwrap() {
                                if let Some(id) = result["invitation"]["id"].as_str() {
                                    known.push((w, id.to_owned()));
                                }
                            }
                        }
                        ("invite", status, body)
                    } else if roll < 45 {
                        let (s, b) = client.call(
                            "GET",
                            &format!("/workgroups/{wg}/invitations"),
                            Some(admin),
                            None,
                        );
                        ("list invitations", s, b)
                    } else if roll < 52 {
                        let (s, b) = client.call(
                            "GET",
                            &format!("/workgroups/{wg}/agents"),
                            Some(admin),
                            None,
                        );
                        ("list agents", s, b)
                    } else if roll < 57 {
                        let (s, b) = client.call(
                            "GET",
                            &format!("/workgroups/{wg}/events"),
                            Some(admin),
                            None,
                        );
                        ("list events", s, b)
                    } else if roll < 75 {
                        let pick = {
                            let known = known.lock().unwrap();
                            (!known.is_empty()).then(|| known[dice.below(known.len())].clone())
                        };
                        let Some((w, id)) = pick else {
                            let (s, b) = client.call(
                                "GET",
                                &format!("/workgroups/{wg}/invitations"),
                                Some(admin),
                                None,
                            );
                            record(&statuses, "list invitations", s, &b);
                            continue;
                        };
                        let (wg, _, admin, _) = &workgroups[w];
                        let path = format!("/workgroups/{wg}/invitations/{id}");
                        if roll < 67 {
                            let (s, b) =
                                client.call("POST", &format!("{path}/resend"), Some(admin), None);
                            ("resend", s, b)
                        } else {
                            let (s, b) = client.call("DELETE", &path, Some(admin), None);
                            ("cancel", s, b)
                        }
                    } else {
                        let token = {
                            let mut outbox = outbox.lock().unwrap();
                            outbox.refresh(&outbox_dir);
                            outbox.tokens_to(someone).last().cloned()
                        };
                        let Some(token) = token else {
                            let (s, b) = client.call(
                                "POST",
                                "/invitations/lookup",
                                None,
                                Some(json!({ "token": "never-emailed" })),
                            );
                            record(&statuses, "lookup", s, &b);
                            continue;
                        };
                        if roll < 88 {
                            let (s, b) = client.call(
                                "POST",
                                "/invitations/accept",
                                Some(&sign_ins[someone]),
                                Some(json!({ "token": token, "name": "Load Tester" })),
                            );
                            if s == 200 {
                                accepted.lock().unwrap().push(token);
                            }
                            ("accept", s, b)
                        } else if roll < 94 {
                            let (s, b) = client.call(
                                "POST",
                                "/invitations/decline",
                                None,
                                Some(json!({ "token": token })),
                            );
                            ("decline", s, b)
                        } else {
                            let (s, b) = client.call(
                                "POST",
                                "/invitations/lookup",
                                None,
                                Some(json!({ "token": token })),
                            );
                            ("lookup", s, b)
                        }
                    };
                    record(&statuses, kind, status, &body);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a client thread finished");
    }
    let statuses = statuses.lock().unwrap().clone();
    let answered: usize = statuses.values().sum();
    println!("answers by kind and status ({answered}): {statuses:?}");
    assert_eq!(
        answered,
        REQUESTS / CLIENTS * CLIENTS,
        "every request answered"
    );

    // --- the invariants -------------------------------------------------------------------------
    // Emails go out a moment after the requests that made them due: wait for the sender.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let queued = workgroups.iter().any(|(wg, _, admin, _)| {
            client
                .all(&format!("/workgroups/{wg}/invitations"), admin)
                .iter()
                .any(|i| i["status"] == "pending" && i["delivery"] == "queued")
        });
        if !queued || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut outbox = outbox.lock().unwrap();
    outbox.refresh(&outbox_dir);
    for (wg, admin_email, admin, _) in workgroups.iter() {
        let invitations = client.all(&format!("/workgroups/{wg}/invitations"), admin);
        let mut seen = HashSet::new();
        for invitation in &invitations {
            let email = invitation["email"].as_str().unwrap();
            assert!(
                seen.insert(email.to_owned()),
                "two live invitations for {email} in {wg}"
            );
            // No email lost: the current send of every pending invitation is in the outbox.
            if invitation["status"] == "pending" {
                assert_eq!(invitation["delivery"], "sent", "{invitation}");
                let current = outbox.tokens_to(email).into_iter().any(|token| {
                    let (status, preview) = client.call(
                        "POST",
                        "/invitations/lookup",
                        None,
                        Some(json!({ "token": token })),
                    );
                    status == 200
                        && preview["workgroup"]["id"] == *wg
                        && preview["expires_at"] == invitation["expires_at"]
                });
                assert!(
                    current,
                    "the current email of {invitation} is not in the outbox"
                );
            }
        }
        // No membership without its acceptance, and one acceptance per membership.
        let agents = client.all(&format!("/workgroups/{wg}/agents"), admin);
        let events = client.all(&format!("/workgroups/{wg}/events"), admin);
        let mut acceptances: HashMap<String, usize> = HashMap::new();
        for event in events.iter().filter(|e| e["type"] == "invitation.accepted") {
            *acceptances
                .entry(event["invitation"]["email"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        for agent in &agents {
            let email = agent["email"].as_str().unwrap();
            if email == admin_email {
                continue;
            }
            assert_eq!(
                acceptances.get(email),
                Some(&1),
                "{email} is an agent of {wg} with acceptances {acceptances:?}"
            );
        }
        assert_eq!(
            acceptances.len(),
            agents.len() - 1,
            "every acceptance made an agent"
        );
        assert!(
            invitations
                .iter()
                .all(|i| agents.iter().all(|a| a["email"] != i["email"])),
            "an agent still has a live invitation"
        );
    }
    // No accepted token works again.
    let accepted = accepted.lock().unwrap();
    assert!(!accepted.is_empty(), "the run accepted nothing");
    for token in accepted.iter() {
        let (status, _) = client.call(
            "POST",
            "/invitations/lookup",
            None,
            Some(json!({ "token": token })),
        );
        assert_eq!(status, 404);
    }
    drop(server);
}
