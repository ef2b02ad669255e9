//! A Lambda Runtime API on loopback, enough to run a real function binary as Lambda runs it:
//! the binary long-polls `GET /2018-06-01/runtime/invocation/next`, gets one event with the
//! request id, deadline and function ARN headers, and posts its answer to
//! `/invocation/{id}/response` (or `/error`). Init failures may be posted to `/init/error`.
//!
//! One emulator serves one function process. Each [`RuntimeApi::invoke`] queues an event and
//! waits for that invocation's answer; the function is told its deadline is its timeout from
//! the moment it takes the event, as Lambda tells it.

use std::{
    collections::{HashMap, VecDeque},
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, Response, StatusCode, body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::{net::TcpListener, sync::Notify};

/// How a function answered one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Response(Value),
    /// `/invocation/{id}/error`: the function's error type and message.
    Error(Value),
}

struct State {
    /// The function's timeout: how far each invocation's deadline is.
    timeout: Duration,
    queued: VecDeque<(String, Vec<u8>)>,
    outcomes: HashMap<String, Outcome>,
    init_error: Option<Value>,
    first_poll: Option<Instant>,
    polls: u64,
}

/// A running Runtime API.
pub struct RuntimeApi {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
    next_id: AtomicU64,
}

const PREFIX: &str = "/2018-06-01/runtime";

/// The timeout of a function started with [`RuntimeApi::start`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl RuntimeApi {
    /// Starts on a free loopback port, served by the calling tokio runtime, for a function
    /// whose timeout is [`DEFAULT_TIMEOUT`].
    pub async fn start() -> Self {
        Self::start_with_timeout(DEFAULT_TIMEOUT).await
    }

    /// Starts for a function with this timeout (its template's `Timeout`).
    pub async fn start_with_timeout(timeout: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let address = listener.local_addr().expect("a bound address");
        let state = Arc::new(Mutex::new(State {
            timeout,
            queued: VecDeque::new(),
            outcomes: HashMap::new(),
            init_error: None,
            first_poll: None,
            polls: 0,
        }));
        let changed = Arc::new(Notify::new());
        let (serve_state, serve_changed) = (state.clone(), changed.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (state, changed) = (serve_state.clone(), serve_changed.clone());
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request| answer(request, state.clone(), changed.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            address,
            state,
            changed,
            next_id: AtomicU64::new(1),
        }
    }

    /// `AWS_LAMBDA_RUNTIME_API` for the function process.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// The environment Lambda gives every function, pointing at this emulator.
    pub fn lambda_environment(&self, function: &str) -> Vec<(String, String)> {
        [
            ("AWS_LAMBDA_RUNTIME_API", self.address()),
            ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function}"),
            ),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/22/[$LATEST]emulated".to_owned(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Queues `event` and waits (up to `within`) for the function's answer.
    pub async fn invoke(&self, event: &Value, within: Duration) -> Outcome {
        let id = format!(
            "00000000-0000-4000-8000-{:012}",
            self.next_id.fetch_add(1, Ordering::Relaxed)
        );
        self.state
            .lock()
            .unwrap()
            .queued
            .push_back((id.clone(), event.to_string().into_bytes()));
        self.changed.notify_waiters();
        let deadline = Instant::now() + within;
        loop {
            let notified = self.changed.notified();
            if let Some(outcome) = self.state.lock().unwrap().outcomes.remove(&id) {
                return outcome;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no answer to invocation {id} within {within:?}"
            );
            let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), notified).await;
        }
    }

    /// Waits until the function has polled for its first event, i.e. finished its init, and
    /// returns when that was.
    pub async fn wait_for_first_poll(&self, within: Duration) -> Option<Instant> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(at) = self.state.lock().unwrap().first_poll {
                return Some(at);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        None
    }

    /// What the function posted to `/init/error`, if anything.
    pub fn init_error(&self) -> Option<Value> {
        self.state.lock().unwrap().init_error.clone()
    }

    /// How many times the function asked for an event.
    pub fn polls(&self) -> u64 {
        self.state.lock().unwrap().polls
    }
}

type Answer = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Answer {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(body.into()))
        .expect("a valid response")
}

async fn answer(
    request: Request<hyper::body::Incoming>,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
) -> Result<Answer, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(StatusCode::NOT_FOUND, "{}"));
    };
    let parsed = || serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let answer = match (method, rest) {
        (Method::GET, "/invocation/next") => {
            {
                let mut state = state.lock().unwrap();
                state.polls += 1;
                state.first_poll.get_or_insert_with(Instant::now);
            }
            // Long poll, as Lambda does: the function waits here between invocations.
            let (id, event, timeout) = loop {
                let notified = changed.notified();
                {
                    let mut state = state.lock().unwrap();
                    if let Some((id, event)) = state.queued.pop_front() {
                        break (id, event, state.timeout);
                    }
                }
                notified.await;
            };
            let deadline = SystemTime::now() + timeout;
            let deadline_ms = deadline.duration_since(UNIX_EPOCH).unwrap().as_millis();
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .header("lambda-runtime-aws-request-id", &id)
                .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
                .header(
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:emulated",
                )
                .header(
                    "lambda-runtime-trace-id",
                    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                )
                .body(Full::new(Bytes::from(event)))
                .expect("a valid response")
        }
        (Method::POST, "/init/error") => {
            state.lock().unwrap().init_error = Some(parsed());
            changed.notify_waiters();
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        (Method::POST, rest) => {
            let outcome = if let Some(id) = rest
                .strip_prefix("/invocation/")
                .and_then(|r| r.strip_suffix("/response"))
            {
                Some((id.to_owned(), Outcome::Response(parsed())))
            } else {
                rest.strip_prefix("/invocation/")
                    .and_then(|r| r.strip_suffix("/error"))
                    .map(|id| (id.to_owned(), Outcome::Error(parsed())))
            };
            match outcome {
                Some((id, outcome)) => {
                    state.lock().unwrap().outcomes.insert(id, outcome);
                    changed.notify_waiters();
                    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
                }
                None => reply(StatusCode::NOT_FOUND, "{}"),
            }
        }
        _ => reply(StatusCode::NOT_FOUND, "{}"),
    };
    Ok(answer)
}
