//! Every error answers problem+json with the right status and changes nothing.

use chrono::TimeDelta;
use serde_json::{Value, json};
use tests::harness::{Harness, api_gateway_event};

mod tokens_and_roles;

const ADMIN: &str = "ada@example.com";
const MANAGER: &str = "max@example.com";
const ASSOCIATE: &str = "sam@example.com";
const INACTIVE: &str = "ivy@example.com";
const OUTSIDER: &str = "oz@example.com";
const INVITEE: &str = "ann@example.com";

/// A workgroup with one member of each role and one pending administrator invitation.
struct World {
    h: Harness,
    wg: String,
    other_wg: String,
    admin_invitation: String,
    invitee_invitation: String,
    invitee_token: String,
}

async fn world() -> World {
    let h = Harness::new();
    let wg = h.workgroup(ADMIN, "Acme IT").await;
    let other_wg = h.workgroup(OUTSIDER, "Elsewhere").await;
    h.member(ADMIN, &wg, MANAGER, "manager").await;
    h.member(ADMIN, &wg, ASSOCIATE, "associate").await;
    h.member(ADMIN, &wg, INACTIVE, "inactive").await;
    let (admin_invitation, _) = h
        .invited(ADMIN, &wg, "root@example.com", "administrator")
        .await;
    let (invitee_invitation, invitee_token) = h.invited(ADMIN, &wg, INVITEE, "associate").await;
    World {
        h,
        wg,
        other_wg,
        admin_invitation,
        invitee_invitation,
        invitee_token,
    }
}

/// Everything an error must leave as it was.
async fn snapshot(w: &World) -> (Vec<Value>, Vec<Value>, Vec<Value>, usize) {
    (
        w.h.invitations(ADMIN, &w.wg).await,
        w.h.agents(ADMIN, &w.wg).await,
        w.h.invitations(OUTSIDER, &w.other_wg).await,
        w.h.mailer.sent().len(),
    )
}

struct Case {
    why: &'static str,
    method: &'static str,
    path: String,
    as_email: Option<&'static str>,
    body: Option<Value>,
    status: u16,
}

fn case(
    why: &'static str,
    method: &'static str,
    path: String,
    as_email: Option<&'static str>,
    body: Option<Value>,
    status: u16,
) -> Case {
    Case {
        why,
        method,
        path,
        as_email,
        body,
        status,
    }
}

#[tokio::test]
async fn every_refused_request_answers_problem_json_and_changes_nothing() {
    let w = world().await;
    let (wg, other) = (w.wg.clone(), w.other_wg.clone());
    let inv = format!("/workgroups/{wg}/invitations");
    let admin_inv = format!("{inv}/{}", w.admin_invitation);
    let invitee_inv = format!("{inv}/{}", w.invitee_invitation);
    let too_many: Vec<String> = (0..51).map(|i| format!("p{i}@example.com")).collect();
    let other_cursor = {
        // Two more invitations in the other workgroup so that its list has a second page.
        w.h.invite(
            OUTSIDER,
            &other,
            json!("x1@example.com x2@example.com"),
            "associate",
        )
        .await;
        let page =
            w.h.get(
                &format!("/workgroups/{other}/invitations?limit=1"),
                OUTSIDER,
            )
            .await;
        page.assert_ok(200)["next_cursor"]
            .as_str()
            .expect("a second page")
            .to_owned()
    };
    let before = snapshot(&w).await;
    let token = w.invitee_token.clone();

    let cases = vec![
        case("no sign-in", "GET", inv.clone(), None, None, 401),
        case(
            "no sign-in to invite",
            "POST",
            inv.clone(),
            None,
            Some(json!({"emails": "a@example.com", "role": "associate"})),
            401,
        ),
        case(
            "no sign-in to accept",
            "POST",
            "/invitations/accept".into(),
            None,
            Some(json!({"token": token})),
            401,
        ),
        case(
            "not a member lists invitations",
            "GET",
            inv.clone(),
            Some(OUTSIDER),
            None,
            404,
        ),
        case(
            "not a member lists agents",
            "GET",
            format!("/workgroups/{wg}/agents"),
            Some(OUTSIDER),
            None,
            404,
        ),
        case(
            "not a member invites",
            "POST",
            inv.clone(),
            Some(OUTSIDER),
            Some(json!({"emails": "a@example.com", "role": "associate"})),
            404,
        ),
        case(
            "not a member cancels",
            "DELETE",
            invitee_inv.clone(),
            Some(OUTSIDER),
            None,
            404,
        ),
        case(
            "malformed workgroup id",
            "GET",
            "/workgroups/acme/agents".into(),
            Some(ADMIN),
            None,
            404,
        ),
        case(
            "unknown workgroup id",
            "GET",
            "/workgroups/wg_0123456789abcdef0123456789abcdef/agents".into(),
            Some(ADMIN),
            None,
            404,
        ),
        case(
            "unknown invitation",
            "GET",
            format!("{inv}/inv_0123456789abcdef0123456789abcdef"),
            Some(ADMIN),
            None,
            404,
        ),
        case(
            "malformed invitation id",
            "DELETE",
            format!("{inv}/../agents"),
            Some(ADMIN),
            None,
            404,
        ),
        case(
            "associate invites",
            "POST",
            inv.clone(),
            Some(ASSOCIATE),
            Some(json!({"emails": "a@example.com", "role": "associate"})),
            403,
        ),
        case(
            "inactive invites",
            "POST",
            inv.clone(),
            Some(INACTIVE),
            Some(json!({"emails": "a@example.com", "role": "inactive"})),
            403,
        ),
        case(
            "associate lists invitations",
            "GET",
            inv.clone(),
            Some(ASSOCIATE),
            None,
            403,
        ),
        case(
            "associate cancels",
            "DELETE",
            invitee_inv.clone(),
            Some(ASSOCIATE),
            None,
            403,
        ),
        case(
            "inactive lists agents",
            "GET",
            format!("/workgroups/{wg}/agents"),
            Some(INACTIVE),
            None,
            403,
        ),
        case(
            "inactive resends",
            "POST",
            format!("{invitee_inv}/resend"),
            Some(INACTIVE),
            None,
            403,
        ),
        case(
            "manager grants administrator",
            "POST",
            inv.clone(),
            Some(MANAGER),
            Some(json!({"emails": "a@example.com", "role": "administrator"})),
            403,
        ),
        case(
            "manager cancels an administrator invitation",
            "DELETE",
            admin_inv.clone(),
            Some(MANAGER),
            None,
            403,
        ),
        case(
            "manager resends an administrator invitation",
            "POST",
            format!("{admin_inv}/resend"),
            Some(MANAGER),
            None,
            403,
        ),
        case(
            "no valid address",
            "POST",
            inv.clone(),
            Some(ADMIN),
            Some(json!({"emails": "nope, also nope", "role": "associate"})),
            400,
        ),
        case(
            "empty address list",
            "POST",
            inv.clone(),
            Some(ADMIN),
            Some(json!({"emails": [], "role": "associate"})),
            400,
        ),
        case(
            "unknown role",
            "POST",
            inv.clone(),
            Some(ADMIN),
            Some(json!({"emails": "a@example.com", "role": "owner"})),
            400,
        ),
        case(
            "more than 50 entries",
            "POST",
            inv.clone(),
            Some(ADMIN),
            Some(json!({"emails": too_many, "role": "associate"})),
            400,
        ),
        case(
            "emails is a number",
            "POST",
            inv.clone(),
            Some(ADMIN),
            Some(json!({"emails": 42, "role": "associate"})),
            400,
        ),
        case(
            "emails list holds a number",
            "POST",
            inv.clone(),
            Some(ADMIN),
            Some(json!({"emails": ["a@example.com", 1], "role": "associate"})),
            400,
        ),
        case(
            "unknown locale",
            "POST",
            inv.clone(),
            Some(ADMIN),
            Some(json!({"emails": "a@example.com", "role": "associate", "locale": "fr"})),
            400,
        ),
        case(
            "unknown field",
            "POST",
            inv.clone(),
            Some(ADMIN),
            Some(json!({"emails": "a@example.com", "role": "associate", "extra": 1})),
            400,
        ),
        case("no body", "POST", inv.clone(), Some(ADMIN), None, 400),
        case(
            "body is not an object",
            "POST",
            inv.clone(),
            Some(ADMIN),
            Some(json!("a@example.com")),
            400,
        ),
        case(
            "bad status filter",
            "GET",
            format!("{inv}?status=accepted"),
            Some(ADMIN),
            None,
            400,
        ),
        case(
            "limit zero",
            "GET",
            format!("{inv}?limit=0"),
            Some(ADMIN),
            None,
            400,
        ),
        case(
            "limit too large",
            "GET",
            format!("{inv}?limit=101"),
            Some(ADMIN),
            None,
            400,
        ),
        case(
            "limit not a number",
            "GET",
            format!("{inv}?limit=ten"),
            Some(ADMIN),
            None,
            400,
        ),
        case(
            "garbage cursor",
            "GET",
            format!("{inv}?cursor=abc"),
            Some(ADMIN),
            None,
            400,
        ),
        case(
            "another workgroup's cursor",
            "GET",
            format!("{inv}?cursor={other_cursor}"),
            Some(ADMIN),
            None,
            400,
        ),
        case(
            "a cursor for another filter",
            "GET",
            format!("/workgroups/{other}/invitations?status=pending&cursor={other_cursor}"),
            Some(OUTSIDER),
            None,
            400,
        ),
        case(
            "empty workgroup name",
            "POST",
            "/workgroups".into(),
            Some(ADMIN),
            Some(json!({"name": "  "})),
            400,
        ),
        case(
            "over-long workgroup name",
            "POST",
            "/workgroups".into(),
            Some(ADMIN),
            Some(json!({"name": "x".repeat(101)})),
            400,
        ),
        case(
            "lookup without a token",
            "POST",
            "/invitations/lookup".into(),
            None,
            Some(json!({})),
            400,
        ),
        case(
            "lookup of garbage",
            "POST",
            "/invitations/lookup".into(),
            None,
            Some(json!({"token": "garbage"})),
            404,
        ),
        case(
            "lookup of an unknown token",
            "POST",
            "/invitations/lookup".into(),
            None,
            Some(json!({"token": "A".repeat(43)})),
            404,
        ),
        case(
            "decline of an unknown token",
            "POST",
            "/invitations/decline".into(),
            None,
            Some(json!({"token": "B".repeat(43)})),
            404,
        ),
        case(
            "accept as another address",
            "POST",
            "/invitations/accept".into(),
            Some(OUTSIDER),
            Some(json!({"token": token, "name": "Oz"})),
            403,
        ),
        case(
            "first acceptance without a name",
            "POST",
            "/invitations/accept".into(),
            Some(INVITEE),
            Some(json!({"token": token})),
            400,
        ),
        case(
            "first acceptance with a blank name",
            "POST",
            "/invitations/accept".into(),
            Some(INVITEE),
            Some(json!({"token": token, "name": " "})),
            400,
        ),
        case(
            "unknown route",
            "GET",
            "/nothing-here".into(),
            Some(ADMIN),
            None,
            404,
        ),
        case("wrong method", "PUT", inv.clone(), Some(ADMIN), None, 405),
    ];

    for case in cases {
        let answer =
            w.h.call(case.method, &case.path, case.as_email, case.body)
                .await;
        assert_eq!(answer.status, case.status, "{}: {answer:#?}", case.why);
        answer.assert_problem(case.status);
        assert_eq!(snapshot(&w).await, before, "{} changed something", case.why);
    }

    // The invitee's link still works after all that.
    w.h.post(
        "/invitations/lookup",
        None,
        json!({ "token": w.invitee_token }),
    )
    .await
    .assert_ok(200);
}

fn event_claims(event: &mut Value) -> &mut serde_json::Map<String, Value> {
    event["requestContext"]["authorizer"]["jwt"]["claims"]
        .as_object_mut()
        .expect("claims")
}
