//! A stand-in SES v2 endpoint on loopback, for the faults moto cannot make: SES's sending rate,
//! an outage, a permanent refusal. It speaks enough of SES v2's REST-JSON protocol for the real
//! `aws_sdk_sesv2` client:
//!
//! - `POST /v2/email/outbound-emails` (`SendEmail`, simple content): `200 {"MessageId"}` while
//!   the account's rate allows, else `429` with `x-amzn-ErrorType: TooManyRequestsException`
//!   ("Maximum sending rate exceeded."), as SES answers past the send rate; `400
//!   MessageRejected` for an address told to [`SesStandIn::reject`]; `400 BadRequestException`
//!   for a body without a sender, a recipient or a subject.
//! - `GET /v2/email/account` (`GetAccount`): the send quota, with the configured rate.
//!
//! The rate is a token bucket of `rate` tokens refilled at `rate` a second: a burst of one
//! second's worth, then `rate` a second, which is how SES describes its maximum send rate. It
//! can be taken [`Down`] (connections refused, or `503` to every request) and brought back.
//! Every answer is counted, and every accepted email is kept (recipient, subject, the accept
//! link) so that tests count emails per recipient and kind.
//!
//! Point a client at it with [`SesStandIn::client`]: the same SDK configuration (credentials,
//! region, retries) with this endpoint for SES alone.

use std::{
    collections::{BTreeMap, HashSet},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use aws_config::SdkConfig;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, Response, StatusCode, body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::{net::TcpListener, task::JoinHandle};

/// How the stand-in is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Down {
    /// Nothing listens on its port: connections are refused, open ones are closed.
    Refused,
    /// It answers every request `503 ServiceUnavailable`.
    Unavailable,
}

/// Which email an accepted message is, from its subject (English or Japanese).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Invitation,
    Reminder,
}

/// One email the stand-in accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub message_id: String,
    pub to: String,
    pub subject: String,
    /// The accept link of the text part (`https://…/accept#token=…`), if it has one.
    pub link: Option<String>,
    /// The tags SES would echo in its events (`workgroup`, `invitation`, `send`…).
    pub tags: BTreeMap<String, String>,
    pub at: Instant,
}

impl Accepted {
    pub fn kind(&self) -> Kind {
        if self.subject.starts_with("Reminder:") || self.subject.starts_with("リマインダー") {
            Kind::Reminder
        } else {
            Kind::Invitation
        }
    }

    /// The token of the accept link.
    pub fn token(&self) -> Option<&str> {
        self.link.as_deref()?.split_once("#token=").map(|(_, t)| t)
    }
}

/// What the stand-in answered, by kind of answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Answers {
    pub accepted: usize,
    /// `429 TooManyRequestsException`.
    pub throttled: usize,
    /// `400 MessageRejected` or `BadRequestException`.
    pub rejected: usize,
    /// `503` while [`Down::Unavailable`].
    pub unavailable: usize,
    /// Requests on connections that were open when it went [`Down::Refused`], closed unanswered.
    pub dropped: usize,
}

struct Bucket {
    rate: u32,
    tokens: f64,
    filled_at: Instant,
}

impl Bucket {
    fn new(rate: u32) -> Self {
        Self {
            rate,
            tokens: f64::from(rate),
            filled_at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let rate = f64::from(self.rate);
        let elapsed = now.duration_since(self.filled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(rate);
        self.filled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct State {
    /// `None`: no limit.
    bucket: Option<Bucket>,
    down: Option<Down>,
    latency: Duration,
    rejected_addresses: HashSet<String>,
    accepted: Vec<Accepted>,
    answers: Answers,
}

struct Shared {
    state: Mutex<State>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

/// A running stand-in. Its server runs on the tokio runtime that started it and stops when it
/// is dropped.
pub struct SesStandIn {
    address: SocketAddr,
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
}

impl SesStandIn {
    /// Starts on a free loopback port, accepting `rate` emails a second (`None`: any number).
    pub async fn start(rate: Option<u32>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let address = listener.local_addr().expect("a bound address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                bucket: rate.map(Bucket::new),
                down: None,
                latency: Duration::ZERO,
                rejected_addresses: HashSet::new(),
                accepted: Vec::new(),
                answers: Answers::default(),
            }),
            listener: Mutex::new(None),
        });
        let standin = Self {
            address,
            shared,
            runtime: tokio::runtime::Handle::current(),
        };
        standin.listen(listener);
        standin
    }

    fn listen(&self, listener: TcpListener) {
        let shared = self.shared.clone();
        let task = self.runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| answer(shared.clone(), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        if let Some(previous) = self.shared.listener.lock().unwrap().replace(task) {
            previous.abort();
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// An SES v2 client of `sdk` (its credentials, region, retries) that sends here.
    pub fn client(&self, sdk: &SdkConfig) -> aws_sdk_sesv2::Client {
        aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(sdk)
                .endpoint_url(self.endpoint())
                .build(),
        )
    }

    /// From now on, `rate` emails a second (`None`: any number; `Some(0)`: none), starting
    /// with a full second's worth.
    pub fn set_rate(&self, rate: Option<u32>) {
        self.shared.state.lock().unwrap().bucket = rate.map(Bucket::new);
    }

    /// Every accepted email takes this long to answer (SES takes some tens of milliseconds).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.state.lock().unwrap().latency = latency;
    }

    /// Emails to `address` are refused for good from now on (`400 MessageRejected`), as SES
    /// refuses an address on its suppression list.
    pub fn reject(&self, address: &str) {
        self.shared
            .state
            .lock()
            .unwrap()
            .rejected_addresses
            .insert(address.to_ascii_lowercase());
    }

    /// Takes it down until [`Self::come_back`].
    pub async fn go_down(&self, how: Down) {
        match how {
            Down::Refused => {
                if let Some(listener) = self.shared.listener.lock().unwrap().take() {
                    listener.abort();
                }
            }
            Down::Unavailable => self.listen_again().await,
        }
        self.shared.state.lock().unwrap().down = Some(how);
    }

    /// Up again, on the same port.
    pub async fn come_back(&self) {
        self.listen_again().await;
        self.shared.state.lock().unwrap().down = None;
    }

    /// Listens on its port again if it stopped.
    async fn listen_again(&self) {
        if self.shared.listener.lock().unwrap().is_some() {
            return;
        }
        // The aborted accept loop lets go of the port once its task is dropped.
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(error) => {
                    panic!(
                        "the stand-in cannot listen on {} again: {error}",
                        self.address
                    )
                }
            }
        };
        self.listen(listener);
    }

    /// Every email accepted so far, in the order accepted.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.shared.state.lock().unwrap().accepted.clone()
    }

    /// Emails of `kind` accepted for `to`.
    pub fn count(&self, to: &str, kind: Kind) -> usize {
        let to = to.to_ascii_lowercase();
        self.shared
            .state
            .lock()
            .unwrap()
            .accepted
            .iter()
            .filter(|email| email.to == to && email.kind() == kind)
            .count()
    }

    /// How many emails of each kind each recipient got.
    pub fn per_recipient(&self) -> BTreeMap<(String, Kind), usize> {
        let mut counts = BTreeMap::new();
        for email in self.shared.state.lock().unwrap().accepted.iter() {
            *counts.entry((email.to.clone(), email.kind())).or_default() += 1;
        }
        counts
    }

    /// The latest email of `kind` accepted for `to`.
    pub fn latest(&self, to: &str, kind: Kind) -> Option<Accepted> {
        let to = to.to_ascii_lowercase();
        self.shared
            .state
            .lock()
            .unwrap()
            .accepted
            .iter()
            .rev()
            .find(|email| email.to == to && email.kind() == kind)
            .cloned()
    }

    /// What it answered so far.
    pub fn answers(&self) -> Answers {
        self.shared.state.lock().unwrap().answers
    }

    /// Forgets every accepted email and answer (the rate, latency and refusals stay).
    pub fn forget(&self) {
        let mut state = self.shared.state.lock().unwrap();
        state.accepted.clear();
        state.answers = Answers::default();
    }
}

impl Drop for SesStandIn {
    fn drop(&mut self) {
        if let Some(listener) = self.shared.listener.lock().unwrap().take() {
            listener.abort();
        }
    }
}

type Answer = Response<Full<Bytes>>;

/// An SES error as the REST-JSON protocol carries it: the code in `x-amzn-ErrorType`, the
/// message in the body.
fn error(status: StatusCode, code: &str, message: &str) -> Answer {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-ErrorType", code)
        .header("x-amzn-RequestId", request_id())
        .body(Full::new(Bytes::from(
            json!({ "message": message }).to_string(),
        )))
        .expect("a valid response")
}

fn ok(body: Value) -> Answer {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", request_id())
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid response")
}

fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("standin-{:012}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Answers one request; an error closes the connection unanswered.
async fn answer(
    shared: Arc<Shared>,
    request: Request<hyper::body::Incoming>,
) -> Result<Answer, std::io::Error> {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let body = request
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    {
        let mut state = shared.state.lock().unwrap();
        match state.down {
            Some(Down::Refused) => {
                state.answers.dropped += 1;
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "the stand-in is down",
                ));
            }
            Some(Down::Unavailable) => {
                state.answers.unavailable += 1;
                return Ok(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "Service Unavailable",
                ));
            }
            None => {}
        }
    }
    Ok(match (method, path.as_str()) {
        (Method::POST, "/v2/email/outbound-emails") => send_email(&shared, &body).await,
        (Method::GET, "/v2/email/account") => {
            let state = shared.state.lock().unwrap();
            let rate = state.bucket.as_ref().map_or(1000, |bucket| bucket.rate);
            ok(json!({
                "SendQuota": {
                    "Max24HourSend": 50000.0,
                    "MaxSendRate": f64::from(rate),
                    "SentLast24Hours": state.answers.accepted as f64
                },
                "SendingEnabled": true,
                "ProductionAccessEnabled": true,
                "DedicatedIpAutoWarmupEnabled": false,
                "EnforcementStatus": "HEALTHY"
            }))
        }
        (_, path) => error(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            &format!("the stand-in does not serve {path}"),
        ),
    })
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// `SendEmail` with simple content.
async fn send_email(shared: &Shared, body: &[u8]) -> Answer {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let to = text(&request["Destination"]["ToAddresses"][0]).map(|to| to.to_ascii_lowercase());
    let simple = &request["Content"]["Simple"];
    let subject = text(&simple["Subject"]["Data"]);
    let (Some(to), Some(subject), Some(_from)) = (to, subject, text(&request["FromEmailAddress"]))
    else {
        shared.state.lock().unwrap().answers.rejected += 1;
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "a sender, a recipient and a subject are required",
        );
    };
    let latency = {
        let mut state = shared.state.lock().unwrap();
        if state.rejected_addresses.contains(&to) {
            state.answers.rejected += 1;
            return error(
                StatusCode::BAD_REQUEST,
                "MessageRejected",
                "Email address is on the suppression list for your account.",
            );
        }
        let allowed = state.bucket.as_mut().is_none_or(Bucket::take);
        if !allowed {
            state.answers.throttled += 1;
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Maximum sending rate exceeded.",
            );
        }
        state.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let link = text(&simple["Body"]["Text"]["Data"]).and_then(|text| {
        let start = text.find("https://")?;
        let link: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        link.contains("#token=").then_some(link)
    });
    let tags = request["EmailTags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tag| Some((text(&tag["Name"])?, text(&tag["Value"])?)))
        .collect();
    let message_id = format!("standin-{}", request_id());
    let mut state = shared.state.lock().unwrap();
    state.answers.accepted += 1;
    state.accepted.push(Accepted {
        message_id: message_id.clone(),
        to,
        subject,
        link,
        tags,
        at: Instant::now(),
    });
    ok(json!({ "MessageId": message_id }))
}
