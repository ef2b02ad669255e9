//! The scenario both stacks run: every function, through the rehearsal's gate, on what the
//! stack made. Its steps are split by capability: the inviter's here, the invitee's own
//! invitations and the agents' changes in `members`, the non-HTTP triggers in `triggers`, and
//! the requests the policies must refuse in `controls`.

mod controls;
mod members;
mod triggers;

use super::{checks::stack_api, *};

/// The scenario, on one deployment: every function called by its trigger in that stack.
pub(super) async fn scenario(d: &Deployment, people: &str) {
    let stack = Rehearsal::start(d).await;
    let admin = format!("admin@{people}");
    let ann = format!("ann@{people}");
    let cy = format!("cy@{people}");

    let wg = create_workgroup(&stack, &admin, "Acme").await;
    let (ann_id, cy_id) = invite_and_send(&stack, &admin, &wg, &ann, &cy).await;
    list_resend_and_count(&stack, &admin, &wg, &ann_id).await;
    accept_by_token(&stack, &ann).await;
    let bo = format!("bo@{people}");
    let bo_agent = members::own_invitations(&stack, &admin, &wg, &ann, &bo).await;
    members::manage_agents(&stack, &admin, &wg, &ann, &bo_agent).await;

    let (status, config) = stack.http("GET", "/config.json", None, None).await;
    assert_eq!(status, 200, "{}: {config}", d.tool);
    let (status, _) = stack.http("GET", "/openapi.json", None, None).await;
    assert_eq!(status, 200, "{}", d.tool);

    triggers::schedule_ticks(&stack).await;
    triggers::bounce(&stack, &wg, &cy, &cy_id).await;
    triggers::audit_trail(&stack, &admin, &wg).await;
    nothing_was_refused(&stack);
    drop(stack);

    controls::another_sender_is_refused(d, &admin, &wg, people).await;
    controls::who_may_mail_post_and_publish(d);
}

/// `POST /workgroups` as `who`: the new workgroup's id.
async fn create_workgroup(stack: &Rehearsal<'_>, who: &str, name: &str) -> String {
    let d = stack.deployment;
    let (status, created) = stack
        .http(
            "POST",
            "/workgroups",
            Some(who),
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(status, 201, "{}: {created}", d.tool);
    created["id"].as_str().unwrap().to_owned()
}

/// The administrator invites ann and cy; the queue's poller hands both emails to the send
/// function, which SES takes. Returns their invitations' ids.
async fn invite_and_send(
    stack: &Rehearsal<'_>,
    admin: &str,
    wg: &str,
    ann: &str,
    cy: &str,
) -> (String, String) {
    let d = stack.deployment;
    let (status, invited) = stack
        .http(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(admin),
            Some(json!({"emails": [ann, cy], "role": "associate"})),
        )
        .await;
    assert_eq!(status, 200, "{}: {invited}", d.tool);
    for result in invited["results"].as_array().unwrap() {
        assert_eq!(result["outcome"], "invited", "{}: {invited}", d.tool);
        assert_eq!(
            result["invitation"]["delivery"], "queued",
            "{}: posted, not sent: {invited}",
            d.tool
        );
    }
    let posted = stack.get(Function::Invite).gate.calls();
    assert!(
        posted
            .iter()
            .any(|c| c.operation == "sqs:SendMessageBatch" && c.allowed()),
        "{}: invite posts to the queue: {posted:?}",
        d.tool
    );
    let sent_before = moto().moto.sent_emails().len();
    assert_eq!(
        stack.drain().await,
        (2, 0),
        "{}: the send function takes both emails",
        d.tool
    );
    assert_eq!(
        moto().moto.sent_emails().len(),
        sent_before + 2,
        "{}: SES has both",
        d.tool
    );
    assert_eq!(
        stack.drain().await,
        (0, 0),
        "{}: the queue is empty",
        d.tool
    );
    // With no rate set, the send function asked SES for the account's (moto has none to give:
    // it sends one a second).
    let sender_calls: Vec<String> = stack
        .get(Function::Send)
        .gate
        .calls()
        .into_iter()
        .filter(|c| c.allowed())
        .map(|c| c.operation)
        .collect();
    for operation in ["ses:GetAccount", "ses:SendEmail"] {
        assert!(
            sender_calls.iter().any(|c| c == operation),
            "{}: send called {operation}: {sender_calls:?}",
            d.tool
        );
    }
    let id = |i: usize| {
        invited["results"][i]["invitation"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    (id(0), id(1))
}

/// The administrator lists both invitations as sent, resends ann's, and reads the allowance.
async fn list_resend_and_count(stack: &Rehearsal<'_>, admin: &str, wg: &str, ann_id: &str) {
    let d = stack.deployment;
    let (status, listed) = stack
        .http(
            "GET",
            &format!("/workgroups/{wg}/invitations"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{}: {listed}", d.tool);
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        2,
        "{}: {listed}",
        d.tool
    );
    for item in listed["items"].as_array().unwrap() {
        assert_eq!(item["delivery"], "sent", "{}: {listed}", d.tool);
    }

    let (status, resent) = stack
        .http(
            "POST",
            &format!("/workgroups/{wg}/invitations/{ann_id}/resend"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{}: {resent}", d.tool);
    assert_eq!(stack.drain().await, (1, 0), "{}: the resent email", d.tool);
    // The list function reads the inviter's daily counts under its grants and the stack's
    // limits: three emails sent of the 200 a day in one workgroup.
    let (status, allowance) = stack
        .http(
            "GET",
            &format!("/workgroups/{wg}/allowance"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{}: {allowance}", d.tool);
    assert_eq!(
        (&allowance["max_addresses"], &allowance["remaining_today"]),
        (&json!(50), &json!(197)),
        "{}: {allowance}",
        d.tool
    );
}

/// Ann's email links to the API; she looks the token up and accepts it.
async fn accept_by_token(stack: &Rehearsal<'_>, ann: &str) {
    let d = stack.deployment;
    let token = latest_token(ann);
    let link = moto()
        .moto
        .sent_emails()
        .into_iter()
        .rev()
        .find(|e| e["destinations"]["ToAddresses"][0] == ann)
        .unwrap();
    assert!(
        link["body"].as_str().unwrap().contains(&format!(
            "https://{}.execute-api.{REGION}.amazonaws.com/accept#token=",
            stack.api_id
        )),
        "{}: without a custom domain, links point at the API",
        d.tool
    );

    let (status, looked_up) = stack
        .http(
            "POST",
            "/invitations/lookup",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(status, 200, "{}: {looked_up}", d.tool);
    let (status, accepted) = stack
        .http(
            "POST",
            "/invitations/accept",
            Some(ann),
            Some(json!({"token": token, "name": "Ann"})),
        )
        .await;
    assert_eq!(status, 200, "{}: {accepted}", d.tool);
}

/// Nothing any function asked for was refused; each asked for something.
fn nothing_was_refused(stack: &Rehearsal<'_>) {
    let d = stack.deployment;
    for running in stack.running.values() {
        let calls: Vec<Call> = running.gate.calls();
        assert!(
            !calls.is_empty(),
            "{}: {:?} made no AWS request",
            d.tool,
            running.function
        );
        assert!(
            refused(&calls).is_empty(),
            "{}: {:?} was refused {:#?}\n{}",
            d.tool,
            running.function,
            refused(&calls),
            running.log()
        );
    }
}
