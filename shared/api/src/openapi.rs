//! The OpenAPI 3 document of the public contract, served at `GET /openapi.json`.
//! A test keeps its paths and operations in step with [`crate::routes::ROUTES`].

use serde_json::{Value, json};

use crate::{
    input::max_len,
    routes::{Operation, ROUTES},
};

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

fn ok(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
    })
}

/// `ok` with links: what the answer's values open next (`(name, operationId, parameters)`).
fn ok_linked(description: &str, schema: &str, links: &[(&str, &str, Value)]) -> Value {
    let mut answer = ok(description, schema);
    answer["links"] = links
        .iter()
        .map(|(name, operation, parameters)| {
            (
                (*name).to_owned(),
                json!({ "operationId": operation, "parameters": parameters }),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    answer
}

fn body(schema: &str) -> Value {
    json!({
        "required": true,
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
    })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true,
            "description": format!("{description} At most {} characters.", max_len::ID),
            "schema": { "type": "string", "minLength": 1, "maxLength": max_len::ID } })
}

/// An answer with `Retry-After`.
fn retry_later(description: &str) -> Value {
    json!({
        "description": description,
        "headers": { "Retry-After": { "description": "Seconds to wait before trying again.",
                                       "schema": { "type": "integer", "minimum": 1 } } },
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

fn with_list_params(mut params: Vec<Value>) -> Vec<Value> {
    params.extend([
        json!({ "name": "limit", "in": "query", "required": false,
                "description": "Page size, 1 to 100 (default 50).",
                "schema": { "type": "integer", "minimum": 1, "maximum": 100 } }),
        json!({ "name": "cursor", "in": "query", "required": false,
                "description": format!("The `next_cursor` of the previous page. At most {} characters.", max_len::CURSOR),
                "schema": { "type": "string", "maxLength": max_len::CURSOR } }),
    ]);
    params
}

/// The operation object of one route.
fn operation(op: Operation) -> Value {
    let wg = path_param("wg", "Workgroup id.");
    let id = path_param("id", "Invitation id.");
    let unauthenticated = problem("No valid sign-in.");
    let not_member = problem("Unknown workgroup, or the caller is not a member of it.");
    // Every signed-in route may refuse the sign-in itself.
    const SIGN_IN_REFUSED: &str = "the identity provider has not verified the address (`email_verified` absent or not true), or the address is bound to another sign-in subject";
    let sign_in_refused = problem(&format!("The sign-in is refused: {SIGN_IN_REFUSED}."));
    let forbidden = problem(&format!(
        "The caller's role does not allow this, or {SIGN_IN_REFUSED}."
    ));
    let bad =
        problem("Invalid input (a string over its `maxLength` included); nothing was changed.");
    let too_large =
        problem("`payload-too-large`: the request body is over 256 KiB; nothing was changed.");
    let conflict = problem("A concurrent change won the race; retry.");
    let gone = problem("Unknown, used, cancelled, superseded or expired token.");
    let agent_id = path_param("id", "Agent id, as the agents list shows it.");
    let last_administrator = problem(
        "`last-administrator`: the change would leave the workgroup without an administrator (nothing was changed); or a concurrent change won the race.",
    );
    let my_id = path_param("id", "Invitation id, as the caller's list shows it.");
    let not_mine = problem(
        "Not the caller's invitation, or unknown, expired, cancelled, accepted or declined.",
    );
    let idempotency_key = json!({ "name": "Idempotency-Key", "in": "header", "required": false,
        "description": "Makes a retry safe: the same key with the same request within 24 hours \
            gets the first answer again (with `Idempotent-Replayed: true`) and sends no email.",
        "schema": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$" } });
    let reused = problem("The Idempotency-Key was used for a different request.");
    let too_many = retry_later(
        "A limit would be passed; nothing was changed. `too-many-invitations`: a daily limit of invitation emails is reached: the inviter's in this workgroup, the inviter's across all workgroups, or the emails one recipient address may receive (Retry-After: seconds until the limit starts over). `too-many-pending-invitations`: the workgroup's cap of pending invitations is reached (cancel some, or wait for answers and expiries).",
    );
    let too_many_workgroups = retry_later(
        "`too-many-workgroups`: the caller has created as many workgroups today as one person may; nothing was changed (Retry-After: seconds until the limit starts over).",
    );
    let conflict_or_running = problem(
        "A concurrent change won the race, or a request with this Idempotency-Key is still running (see Retry-After); retry.",
    );
    match op {
        Operation::CreateWorkgroup => json!({
            "summary": "Create a workgroup; the caller becomes its first administrator.",
            "requestBody": body("CreateWorkgroup"),
            "responses": { "201": ok_linked("The new workgroup.", "Workgroup", &[
                               ("Agents", "listAgents", json!({ "wg": "$response.body#/id" })),
                               ("Invite", "inviteAgents", json!({ "wg": "$response.body#/id" })),
                               ("Invitations", "listInvitations", json!({ "wg": "$response.body#/id" })),
                               ("Events", "listEvents", json!({ "wg": "$response.body#/id" })),
                               ("Allowance", "getAllowance", json!({ "wg": "$response.body#/id" })),
                           ]), "400": bad,
                           "401": unauthenticated, "403": sign_in_refused, "409": conflict,
                           "413": too_large, "429": too_many_workgroups }
        }),
        Operation::ListWorkgroups => json!({
            "summary": "The caller's workgroups, with the caller's role in each.",
            "responses": { "200": ok("The workgroups.", "WorkgroupList"), "401": unauthenticated,
                           "403": sign_in_refused }
        }),
        Operation::ListAgents => json!({
            "summary": "The workgroup's agents (the \"All\" tab).",
            "parameters": with_list_params(vec![wg]),
            "responses": { "200": ok("One page of agents.", "AgentList"), "400": bad,
                           "401": unauthenticated, "403": forbidden, "404": not_member }
        }),
        Operation::Invite => json!({
            "summary": "Invite pasted addresses into a role; one result per entry, in order.",
            "parameters": [wg, idempotency_key],
            "requestBody": body("InviteRequest"),
            "responses": { "200": ok_linked("One result per pasted entry.", "InviteAnswer", &[
                               ("Invitation", "getInvitation", json!({ "wg": "$request.path.wg", "id": "$response.body#/results/0/invitation/id" })),
                               ("Resend", "resendInvitation", json!({ "wg": "$request.path.wg", "id": "$response.body#/results/0/invitation/id" })),
                               ("Cancel", "cancelInvitation", json!({ "wg": "$request.path.wg", "id": "$response.body#/results/0/invitation/id" })),
                           ]), "400": bad,
                           "401": unauthenticated, "403": forbidden, "404": not_member,
                           "409": conflict_or_running, "413": too_large, "422": reused,
                           "429": too_many }
        }),
        Operation::ListInvitations => json!({
            "summary": "Pending and declined invitations until they expire, newest first.",
            "parameters": with_list_params(vec![wg, json!({ "name": "status", "in": "query",
                "required": false, "description": "`pending` or `declined` (at most 8 characters); absent: both.",
                "schema": { "type": "string", "enum": ["pending", "declined"], "maxLength": max_len::STATUS } })]),
            "responses": { "200": ok("One page of invitations.", "InvitationList"), "400": bad,
                           "401": unauthenticated, "403": forbidden, "404": not_member }
        }),
        Operation::GetInvitation => json!({
            "summary": "One invitation.",
            "parameters": [wg, id],
            "responses": { "200": ok("The invitation.", "Invitation"), "400": bad,
                           "401": unauthenticated, "403": forbidden,
                           "404": problem("Unknown workgroup or invitation, or not a member.") }
        }),
        Operation::CancelInvitation => json!({
            "summary": "Cancel a pending or declined invitation; its token stops working.",
            "parameters": [wg, id],
            "responses": { "204": { "description": "Cancelled." }, "400": bad,
                           "401": unauthenticated, "403": forbidden,
                           "404": problem("Unknown workgroup or invitation, or not a member."),
                           "409": conflict }
        }),
        Operation::ResendInvitation => json!({
            "summary": "Resend: new token and email, 30 more days, reminders reset.",
            "parameters": [wg, id, idempotency_key],
            "responses": { "200": ok("The renewed invitation.", "Invitation"),
                           "400": bad, "401": unauthenticated, "403": forbidden,
                           "404": problem("Unknown workgroup or invitation, or not a member."),
                           "409": conflict_or_running, "422": reused, "429": too_many }
        }),
        Operation::LookupInvitation => json!({
            "summary": "What the invitee is joining.",
            "security": [],
            "requestBody": body("TokenRequest"),
            "responses": { "200": ok("The invitation as the invitee sees it.", "Lookup"),
                           "400": bad, "404": gone, "413": too_large }
        }),
        Operation::AcceptInvitation => json!({
            "summary": "Accept, signed in as the invited address; the first acceptance registers.",
            "requestBody": body("AcceptRequest"),
            "responses": { "200": ok("The workgroup joined.", "AcceptAnswer"), "400": bad,
                           "401": unauthenticated,
                           "403": problem(&format!("Signed in as another address than the invited one, or {SIGN_IN_REFUSED}.")),
                           "404": gone, "409": conflict, "413": too_large }
        }),
        Operation::DeclineInvitation => json!({
            "summary": "Decline, without registering; the token stops working.",
            "security": [],
            "requestBody": body("TokenRequest"),
            "responses": { "200": ok("Declined.", "DeclineAnswer"), "400": bad, "404": gone,
                           "409": conflict, "413": too_large }
        }),
        Operation::ListMyInvitations => json!({
            "summary": "The caller's own live invitations, in every workgroup, newest first: pending and unexpired, addressed to the caller's verified address.",
            "parameters": with_list_params(vec![]),
            "responses": { "200": ok_linked("One page of the caller's invitations.", "MyInvitationList", &[
                               ("Accept", "acceptMyInvitation", json!({ "id": "$response.body#/items/0/id" })),
                               ("Decline", "declineMyInvitation", json!({ "id": "$response.body#/items/0/id" })),
                           ]), "400": bad,
                           "401": unauthenticated, "403": sign_in_refused }
        }),
        Operation::AcceptMyInvitation => json!({
            "summary": "Accept one of the caller's invitations by id, as by its token; the first acceptance registers.",
            "parameters": [my_id.clone()],
            "requestBody": { "required": false,
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AcceptMineRequest" } } } },
            "responses": { "200": ok("The workgroup joined.", "AcceptAnswer"), "400": bad,
                           "401": unauthenticated, "403": sign_in_refused, "404": not_mine.clone(),
                           "409": conflict, "413": too_large }
        }),
        Operation::DeclineMyInvitation => json!({
            "summary": "Decline one of the caller's invitations by id, as by its token.",
            "parameters": [my_id],
            "responses": { "200": ok("Declined.", "DeclineAnswer"), "400": bad,
                           "401": unauthenticated, "403": sign_in_refused, "404": not_mine,
                           "409": conflict }
        }),
        Operation::ChangeAgentRole => json!({
            "summary": "Give an agent another role. Administrators: any agent, any role. Managers: agents who are not administrators, to manager, associate or inactive. The same role again changes nothing.",
            "parameters": [wg, agent_id],
            "requestBody": body("RoleRequest"),
            "responses": { "200": ok("The agent with their role.", "Agent"), "400": bad,
                           "401": unauthenticated, "403": forbidden,
                           "404": problem("Unknown workgroup or agent, or not a member."),
                           "409": last_administrator, "413": too_large }
        }),
        Operation::RemoveAgent => json!({
            "summary": "Remove an agent from the workgroup, or leave it (one's own id, any role). The person stays registered, with their other memberships.",
            "parameters": [wg, agent_id],
            "responses": { "204": { "description": "Removed." }, "400": bad,
                           "401": unauthenticated, "403": forbidden,
                           "404": problem("Unknown workgroup or agent, or not a member."),
                           "409": last_administrator }
        }),
        Operation::ListEvents => json!({
            "summary": "The workgroup's audit trail, newest first: every change of an invitation, with who made it and when. Kept for 365 days.",
            "parameters": with_list_params(vec![wg]),
            "responses": { "200": ok("One page of events.", "EventList"), "400": bad,
                           "401": unauthenticated, "403": forbidden, "404": not_member }
        }),
        Operation::Allowance => json!({
            "summary": "What the caller may send with the next invite: the addresses one request may carry, and the invitation emails still allowed today under the caller's daily limits (in this workgroup, and in all of them together). Reserves nothing.",
            "parameters": [wg],
            "responses": { "200": ok("The caller's allowance.", "Allowance"), "400": bad,
                           "401": unauthenticated, "403": forbidden, "404": not_member }
        }),
        // The web console's routes are not part of the API (see `document`).
        Operation::WebPage | Operation::WebAsset | Operation::WebConfig => json!({}),
        Operation::OpenApi => json!({
            "summary": "This document.",
            "security": [],
            "responses": { "200": { "description": "The OpenAPI document.",
                "content": { "application/json": { "schema": { "type": "object" } } } } }
        }),
    }
}

fn schemas() -> Value {
    let time = json!({ "type": "string", "format": "date-time" });
    let role =
        json!({ "type": "string", "enum": ["administrator", "manager", "associate", "inactive"] });
    let locale = json!({ "type": ["string", "null"], "enum": ["en", "ja", null],
                         "maxLength": max_len::LOCALE,
                         "description": "`en` or `ja` (at most 2 characters); absent or null: the default." });
    let request_role = json!({ "type": "string", "enum": ["administrator", "manager", "associate", "inactive"],
                               "maxLength": max_len::ROLE,
                               "description": "The role granted (at most 13 characters)." });
    let token = json!({ "type": "string", "maxLength": max_len::TOKEN,
                        "description": format!("The token of the accept link (`#token=…`). At most {} characters.", max_len::TOKEN) });
    // What names may hold: 1 to 100 characters, one of them not a space, none a control
    // character, line or paragraph separator or bidirectional override (they break email lines).
    let typed_name = json!({ "type": "string", "minLength": 1, "maxLength": max_len::AGENT_NAME,
        "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069][^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]*$" });
    let mut workgroup_name = typed_name.clone();
    workgroup_name["description"] = json!("The workgroup's name, 1 to 100 characters.");
    workgroup_name["maxLength"] = json!(max_len::WORKGROUP_NAME);
    let cursor =
        json!({ "type": ["string", "null"], "description": "Absent or null on the last page." });
    let list = |item: &str| {
        json!({
            "type": "object", "required": ["items"],
            "properties": { "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } },
                            "next_cursor": cursor }
        })
    };
    json!({
        "Problem": {
            "type": "object", "required": ["type", "title", "status", "detail"],
            "properties": { "type": { "type": "string" }, "title": { "type": "string" },
                            "status": { "type": "integer" }, "detail": { "type": "string" } }
        },
        "CreateWorkgroup": {
            "type": "object", "required": ["name"], "additionalProperties": false,
            "properties": { "name": workgroup_name, "locale": locale }
        },
        "Workgroup": {
            "type": "object", "required": ["id", "name", "role"],
            "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "role": role }
        },
        "WorkgroupList": list("Workgroup"),
        "Agent": {
            "type": "object", "required": ["id", "email", "name", "role", "joined_at"],
            "properties": { "id": { "type": "string" }, "email": { "type": "string" },
                            "name": { "type": "string" }, "role": role, "joined_at": time }
        },
        "AgentList": list("Agent"),
        "Person": {
            "type": "object", "required": ["id", "email", "name"],
            "properties": { "id": { "type": "string" }, "email": { "type": "string" },
                            "name": { "type": "string" } }
        },
        "Invitation": {
            "type": "object",
            "required": ["id", "email", "role", "status", "invited_by", "sent_at", "expires_at", "delivery"],
            "properties": {
                "id": { "type": "string" }, "email": { "type": "string" }, "role": role,
                "status": { "type": "string", "enum": ["pending", "declined"] },
                "invited_by": { "$ref": "#/components/schemas/Person" },
                "sent_at": time, "expires_at": time,
                "delivery": { "type": "string", "enum": ["queued", "sent", "failed", "bounced", "complained"] }
            }
        },
        "InvitationList": list("Invitation"),
        "InviteRequest": {
            "type": "object", "required": ["emails", "role"], "additionalProperties": false,
            "properties": {
                "emails": {
                    "description": format!("Addresses separated by commas, semicolons, spaces or new lines; one string or a list. At most 50 entries, and at most {} bytes (64 KiB) of UTF-8 text, all strings together.", max_len::EMAILS),
                    "oneOf": [ { "type": "string", "maxLength": max_len::EMAILS },
                               { "type": "array", "items": { "type": "string", "maxLength": max_len::EMAILS } } ]
                },
                "role": request_role, "locale": locale
            }
        },
        "InviteAnswer": {
            "type": "object", "required": ["results"],
            "properties": { "results": { "type": "array", "items": {
                "type": "object", "required": ["email", "outcome"],
                "properties": {
                    "email": { "type": "string" },
                    "outcome": { "type": "string", "enum": ["invited", "resent", "already_agent", "invalid_email", "duplicate", "forbidden"] },
                    "invitation": { "$ref": "#/components/schemas/Invitation" }
                }
            } } }
        },
        "TokenRequest": {
            "type": "object", "required": ["token"], "additionalProperties": false,
            "properties": { "token": token }
        },
        "AcceptRequest": {
            "type": "object", "required": ["token"], "additionalProperties": false,
            "properties": { "token": token,
                            "name": { "anyOf": [typed_name, { "type": "null" }],
                                      "description": "The display name, 1 to 100 characters: required on first registration." } }
        },
        "AcceptMineRequest": {
            "type": "object", "additionalProperties": false,
            "properties": { "name": { "anyOf": [typed_name, { "type": "null" }],
                                      "description": "The display name, 1 to 100 characters: required on first registration." } }
        },
        "MyInvitation": {
            "type": "object", "required": ["id", "workgroup", "role", "invited_by", "sent_at", "expires_at"],
            "properties": {
                "id": { "type": "string" },
                "workgroup": { "$ref": "#/components/schemas/WorkgroupRef" }, "role": role,
                "invited_by": { "$ref": "#/components/schemas/Person" },
                "sent_at": time, "expires_at": time
            }
        },
        "MyInvitationList": list("MyInvitation"),
        "RoleRequest": {
            "type": "object", "required": ["role"], "additionalProperties": false,
            "properties": { "role": request_role }
        },
        "WorkgroupRef": {
            "type": "object", "required": ["id", "name"],
            "properties": { "id": { "type": "string" }, "name": { "type": "string" } }
        },
        "Lookup": {
            "type": "object",
            "required": ["workgroup", "email", "role", "invited_by", "expires_at", "registration_needed"],
            "properties": {
                "workgroup": { "$ref": "#/components/schemas/WorkgroupRef" },
                "email": { "type": "string" }, "role": role,
                "invited_by": { "$ref": "#/components/schemas/Person" },
                "expires_at": time, "registration_needed": { "type": "boolean" }
            }
        },
        "AcceptAnswer": {
            "type": "object", "required": ["workgroup", "agent"],
            "properties": { "workgroup": { "$ref": "#/components/schemas/Workgroup" },
                            "agent": { "$ref": "#/components/schemas/Agent" } }
        },
        "Event": {
            "type": "object", "required": ["id", "type", "workgroup", "at", "actor", "invitation"],
            "properties": {
                "id": { "type": "string" },
                "type": { "type": "string", "enum": ["invitation.invited", "invitation.resent",
                    "invitation.cancelled", "invitation.declined", "invitation.accepted",
                    "invitation.expired", "invitation.reminded", "invitation.delivery"] },
                "workgroup": { "type": "string" },
                "at": time,
                "actor": {
                    "description": "`agent` (an agent of the workgroup, or the invitee accepting), `invitee` (declining by link) or `system` (sweeps, delivery reports, expiry).",
                    "type": "object", "required": ["type"],
                    "properties": { "type": { "type": "string", "enum": ["agent", "invitee", "system"] },
                                    "id": { "type": "string" }, "email": { "type": "string" },
                                    "name": { "type": "string" } }
                },
                "invitation": {
                    "type": "object", "required": ["id", "email", "role"],
                    "properties": { "id": { "type": "string" }, "email": { "type": "string" }, "role": role }
                },
                "delivery": { "type": "string", "enum": ["queued", "sent", "failed", "bounced", "complained"],
                              "description": "`invitation.delivery` only." },
                "attempt": { "type": "integer", "description": "`invitation.delivery` only." },
                "days_before": { "type": "integer", "description": "`invitation.reminded` only." }
            }
        },
        "EventList": list("Event"),
        "Allowance": {
            "type": "object", "required": ["max_addresses", "remaining_today", "resets_at"],
            "properties": {
                "max_addresses": { "type": "integer", "minimum": 1,
                                   "description": "Entries one invite request may carry, invalid ones and duplicates included." },
                "remaining_today": { "type": "integer", "minimum": 0,
                                     "description": "Invitation emails (invites and resends) the caller may still send today: the lower of what is left of their daily limit in this workgroup and of their daily limit in all workgroups together. Each recipient address's own daily limit may still refuse one." },
                "resets_at": { "type": "string", "format": "date-time",
                               "description": "When the daily counts start over: the next midnight, UTC." }
            }
        },
        "DeclineAnswer": {
            "type": "object", "required": ["workgroup", "status"],
            "properties": { "workgroup": { "$ref": "#/components/schemas/WorkgroupRef" },
                            "status": { "type": "string", "enum": ["declined"] } }
        }
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES.iter().filter(|route| route.operation.is_api()) {
        let mut op = operation(route.operation);
        op["operationId"] = json!(route.operation_id);
        let item = paths.entry(route.path).or_insert_with(|| json!({}));
        item[route.method.as_str().to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Workgroup agent invitations",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Administrators and managers invite people by email to join a workgroup as agents with a role. Errors are application/problem+json."
        },
        "security": [ { "jwt": [] } ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "jwt": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                         "description": "An ID token of the identity provider (API Gateway's JWT authorizer); locally, a development token." }
            },
            "schemas": schemas()
        }
    })
}
