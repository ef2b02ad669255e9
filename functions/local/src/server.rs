//! Serves the API over HTTP/1.1 on loopback, turning each request into the `lambda_http`
//! request API Gateway's HTTP API would hand a function, JWT-authorizer claims included.
//!
//! Its development sign-in mints a token for any address to whoever asks, so nothing else may
//! reach it: it listens on loopback unless told otherwise ([`check_listen_addr`]), answers only
//! requests that name it in their `Host` (a web page cannot reach it through DNS rebinding), reads
//! at most [`api::MAX_BODY_BYTES`] of a body, and gives up on clients that are too slow.

use std::{
    convert::Infallible,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use domain::{App, clock::Clock, delivery::Queue, store::Store};
use http::{HeaderValue, Method, StatusCode, header, request::Parts};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited, combinators::BoxBody};
use hyper::{
    body::{Body as _, Bytes, Incoming},
    server::conn::http1,
    service::service_fn,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use lambda_http::{
    Body, RequestExt,
    aws_lambda_events::{
        apigw::{
            ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
            ApiGatewayV2httpRequestContext,
        },
        query_map::QueryMap,
    },
    request::RequestContext,
};
use tokio::net::TcpListener;

use crate::identity::{DevIdentity, bearer};
use api::{MAX_BODY_BYTES, problem::Problem, web::SignIn};

/// How long a client has to send a request's head. Hyper restarts it while a kept-alive
/// connection waits for its next request, so it is also how long an idle connection stays open.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client has to send a request's body once its head has arrived.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest one request may take in all, as API Gateway's HTTP API allows an integration.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

type ResponseBody = BoxBody<Bytes, Infallible>;

/// Everything a request needs.
pub struct Local<S, Q, C> {
    pub app: App<S, Q, C>,
    pub identity: DevIdentity,
    pub hosts: Hosts,
    /// Where the business metrics are written, and read back for `GET /metrics`.
    pub metrics: PathBuf,
}

/// Refuses an address other machines may reach unless `allow_remote` says so: anyone who
/// reaches the server can mint a development token for any address and act as that person.
pub fn check_listen_addr(addr: SocketAddr, allow_remote: bool) -> Result<(), String> {
    if addr.ip().is_loopback() || allow_remote {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {addr}: it is not a loopback address, and anyone who reaches \
         this server can sign in as any address (development sign-in). Listen on 127.0.0.1 or \
         [::1], or pass --allow-remote if you really mean to expose it"
    ))
}

/// The names a request may give this server in its `Host` (and in an absolute request target):
/// the address it was received on (and `localhost`, on loopback), and the host of the base URL
/// its links point to. Any other name is a misdirected request, or a web page that had a name
/// of its own resolve to this machine.
#[derive(Debug, Clone)]
pub struct Hosts {
    /// The base URL's host in lower case, its port (explicit, or its scheme's), and its
    /// scheme's port, which a `Host` without a port means.
    base: Option<(String, u16, u16)>,
}

impl Hosts {
    /// The hosts of a server whose links start with `base_url`.
    pub fn new(base_url: &str) -> Self {
        let base = base_url.split_once("://").and_then(|(scheme, rest)| {
            let default = match scheme.to_ascii_lowercase().as_str() {
                "http" => 80,
                "https" => 443,
                _ => return None,
            };
            let authority = rest.split(['/', '?', '#']).next()?;
            let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
            let (host, port) = split_authority(authority)?;
            Some((host, port.unwrap_or(default), default))
        });
        Self { base }
    }

    /// Whether `authority` (`host[:port]`) names this server, for a request received on
    /// `local` (the connection's own address).
    pub fn allow(&self, authority: &str, local: SocketAddr) -> bool {
        let Some((host, port)) = split_authority(authority) else {
            return false;
        };
        let here = port.unwrap_or(80) == local.port()
            && (host.parse::<IpAddr>().is_ok_and(|ip| ip == local.ip())
                || (host == "localhost" && local.ip().is_loopback()));
        let base = self
            .base
            .as_ref()
            .is_some_and(|(base_host, base_port, default)| {
                *base_host == host && port.unwrap_or(*default) == *base_port
            });
        here || base
    }

    /// The refusal of a request that does not name this server.
    fn check(&self, parts: &Parts, local: SocketAddr) -> Result<(), Problem> {
        let mut hosts = parts.headers.get_all(header::HOST).iter();
        let host = match (hosts.next().map(HeaderValue::to_str), hosts.next()) {
            (Some(Ok(host)), None) => host,
            _ => return Err(Problem::bad_request("a request needs one Host header")),
        };
        let target = parts.uri.authority().map(|a| a.as_str());
        if [Some(host), target]
            .into_iter()
            .flatten()
            .all(|name| self.allow(name, local))
        {
            return Ok(());
        }
        let mut names = vec![local.to_string()];
        if local.ip().is_loopback() {
            names.push(format!("localhost:{}", local.port()));
        }
        if let Some((host, port, _)) = &self.base {
            let base = match host.contains(':') {
                true => format!("[{host}]:{port}"),
                false => format!("{host}:{port}"),
            };
            if !names.contains(&base) {
                names.push(base);
            }
        }
        Err(Problem::new(
            StatusCode::MISDIRECTED_REQUEST,
            "misdirected-request",
            format!("this server answers requests for {} only", names.join(", ")),
        ))
    }
}

/// `host[:port]` as a lower-case host (an IPv6 address without its brackets) and the port.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            port => (host, Some(port.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok()?),
        None => None,
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

/// Accepts connections until `shutdown` completes.
pub async fn serve<S, Q, C>(
    listener: TcpListener,
    local: Arc<Local<S, Q, C>>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()>
where
    S: Store + 'static,
    Q: Queue + 'static,
    C: Clock + 'static,
{
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let Ok(here) = stream.local_addr() else {
            continue;
        };
        let local = local.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let local = local.clone();
                async move { Ok::<_, Infallible>(answer(&local, peer, here, request).await) }
            });
            if let Err(error) = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }
}

async fn answer<S: Store, Q: Queue, C: Clock>(
    local: &Local<S, Q, C>,
    peer: SocketAddr,
    here: SocketAddr,
    request: hyper::Request<Incoming>,
) -> hyper::Response<ResponseBody> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = tokio::time::timeout(REQUEST_TIMEOUT, respond(local, peer, here, request))
        .await
        .unwrap_or_else(|_| {
            closing(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "the request took too long to answer; try again",
            ))
        });
    api::common_headers(response.headers_mut());
    // The path never holds a token: tokens travel in bodies and URL fragments only.
    tracing::info!(
        %method, %path, status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64, "request"
    );
    response
}

async fn respond<S: Store, Q: Queue, C: Clock>(
    local: &Local<S, Q, C>,
    peer: SocketAddr,
    here: SocketAddr,
    request: hyper::Request<Incoming>,
) -> hyper::Response<ResponseBody> {
    let (parts, body) = request.into_parts();
    if let Err(problem) = local.hosts.check(&parts, here) {
        return closing(problem);
    }
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(problem) => return closing(problem),
    };
    match (&parts.method, parts.uri.path()) {
        // What only the local server offers: development sign-in for the console.
        (&Method::POST, "/dev/sign-in") => dev_sign_in(local, &body),
        (&Method::GET, "/metrics") => metrics(local),
        _ => api_answer(local, peer, parts, body).await,
    }
}

/// The whole body, read before any work: at most [`MAX_BODY_BYTES`] (a larger declared length is
/// refused unread), within [`BODY_TIMEOUT`].
async fn read_body(body: Incoming) -> Result<Bytes, Problem> {
    if body.size_hint().lower() > MAX_BODY_BYTES as u64 {
        return Err(api::payload_too_large());
    }
    let read = Limited::new(body, MAX_BODY_BYTES).collect();
    match tokio::time::timeout(BODY_TIMEOUT, read).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.is::<LengthLimitError>() => Err(api::payload_too_large()),
        Ok(Err(_)) => Err(Problem::bad_request("the request body could not be read")),
        Err(_) => Err(Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            format!(
                "the request body did not arrive within {} seconds",
                BODY_TIMEOUT.as_secs()
            ),
        )),
    }
}

/// A refusal after which the connection is closed: what is left of the request is not read.
fn closing(problem: Problem) -> hyper::Response<ResponseBody> {
    let mut response = to_hyper(problem.into_response());
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn api_answer<S: Store, Q: Queue, C: Clock>(
    local: &Local<S, Q, C>,
    peer: SocketAddr,
    parts: Parts,
    bytes: Bytes,
) -> hyper::Response<ResponseBody> {
    let path = parts.uri.path().to_owned();
    let needs_sign_in =
        crate::routes::find(&parts.method, &path).is_ok_and(|(route, _)| route.authenticated);
    let claims = if needs_sign_in {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        match header
            .and_then(bearer)
            .map(|token| local.identity.verify(token))
        {
            Some(Ok(claims)) => Some(claims.into_authorizer_claims()),
            // API Gateway answers for the authorizer before any function runs.
            Some(Err(error)) => {
                return to_hyper(Problem::unauthenticated(error.to_string()).into_response());
            }
            None => {
                return to_hyper(
                    Problem::unauthenticated("sign in: send Authorization: Bearer <token>")
                        .into_response(),
                );
            }
        }
    } else {
        None
    };

    let mut context = ApiGatewayV2httpRequestContext::default();
    context.stage = Some("$default".to_owned());
    context.request_id = Some(format!("{:032x}", u128::from_be_bytes(random16())));
    context.time_epoch = chrono::Utc::now().timestamp_millis();
    context.http.method = parts.method.clone();
    context.http.path = Some(path.clone());
    context.http.source_ip = Some(peer.ip().to_string());
    if let Some(claims) = claims {
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = claims;
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        context.authorizer = Some(authorizer);
    }
    let query: QueryMap = parts.uri.query().unwrap_or("").parse().unwrap_or_default();
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(error) => Body::Binary(error.into_bytes()),
        }
    };
    let request = http::Request::from_parts(parts, body)
        .with_raw_http_path(path)
        .with_query_string_parameters(query)
        .with_request_context(RequestContext::ApiGatewayV2(context));
    static DEV: SignIn = SignIn::Dev;
    to_hyper(crate::routes::answer(&local.app, &DEV, &request).await)
}

fn random16() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random generator is available");
    bytes
}

fn to_hyper(response: http::Response<Body>) -> hyper::Response<ResponseBody> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(binary) => Bytes::from(binary),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes).boxed())
}

#[derive(serde::Deserialize)]
struct SignInRequest {
    email: String,
    name: Option<String>,
}

/// `GET /metrics`: the business metrics recorded so far, in Prometheus's text format.
fn metrics<S, Q, C>(local: &Local<S, Q, C>) -> hyper::Response<ResponseBody> {
    // What the last requests recorded is written first, so the answer includes it.
    let read = crate::metrics::flush(&local.metrics)
        .and_then(|()| crate::metrics::prometheus(&local.metrics));
    match read {
        Ok(text) => {
            let mut response = hyper::Response::new(Full::new(Bytes::from(text)).boxed());
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            response
        }
        Err(error) => to_hyper(Problem::internal(&error).into_response()),
    }
}

/// `POST /dev/sign-in {email, name?}`: a development token for any address, as `token` prints.
fn dev_sign_in<S, Q, C>(local: &Local<S, Q, C>, body: &[u8]) -> hyper::Response<ResponseBody> {
    let bad = |detail: String| to_hyper(Problem::bad_request(detail).into_response());
    let asked: SignInRequest = match serde_json::from_slice(body) {
        Ok(asked) => asked,
        Err(error) => return bad(format!("invalid JSON body: {error}")),
    };
    match local
        .identity
        .mint(asked.email.trim(), asked.name.as_deref())
    {
        Ok(token) => to_hyper(api::input::json(
            StatusCode::OK,
            &serde_json::json!({ "token": token }),
        )),
        Err(error) => bad(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_listened_on_without_the_flag() {
        for (addr, allowed) in [
            ("127.0.0.1:3000", true),
            ("127.0.0.2:0", true),
            ("[::1]:0", true),
            ("0.0.0.0:0", false),
            ("[::]:0", false),
            ("192.0.2.1:0", false),
            ("[::ffff:127.0.0.1]:0", false),
        ] {
            let addr: SocketAddr = addr.parse().unwrap();
            assert_eq!(check_listen_addr(addr, false).is_ok(), allowed, "{addr}");
            assert!(
                check_listen_addr(addr, true).is_ok(),
                "{addr} with the flag"
            );
        }
        let refused = check_listen_addr("0.0.0.0:3000".parse().unwrap(), false).unwrap_err();
        assert!(refused.contains("--allow-remote"), "{refused}");
    }

    #[test]
    fn a_host_is_allowed_when_it_names_the_address_the_request_came_to_or_the_base_url() {
        let v4: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let v6: SocketAddr = "[::1]:3000".parse().unwrap();
        let lan: SocketAddr = "192.0.2.7:80".parse().unwrap();
        let plain = Hosts::new("http://127.0.0.1:3000");
        let proxied = Hosts::new("https://Invites.Example.com/app");
        let cases = [
            (&plain, v4, "127.0.0.1:3000", true),
            (&plain, v4, "localhost:3000", true),
            (&plain, v4, "LOCALHOST:3000", true),
            (&plain, v6, "[::1]:3000", true),
            (&plain, v6, "localhost:3000", true),
            (&plain, lan, "192.0.2.7", true),
            (&plain, lan, "localhost", false),
            (&plain, v4, "127.0.0.1:3001", false),
            (&plain, v4, "127.0.0.1", false),
            (&plain, v4, "[::1]:3000", false),
            (&plain, v4, "evil.example:3000", false),
            (&plain, v4, "localhost.evil.example:3000", false),
            (&plain, v4, "127.0.0.1:3000@evil.example", false),
            (&plain, v4, "", false),
            (&plain, v4, ":3000", false),
            (&proxied, v4, "invites.example.com", true),
            (&proxied, v4, "invites.example.com:443", true),
            (&proxied, v4, "invites.example.com:3000", false),
            (&proxied, v4, "other.example.com", false),
        ];
        for (hosts, local, host, allowed) in cases {
            assert_eq!(hosts.allow(host, local), allowed, "{host} on {local}");
        }
    }
}
