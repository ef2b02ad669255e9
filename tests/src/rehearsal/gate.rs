//! The AWS endpoint one function process talks to in the rehearsal: every SDK request is read
//! as IAM reads it (its actions, resources and condition keys), decided on that function's
//! policies as the stack resolved them, recorded, and then forwarded to moto, or refused as AWS
//! refuses it (`AccessDeniedException`) when a policy denies it.

use std::{
    collections::BTreeMap,
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use http_body_util::{BodyExt, Full};
use hyper::{Request as HttpRequest, Response, body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use super::iam::{Decision, Request, decide};

/// The account and region every rehearsal stack is in.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// One SDK call and IAM's decisions on what it needs.
#[derive(Debug, Clone)]
pub struct Call {
    /// `dynamodb:TransactWriteItems`, `ses:SendEmail`…
    pub operation: String,
    pub checks: Vec<(Request, Decision)>,
}

impl Call {
    pub fn allowed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|(_, d)| *d == Decision::Allow)
    }
}

/// What the gate knows of the stack to read requests as IAM does.
#[derive(Debug, Clone)]
pub struct Context {
    /// The SES identities the stack verified (domains and addresses).
    pub ses_identities: Vec<String>,
}

struct Shared {
    statements: Vec<Value>,
    upstream: SocketAddr,
    context: Context,
    calls: Mutex<Vec<Call>>,
}

/// A running gate.
pub struct Gate {
    address: SocketAddr,
    shared: Arc<Shared>,
}

impl Gate {
    /// Starts on a free loopback port, deciding on `statements` (the function's identity
    /// policies) and forwarding to `upstream` (moto).
    pub async fn start(statements: Vec<Value>, upstream: &str, context: Context) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().unwrap();
        let upstream = upstream
            .trim_start_matches("http://")
            .parse()
            .expect("moto on a loopback address");
        let shared = Arc::new(Shared {
            statements,
            upstream,
            context,
            calls: Mutex::new(Vec::new()),
        });
        let serving = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(shared.clone(), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { address, shared }
    }

    /// `AWS_ENDPOINT_URL` for the function.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: HttpRequest<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let (operation, json_protocol, needs) = read(&parts, &body, &shared.context);
    let checks: Vec<(Request, Decision)> = needs
        .into_iter()
        .map(|need| {
            let decision = decide(&shared.statements, &need);
            (need, decision)
        })
        .collect();
    let call = Call { operation, checks };
    let allowed = call.allowed();
    shared.calls.lock().unwrap().push(call.clone());
    if !allowed {
        return Ok(denied(&call, json_protocol));
    }
    Ok(forward(shared.upstream, parts, body).await)
}

fn denied(call: &Call, json_protocol: bool) -> Response<Full<Bytes>> {
    let message = format!("the rehearsal's IAM check refused {call:?}");
    let (status, body) = if json_protocol {
        (
            400,
            json!({"__type": "com.amazon.coral.service#AccessDeniedException", "message": message}),
        )
    } else {
        (403, json!({"message": message}))
    };
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-errortype", "AccessDeniedException")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

async fn forward(
    upstream: SocketAddr,
    parts: http::request::Parts,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let failed = |why: String| {
        Response::builder()
            .status(502)
            .body(Full::new(Bytes::from(why)))
            .unwrap()
    };
    let stream = match TcpStream::connect(upstream).await {
        Ok(stream) => stream,
        Err(e) => return failed(format!("moto: {e}")),
    };
    let (mut sender, connection) =
        match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
            Ok(pair) => pair,
            Err(e) => return failed(format!("moto: {e}")),
        };
    tokio::spawn(connection);
    let request = HttpRequest::from_parts(parts, Full::new(body));
    match sender.send_request(request).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Response::from_parts(parts, Full::new(body))
        }
        Err(e) => failed(format!("moto: {e}")),
    }
}

fn arn(service: &str, resource: &str) -> String {
    format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}")
}

/// The operation, whether its protocol is JSON (`X-Amz-Target`), and what IAM checks for it.
fn read(
    parts: &http::request::Parts,
    body: &[u8],
    context: &Context,
) -> (String, bool, Vec<Request>) {
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(operation) = target.strip_prefix("DynamoDB_20120810.") {
        return (
            format!("dynamodb:{operation}"),
            true,
            dynamodb(operation, &body),
        );
    }
    if let Some(operation) = target.strip_prefix("secretsmanager.") {
        let secret = body["SecretId"].as_str().unwrap_or_default();
        return (
            format!("secretsmanager:{operation}"),
            true,
            vec![Request::new(&format!("secretsmanager:{operation}"), secret)],
        );
    }
    if let Some(operation) = target.strip_prefix("AWSEvents.") {
        let action = format!("events:{operation}");
        let needs = body["Entries"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| {
                let bus = entry["EventBusName"].as_str().unwrap_or("default");
                let bus = if bus.starts_with("arn:") {
                    bus.to_owned()
                } else {
                    arn("events", &format!("event-bus/{bus}"))
                };
                let mut need = Request::new(&action, &bus);
                if let Some(source) = entry["Source"].as_str() {
                    need = need.with("events:source", source);
                }
                need
            })
            .collect();
        return (action, true, needs);
    }
    if let Some(operation) = target.strip_prefix("AmazonSQS.") {
        // A batch call is authorised as its one-message action, on the queue its URL names.
        let action = format!("sqs:{}", operation.trim_end_matches("Batch"));
        let queue = body["QueueUrl"].as_str().unwrap_or_default();
        let name = queue.rsplit('/').next().unwrap_or_default();
        return (
            format!("sqs:{operation}"),
            true,
            vec![Request::new(&action, &arn("sqs", name))],
        );
    }
    if parts.method == http::Method::POST && parts.uri.path() == "/v2/email/outbound-emails" {
        return ("ses:SendEmail".into(), false, send_email(&body, context));
    }
    // The account's sending quota: an account-level read, on no resource.
    if parts.method == http::Method::GET && parts.uri.path() == "/v2/email/account" {
        return (
            "ses:GetAccount".into(),
            false,
            vec![Request::new("ses:GetAccount", "*")],
        );
    }
    (
        format!("unknown: {} {} {target}", parts.method, parts.uri.path()),
        !target.is_empty(),
        vec![],
    )
}

fn table(name: &str) -> String {
    arn("dynamodb", &format!("table/{name}"))
}

fn dynamodb(operation: &str, body: &Value) -> Vec<Request> {
    let on = |action: &str, item: &Value| {
        let name = item["TableName"].as_str().unwrap_or_default();
        let mut resource = table(name);
        if let Some(index) = item["IndexName"].as_str() {
            resource = format!("{resource}/index/{index}");
        }
        Request::new(&format!("dynamodb:{action}"), &resource)
    };
    match operation {
        // A transaction needs the action of each of its parts, on each part's table.
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|part| {
                let part = part.as_object()?;
                let (kind, item) = part.iter().next()?;
                let action = match kind.as_str() {
                    "ConditionCheck" => "ConditionCheckItem",
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    other => panic!("a transaction part {other}"),
                };
                Some(on(action, item))
            })
            .collect(),
        "TransactGetItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|part| on("GetItem", &part["Get"]))
            .collect(),
        "BatchGetItem" | "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, _)| Request::new(&format!("dynamodb:{operation}"), &table(name)))
            .collect(),
        _ => vec![on(operation, body)],
    }
}

/// SES checks the sending identity that covers the From address (the address itself if it is
/// an identity, else its domain) and the configuration set, with the sender in
/// `ses:FromAddress`.
fn send_email(body: &Value, context: &Context) -> Vec<Request> {
    let from = body["FromEmailAddress"].as_str().unwrap_or_default();
    let (display, address) = match (from.rfind('<'), from.ends_with('>')) {
        (Some(open), true) => (
            Some(from[..open].trim().trim_matches('"')),
            &from[open + 1..from.len() - 1],
        ),
        _ => (None, from),
    };
    let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    let identity = if context.ses_identities.iter().any(|i| i == address) {
        address
    } else {
        domain
    };
    let keyed = |need: Request| {
        let mut need = need
            .with("ses:FromAddress", address)
            .with("ses:ApiVersion", "2");
        if let Some(name) = display {
            need = need.with("ses:FromDisplayName", name);
        }
        for to in body["Destination"]["ToAddresses"]
            .as_array()
            .into_iter()
            .flatten()
        {
            need = need.with("ses:Recipients", to.as_str().unwrap_or_default());
        }
        need
    };
    let mut needs = vec![keyed(Request::new(
        "ses:SendEmail",
        &arn("ses", &format!("identity/{identity}")),
    ))];
    if let Some(set) = body["ConfigurationSetName"].as_str() {
        needs.push(keyed(Request::new(
            "ses:SendEmail",
            &arn("ses", &format!("configuration-set/{set}")),
        )));
    }
    needs
}

/// The calls a gate refused or could not read, for a failure message.
pub fn refused(calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| !c.allowed())
        .map(|c| {
            let denied: BTreeMap<&str, String> = c
                .checks
                .iter()
                .filter(|(_, d)| *d != Decision::Allow)
                .map(|(r, d)| {
                    (
                        r.resource.as_str(),
                        format!("{} {d:?} {:?}", r.action, r.context),
                    )
                })
                .collect();
            format!("{}: {denied:?}", c.operation)
        })
        .collect()
}
