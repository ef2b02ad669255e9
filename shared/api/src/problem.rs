//! The one mapping from domain errors to `application/problem+json` (RFC 9457).

use domain::{
    address::PasteError,
    app::{AccessError, SignInRefused, error_chain},
    quota::{OverQuota, PendingCapReached},
    role::Denied,
    store::StoreError,
    usecases::{
        BadList, ListError,
        accept::{AcceptError, TokenError},
        invite::InviteError,
        manage::{AgentError, ManageError},
        workgroups::CreateWorkgroupError,
    },
};
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

/// An error answer. `detail` is safe to show: 5xx answers carry no internal detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: StatusCode,
    /// A short identifier of the problem type; the `type` URI ends with it.
    pub kind: &'static str,
    pub detail: String,
    /// For 405 answers: the methods the path accepts.
    pub allow: Option<String>,
    /// For 409 and 429 answers: seconds before a retry makes sense.
    pub retry_after: Option<u32>,
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    r#type: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            detail: detail.into(),
            allow: None,
            retry_after: None,
        }
    }

    pub fn retry_after(self, seconds: u32) -> Self {
        Self {
            retry_after: Some(seconds),
            ..self
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    /// An unexpected failure: logged with its whole cause chain, answered opaquely.
    pub fn internal(error: &dyn std::error::Error) -> Self {
        tracing::error!(error = %error_chain(error), "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the request could not be completed; try again later",
        )
    }

    pub fn into_response(self) -> Response<Body> {
        let body = ProblemBody {
            r#type: format!("/problems/{}", self.kind),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
        };
        let json = serde_json::to_string(&body).expect("a problem always serialises");
        let mut response = Response::builder()
            .status(self.status)
            .header(header::CONTENT_TYPE, "application/problem+json")
            .body(Body::Text(json))
            .expect("a problem response is always valid");
        if let Some(allow) = self.allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "the data changed while the request ran and a concurrent change won; try again",
            ),
            backend => Problem::internal(&backend),
        }
    }
}

impl From<Denied> for Problem {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::NotAMember => Problem::not_found("workgroup not found"),
            Denied::Forbidden(reason) => Problem::forbidden(reason),
        }
    }
}

impl From<AccessError> for Problem {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::Denied(denied) => denied.into(),
            AccessError::SignIn(refused) => refused.into(),
            AccessError::Store(error) => error.into(),
        }
    }
}

impl From<SignInRefused> for Problem {
    fn from(refused: SignInRefused) -> Self {
        Problem::new(
            StatusCode::FORBIDDEN,
            "sign-in-refused",
            refused.to_string(),
        )
    }
}

impl From<CreateWorkgroupError> for Problem {
    fn from(error: CreateWorkgroupError) -> Self {
        match error {
            CreateWorkgroupError::Access(error) => error.into(),
            CreateWorkgroupError::OverQuota(over) => over.into(),
        }
    }
}

impl From<BadList> for Problem {
    fn from(error: BadList) -> Self {
        Problem::bad_request(error.to_string())
    }
}

impl From<ListError> for Problem {
    fn from(error: ListError) -> Self {
        match error {
            ListError::Access(error) => error.into(),
            ListError::BadRequest(error) => error.into(),
        }
    }
}

impl From<PasteError> for Problem {
    fn from(error: PasteError) -> Self {
        Problem::bad_request(error.to_string())
    }
}

impl From<InviteError> for Problem {
    fn from(error: InviteError) -> Self {
        match error {
            InviteError::Access(error) => error.into(),
            InviteError::BadRequest(error) => error.into(),
            InviteError::OverQuota(over) => over.into(),
            InviteError::PendingCap(cap) => cap.into(),
            InviteError::Store(error) => error.into(),
        }
    }
}

impl From<ManageError> for Problem {
    fn from(error: ManageError) -> Self {
        match error {
            ManageError::Access(error) => error.into(),
            ManageError::NotFound => Problem::not_found(error.to_string()),
            ManageError::OverQuota(over) => over.into(),
            ManageError::PendingCap(cap) => cap.into(),
        }
    }
}

impl From<AgentError> for Problem {
    fn from(error: AgentError) -> Self {
        match error {
            AgentError::Access(error) => error.into(),
            AgentError::NotFound => Problem::not_found(error.to_string()),
            AgentError::LastAdministrator => Problem::new(
                StatusCode::CONFLICT,
                "last-administrator",
                error.to_string(),
            ),
        }
    }
}

impl From<OverQuota> for Problem {
    fn from(over: OverQuota) -> Self {
        let detail = format!(
            "{over}; it starts over at {}",
            over.resets_at.format("%Y-%m-%dT%H:%M:%SZ")
        );
        let kind = if over.is_on_workgroups() {
            "too-many-workgroups"
        } else {
            "too-many-invitations"
        };
        Problem::new(StatusCode::TOO_MANY_REQUESTS, kind, detail).retry_after(over.retry_after)
    }
}

impl From<PendingCapReached> for Problem {
    fn from(cap: PendingCapReached) -> Self {
        Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-pending-invitations",
            cap.to_string(),
        )
        .retry_after(cap.retry_after)
    }
}

impl From<TokenError> for Problem {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::NotFound => Problem::not_found(error.to_string()),
            TokenError::Store(error) => error.into(),
        }
    }
}

impl From<AcceptError> for Problem {
    fn from(error: AcceptError) -> Self {
        match error {
            AcceptError::Token(error) => error.into(),
            AcceptError::SignIn(refused) => refused.into(),
            AcceptError::WrongAddress => Problem::forbidden(error.to_string()),
            AcceptError::NotFound => Problem::not_found(error.to_string()),
            AcceptError::NameRequired | AcceptError::InvalidName(_) => {
                Problem::bad_request(error.to_string())
            }
        }
    }
}
