//! Serves the API over HTTP/1.1 on loopback, turning each request into the `lambda_http`
//! request API Gateway's HTTP API would hand a function, JWT-authorizer claims included.

use std::{convert::Infallible, net::SocketAddr, sync::Arc, time::Instant};

use http::{Method, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited, combinators::BoxBody};
use hyper::{body::Bytes, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
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
use shared::{
    App,
    clock::Clock,
    store::{Mailer, Store},
};
use tokio::net::TcpListener;

use crate::identity::{DevIdentity, bearer};
use api::{Served, problem::Problem, routes::match_route};

/// API Gateway's HTTP API refuses larger payloads too (10 MB there; a request here is small).
const MAX_BODY_BYTES: usize = 1024 * 1024;

type ResponseBody = BoxBody<Bytes, Infallible>;

/// Everything a request needs.
pub struct Local<S, M, C> {
    pub app: App<S, M, C>,
    pub identity: DevIdentity,
}

/// Accepts connections until `shutdown` completes.
pub async fn serve<S, M, C>(
    listener: TcpListener,
    local: Arc<Local<S, M, C>>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()>
where
    S: Store + 'static,
    M: Mailer + 'static,
    C: Clock + 'static,
{
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let local = local.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let local = local.clone();
                async move { Ok::<_, Infallible>(answer(&local, peer, request).await) }
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }
}

async fn answer<S: Store, M: Mailer, C: Clock>(
    local: &Local<S, M, C>,
    peer: SocketAddr,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<ResponseBody> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = match (&method, path.as_str()) {
        // What only the local server offers: development sign-in for the console.
        (&Method::GET, "/config.json") => to_hyper(api::web::config(&api::web::SignIn::Dev)),
        (&Method::POST, "/dev/sign-in") => dev_sign_in(local, request).await,
        _ => api_answer(local, peer, request).await,
    };
    // The path never holds a token: tokens travel in bodies and URL fragments only.
    tracing::info!(
        %method, %path, status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64, "request"
    );
    response
}

async fn api_answer<S: Store, M: Mailer, C: Clock>(
    local: &Local<S, M, C>,
    peer: SocketAddr,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<ResponseBody> {
    let (parts, body) = request.into_parts();
    let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return to_hyper(
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    "the request body is larger than 1 MiB",
                )
                .into_response(),
            );
        }
    };
    let path = parts.uri.path().to_owned();
    let needs_sign_in =
        match_route(&parts.method, &path).is_ok_and(|(route, _)| route.authenticated);
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
    to_hyper(api::handle(&local.app, Served::All, request).await)
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

/// `POST /dev/sign-in {email, name?}`: a development token for any address, as `token` prints.
async fn dev_sign_in<S, M, C>(
    local: &Local<S, M, C>,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<ResponseBody> {
    let bad = |detail: String| to_hyper(Problem::bad_request(detail).into_response());
    let Ok(body) = Limited::new(request.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    else {
        return bad("the request body could not be read".to_owned());
    };
    let asked: SignInRequest = match serde_json::from_slice(&body.to_bytes()) {
        Ok(asked) => asked,
        Err(error) => return bad(format!("invalid JSON body: {error}")),
    };
    match local
        .identity
        .mint(asked.email.trim(), asked.name.as_deref())
    {
        Ok(token) => to_hyper(api::handlers::json(
            StatusCode::OK,
            &serde_json::json!({ "token": token }),
        )),
        Err(error) => bad(error.to_string()),
    }
}
