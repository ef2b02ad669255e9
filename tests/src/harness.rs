//! Drives the API through its handlers with real API Gateway HTTP API (payload 2.0) events, on
//! the embedded store and its queue in a temporary folder, a recording mailer and a clock the
//! test moves. After every request the queue is drained into the mailer, as the local server's
//! sender would, so a test sees the emails a request made due.

use chrono::{DateTime, TimeZone, Utc};
use domain::{App, Settings, delivery::SendOutcome, message::AcceptLinks, secret::SecretKey};
use serde_json::{Value, json};

use api::web::SignIn;

use domain::fakes::{ManualClock, RecordingMailer};
use local::store::EmbeddedStore;

/// 2026-11-22T09:00:00Z, the moment every harness starts at.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

/// An HTTP answer: status, headers and the parsed JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Value,
    pub headers: http::HeaderMap,
}

impl Answer {
    /// Asserts a problem+json answer with `status` and returns its detail.
    pub fn assert_problem(&self, status: u16) -> &str {
        assert_eq!(self.status, status, "unexpected answer: {self:#?}");
        assert_eq!(
            self.content_type.as_deref(),
            Some("application/problem+json"),
            "not problem+json: {self:#?}"
        );
        for field in ["type", "title", "status", "detail"] {
            assert!(
                self.body.get(field).is_some(),
                "problem without {field}: {self:#?}"
            );
        }
        assert_eq!(self.body["status"], status);
        self.body["detail"].as_str().unwrap_or_default()
    }

    pub fn assert_ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {self:#?}");
        &self.body
    }
}

pub type LocalApp = App<EmbeddedStore, EmbeddedStore, ManualClock>;

/// One application on a fresh store.
pub struct Harness {
    pub app: LocalApp,
    pub mailer: RecordingMailer,
    pub clock: ManualClock,
    _dir: tempfile::TempDir,
}

impl Harness {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store =
            EmbeddedStore::open(&dir.path().join("store.sqlite3")).expect("the store opens");
        let mailer = RecordingMailer::default();
        let clock = ManualClock::at(start_time());
        let settings =
            Settings::new(AcceptLinks::new("https://invitations.test").expect("a valid base URL"));
        let app = App {
            queue: store.clone(),
            store,
            clock: clock.clone(),
            key: SecretKey::generate(),
            settings,
        };
        Self {
            app,
            mailer,
            clock,
            _dir: dir,
        }
    }

    /// Sends one request as API Gateway would deliver it; `as_email` signs it in.
    pub async fn call(
        &self,
        method: &str,
        path_and_query: &str,
        as_email: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.send_event(&api_gateway_event(method, path_and_query, as_email, body))
            .await
    }

    /// Sends a hand-made API Gateway event (for claims the other helpers do not produce).
    pub async fn send_event(&self, event: &Value) -> Answer {
        let request = lambda_http::request::from_str(&event.to_string())
            .expect("a valid API Gateway HTTP API event");
        let response = local::routes::answer(&self.app, &SignIn::None, &request).await;
        self.deliver_queued().await;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes: &[u8] = response.body().as_ref();
        let body = answer_body(content_type.as_deref(), bytes);
        Answer {
            status,
            content_type,
            body,
            headers: response.headers().clone(),
        }
    }

    /// Sends every email the queue holds that is due, as the sender would; what each became.
    pub async fn deliver_queued(&self) -> Vec<SendOutcome> {
        let mut outcomes = Vec::new();
        loop {
            let received = self
                .app
                .store
                .receive_emails(100, std::time::Duration::from_secs(60))
                .await
                .expect("the queue is readable");
            if received.is_empty() {
                return outcomes;
            }
            for message in received {
                let outcome = self
                    .app
                    .send_due(&message.email, &self.mailer)
                    .await
                    .expect("the store answers");
                self.app
                    .store
                    .delete_email(message.seq)
                    .await
                    .expect("the queue is writable");
                outcomes.push(outcome);
            }
        }
    }

    pub async fn get(&self, path: &str, as_email: &str) -> Answer {
        self.call("GET", path, Some(as_email), None).await
    }

    pub async fn post(&self, path: &str, as_email: Option<&str>, body: Value) -> Answer {
        self.call("POST", path, as_email, Some(body)).await
    }

    /// Creates a workgroup as `admin` and returns its id.
    pub async fn workgroup(&self, admin: &str, name: &str) -> String {
        let answer = self
            .post("/workgroups", Some(admin), json!({ "name": name }))
            .await;
        answer.assert_ok(201)["id"]
            .as_str()
            .expect("a workgroup id")
            .to_owned()
    }

    /// Invites `emails` into `role` and returns the per-entry results.
    pub async fn invite(&self, as_email: &str, wg: &str, emails: Value, role: &str) -> Vec<Value> {
        let answer = self
            .post(
                &format!("/workgroups/{wg}/invitations"),
                Some(as_email),
                json!({ "emails": emails, "role": role }),
            )
            .await;
        answer.assert_ok(200)["results"]
            .as_array()
            .expect("results")
            .clone()
    }

    /// The token of the newest email sent to `email`, read from its accept link.
    pub fn token_for(&self, email: &str) -> String {
        let sent = self.mailer.sent();
        let last = sent
            .iter()
            .rev()
            .find(|m| m.to.as_str() == email)
            .unwrap_or_else(|| panic!("no email was sent to {email}"));
        last.accept_link
            .split_once("#token=")
            .expect("the link carries the token in its fragment")
            .1
            .to_owned()
    }

    /// Invites one address into `role` and returns the invitation id and the token.
    pub async fn invited(
        &self,
        as_email: &str,
        wg: &str,
        email: &str,
        role: &str,
    ) -> (String, String) {
        let results = self.invite(as_email, wg, json!(email), role).await;
        let id = results[0]["invitation"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no invitation in {results:?}"))
            .to_owned();
        (id, self.token_for(email))
    }

    /// Invites and accepts: `email` becomes an agent of `wg` with `role`.
    pub async fn member(&self, admin: &str, wg: &str, email: &str, role: &str) {
        let (_, token) = self.invited(admin, wg, email, role).await;
        let answer = self
            .post(
                "/invitations/accept",
                Some(email),
                json!({ "token": token, "name": email.split('@').next() }),
            )
            .await;
        answer.assert_ok(200);
    }

    /// The workgroup's invitations as the administrator sees them.
    pub async fn invitations(&self, admin: &str, wg: &str) -> Vec<Value> {
        let answer = self
            .get(&format!("/workgroups/{wg}/invitations"), admin)
            .await;
        answer.assert_ok(200)["items"]
            .as_array()
            .expect("items")
            .clone()
    }

    /// The workgroup's agents as `who` sees them.
    pub async fn agents(&self, who: &str, wg: &str) -> Vec<Value> {
        let answer = self.get(&format!("/workgroups/{wg}/agents"), who).await;
        answer.assert_ok(200)["items"]
            .as_array()
            .expect("items")
            .clone()
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// A payload-2.0 event of API Gateway's HTTP API, with the JWT authorizer's claims when
/// signed in, shaped as AWS documents it.
pub fn api_gateway_event(
    method: &str,
    path_and_query: &str,
    as_email: Option<&str>,
    body: Option<Value>,
) -> Value {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    // API Gateway names the route it matched by its template, and parses the path's
    // parameters; a path no route matches keeps its own (and finds no function).
    let (route_key, parameters) = match local::routes::find(&method.parse().unwrap(), path) {
        Ok((route, params)) => {
            let mut parameters = serde_json::Map::new();
            for (name, value) in [("wg", params.wg), ("id", params.id), ("file", params.file)] {
                if let Some(value) = value {
                    parameters.insert(name.to_owned(), Value::String(value));
                }
            }
            (route.key(), Some(Value::Object(parameters)))
        }
        Err(_) => (format!("{method} {path}"), None),
    };
    let mut context = json!({
        "accountId": "123456789012",
        "apiId": "a1b2c3d4e5",
        "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "a1b2c3d4e5",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1",
            "userAgent": "harness"
        },
        "requestId": "JKJaXmPLvHcESHA=",
        "routeKey": route_key,
        "stage": "$default",
        "time": "22/Nov/2026:09:00:00 +0000",
        "timeEpoch": 1795338000000_i64
    });
    if let Some(email) = as_email {
        context["authorizer"] = json!({
            "jwt": {
                "claims": {
                    // One subject per person, however the address is typed.
                    "sub": format!("sub-{}", email.to_lowercase()),
                    "email": email,
                    "email_verified": "true",
                    "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
                    "aud": "example-client",
                    "token_use": "id"
                },
                "scopes": null
            }
        });
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "content-type": "application/json",
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
        },
        "requestContext": context,
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    });
    if let Some(parameters) = parameters.filter(|p| p.as_object().is_some_and(|p| !p.is_empty())) {
        event["pathParameters"] = parameters;
    }
    event
}

/// Answers an API Gateway request with the handler of the function `deployment` runs, as its
/// binary does.
pub async fn answer_http(
    deployment: &runtime::Deployment,
    request: lambda_http::Request,
) -> lambda_http::Response<lambda_http::Body> {
    use runtime::{Function, answer_http};
    match deployment.config.function {
        Function::Workgroups => answer_http::<workgroups::Handler, _>(deployment, request).await,
        Function::Invite => answer_http::<invite::Handler, _>(deployment, request).await,
        Function::List => answer_http::<list::Handler, _>(deployment, request).await,
        Function::Manage => answer_http::<manage::Handler, _>(deployment, request).await,
        Function::Accept => answer_http::<accept::Handler, _>(deployment, request).await,
        other => panic!("the {} function answers no HTTP request", other.name()),
    }
}

/// The name of the HTTP function whose handler answers `operation`.
pub fn function_of(operation: api::routes::Operation) -> &'static str {
    local::routes::FUNCTIONS
        .iter()
        .find(|(_, operations)| operations.contains(&operation))
        .map(|(name, _)| *name)
        .expect("every operation has a function")
}

/// An answer's body: JSON as a value (every API answer is JSON), the web console's pages and
/// files as a string.
pub fn answer_body(content_type: Option<&str>, bytes: &[u8]) -> Value {
    let json = content_type.is_none_or(|t| t.contains("json"));
    if bytes.is_empty() {
        Value::Null
    } else if json {
        serde_json::from_slice(bytes).expect("every API answer body is JSON")
    } else {
        Value::String(String::from_utf8_lossy(bytes).into_owned())
    }
}
