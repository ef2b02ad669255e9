//! What every handler reads from a request, bounded before any work: the caller, the JSON
//! body, the path's ids, the query; and the shapes of their answers. The handlers themselves
//! are in each function's package (`functions/<name>/src/handler.rs`): they parse the request
//! into domain values, call one use case and shape its answer.

use domain::{
    Caller,
    ids::{AgentId, InvitationId, WorkgroupId},
    locale::Locale,
    usecases::ListQuery,
};
use http::{StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response, aws_lambda_events::query_map::QueryMap};
use serde::{Serialize, de::DeserializeOwned};

use crate::{problem::Problem, routes::PathParams, web::SignIn};

/// The longest text each request string may hold, in characters (`emails`: in bytes, all its
/// strings together). Each is declared as `maxLength` in the OpenAPI document, and a longer one
/// is refused with a 400 before any work.
pub mod max_len {
    use domain::people::{DisplayName, WorkgroupName};

    /// `emails`: 64 KiB of pasted text.
    pub const EMAILS: usize = domain::address::MAX_PASTE_BYTES;
    pub const WORKGROUP_NAME: usize = WorkgroupName::MAX_CHARS;
    pub const AGENT_NAME: usize = DisplayName::MAX_CHARS;
    /// `administrator`.
    pub const ROLE: usize = 13;
    /// `en`, `ja`.
    pub const LOCALE: usize = 2;
    /// `pending`, `declined`.
    pub const STATUS: usize = 8;
    /// `100`.
    pub const LIMIT: usize = 3;
    /// Tokens are 43 characters.
    pub const TOKEN: usize = 64;
    /// The longest cursor a list hands out is about 450 characters.
    pub const CURSOR: usize = 1024;
    /// Workgroup and invitation ids in paths (35 and 36 characters).
    pub const ID: usize = 64;
}

/// `text` when it holds at most `max` characters, else a 400 naming `field`.
pub fn bounded<'t>(field: &str, text: &'t str, max: usize) -> Result<&'t str, Problem> {
    if text.len() <= max || text.chars().nth(max).is_none() {
        Ok(text)
    } else {
        Err(Problem::bad_request(format!(
            "{field} must be at most {max} characters"
        )))
    }
}

/// What a handler gets: the request, the path parameters its route matched, and how the web
/// console served here signs people in.
pub struct Input<'a> {
    pub request: &'a Request,
    pub params: PathParams,
    pub sign_in: &'a SignIn,
}

impl Input<'_> {
    /// The signed-in caller, from the JWT authorizer's claims.
    pub fn caller(&self) -> Result<Caller, Problem> {
        crate::caller::caller(self.request)
    }

    pub fn body<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        let bytes: &[u8] = self.request.body().as_ref();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Problem::bad_request("a JSON body is required"));
        }
        serde_json::from_slice(bytes)
            .map_err(|error| Problem::bad_request(format!("invalid JSON body: {error}")))
    }

    /// The workgroup id of the path: a 400 when longer than any id, a 404 when it is no id.
    pub fn workgroup(&self) -> Result<WorkgroupId, Problem> {
        let text = path_id("the workgroup id", self.params.wg.as_deref())?;
        WorkgroupId::parse(text).ok_or_else(|| Problem::not_found("workgroup not found"))
    }

    pub fn invitation(&self) -> Result<(WorkgroupId, InvitationId), Problem> {
        let workgroup = self.workgroup()?;
        let text = path_id("the invitation id", self.params.id.as_deref())?;
        let id =
            InvitationId::parse(text).ok_or_else(|| Problem::not_found("invitation not found"))?;
        Ok((workgroup, id))
    }

    /// The workgroup and agent ids of an agent's path.
    pub fn agent(&self) -> Result<(WorkgroupId, AgentId), Problem> {
        let workgroup = self.workgroup()?;
        let text = path_id("the agent id", self.params.id.as_deref())?;
        let id = AgentId::parse(text).ok_or_else(|| Problem::not_found("agent not found"))?;
        Ok((workgroup, id))
    }

    /// The invitation id of a path without a workgroup (the invitee's own routes).
    pub fn my_invitation(&self) -> Result<InvitationId, Problem> {
        let text = path_id("the invitation id", self.params.id.as_deref())?;
        InvitationId::parse(text).ok_or_else(|| Problem::not_found("invitation not found"))
    }

    /// The query string, as API Gateway parsed it (or parsed here when it did not).
    pub fn query(&self) -> QueryMap {
        match self.request.query_string_parameters_ref() {
            Some(query) => query.clone(),
            None => self
                .request
                .uri()
                .query()
                .and_then(|q| q.parse().ok())
                .unwrap_or_default(),
        }
    }

    pub fn list_query(&self) -> Result<ListQuery, Problem> {
        let query = self.query();
        let limit = match query.first("limit") {
            None | Some("") => None,
            Some(text) => Some(
                Some(text)
                    .filter(|text| text.len() <= max_len::LIMIT)
                    .and_then(|text| text.parse::<usize>().ok())
                    .ok_or_else(|| Problem::bad_request("limit must be between 1 and 100"))?,
            ),
        };
        let cursor = match query.first("cursor") {
            None | Some("") => None,
            Some(text) => Some(bounded("cursor", text, max_len::CURSOR)?.to_owned()),
        };
        Ok(ListQuery { limit, cursor })
    }
}

/// A path segment within [`max_len::ID`], counted as the characters it decodes to: the path
/// arrives percent-encoded, and the document's `maxLength` counts what was encoded.
fn path_id<'t>(field: &str, segment: Option<&'t str>) -> Result<&'t str, Problem> {
    let segment = segment.unwrap_or_default();
    let bytes = segment.as_bytes();
    let (mut at, mut chars) = (0, 0);
    while at < bytes.len() {
        let hex = |i: usize| bytes.get(i).filter(|b| b.is_ascii_hexdigit());
        let (byte, width) = match (bytes[at], hex(at + 1), hex(at + 2)) {
            (b'%', Some(high), Some(low)) => {
                let digit = |b: &u8| (*b as char).to_digit(16).unwrap_or_default() as u8;
                (digit(high) << 4 | digit(low), 3)
            }
            (byte, _, _) => (byte, 1),
        };
        // One character per byte that does not continue a UTF-8 sequence.
        chars += usize::from(byte & 0xC0 != 0x80);
        at += width;
    }
    if chars > max_len::ID {
        return Err(Problem::bad_request(format!(
            "{field} must be at most {} characters",
            max_len::ID
        )));
    }
    Ok(segment)
}

pub fn parse_locale(text: Option<&str>) -> Result<Option<Locale>, Problem> {
    text.map(|text| {
        bounded("locale", text, max_len::LOCALE)?
            .parse::<Locale>()
            .map_err(|e| Problem::bad_request(e.to_string()))
    })
    .transpose()
}

/// Room for most answers, a page of 50 invitations included, so writing one never copies
/// what it wrote so far into a larger buffer (`bench/RESULTS.md`, "The warm path").
const ANSWER_CAPACITY: usize = 32 * 1024;

pub fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    let mut body = Vec::with_capacity(ANSWER_CAPACITY);
    serde_json::to_writer(&mut body, value).expect("views always serialise");
    let body = String::from_utf8(body).expect("serde_json writes UTF-8");
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .expect("valid response")
}

pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .expect("valid response")
}
