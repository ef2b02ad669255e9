//! `Idempotency-Key` on the routes that send email (invite, resend): a retry with the same key
//! and the same request gets the first answer again, and sends nothing; the same key with
//! another request is a 422; a retry while the first still runs is a 409 with `Retry-After`.

use domain::{
    App,
    clock::Clock,
    delivery::Queue,
    idempotency::{Claim, IdempotencyKey, RecordedAnswer, fingerprint},
    role::Action,
    store::Store,
};
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};

use super::Input;
use crate::problem::Problem;

pub const HEADER: &str = "idempotency-key";
/// Set on an answer replayed from the first request.
pub const REPLAYED: &str = "idempotent-replayed";

/// Runs `run` once per key: the request's answer is recorded under the caller's key and
/// replayed to its retries. Without the header, `run` just runs.
pub async fn once<S, Q, C, F, Fut>(
    app: &App<S, Q, C>,
    input: &Input<'_>,
    run: F,
) -> Result<Response<Body>, Problem>
where
    S: Store,
    Q: Queue,
    C: Clock,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Response<Body>, Problem>>,
{
    let Some(header) = input.request.headers().get(HEADER) else {
        return run().await;
    };
    let caller = input.caller()?;
    let workgroup = input.workgroup()?;
    // Only someone who may send invitations here gets a key stored: anyone else is answered
    // before anything is written.
    app.authorize(&workgroup, &caller, Action::ViewInvitations)
        .await?;
    let key = header
        .to_str()
        .ok()
        .and_then(|text| IdempotencyKey::new(&workgroup, &caller.email, text).ok())
        .ok_or_else(|| {
            Problem::bad_request("Idempotency-Key must be 1 to 255 printable ASCII characters")
        })?;
    let fingerprint = request_fingerprint(input);
    match app
        .store
        .claim_key(&key, &fingerprint, app.clock.now())
        .await?
    {
        Claim::Claimed => {}
        Claim::Answered(answer) => return Ok(replay(answer)),
        Claim::InProgress => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "request-in-progress",
                "a request with this Idempotency-Key is still running; retry shortly",
            )
            .retry_after(1));
        }
        Claim::Mismatch => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "this Idempotency-Key was used for a different request",
            ));
        }
    }
    let response = run().await.unwrap_or_else(Problem::into_response);
    let status = response.status();
    // A race lost or a failure on our side: the client's retry should run again.
    let store = &app.store;
    let kept = if status.is_server_error() || status == StatusCode::CONFLICT {
        store.release_key(&key, &fingerprint).await
    } else {
        store
            .record_answer(&key, &fingerprint, &recorded(&response))
            .await
    };
    if let Err(error) = kept {
        tracing::warn!(%error, "idempotency key not settled");
    }
    Ok(response)
}

/// The method, route and body; the body as canonical JSON when it is JSON, so a retry that
/// only re-serialises it is the same request.
fn request_fingerprint(input: &Input<'_>) -> String {
    let bytes: &[u8] = input.request.body().as_ref();
    let canonical = serde_json::from_slice::<serde_json::Value>(bytes)
        .map(|value| value.to_string().into_bytes())
        .unwrap_or_else(|_| bytes.to_vec());
    fn param(value: &Option<String>) -> &[u8] {
        value.as_deref().unwrap_or_default().as_bytes()
    }
    fingerprint(&[
        input.request.method().as_str().as_bytes(),
        param(&input.params.wg),
        param(&input.params.id),
        &canonical,
    ])
}

fn recorded(response: &Response<Body>) -> RecordedAnswer {
    let body: &[u8] = response.body().as_ref();
    RecordedAnswer {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned(),
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

fn replay(answer: RecordedAnswer) -> Response<Body> {
    let body = if answer.body.is_empty() {
        Body::Empty
    } else {
        Body::Text(answer.body)
    };
    let mut response = Response::builder()
        .status(answer.status)
        .header(header::CONTENT_TYPE, answer.content_type)
        .body(body)
        .expect("a recorded answer is a valid response");
    response
        .headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    response
}
