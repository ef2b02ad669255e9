//! The members' steps: a person's own invitations (`/me/invitations`, the accept function) and
//! the agents' roles and removals (`/workgroups/{wg}/agents/{id}`, the manage function).

use super::*;

/// `path` answered for `who`: the status and the body.
async fn call(
    stack: &Rehearsal<'_>,
    method: &str,
    path: &str,
    who: &str,
    body: Option<Value>,
) -> (u16, Value) {
    stack.http(method, path, Some(who), body).await
}

/// `bo` is invited to the administrator's workgroup and to one ann makes; signed in, bo lists
/// both, accepts the first by its id (registering) and declines the other. Returns bo's agent
/// id in `wg`.
pub(super) async fn own_invitations(
    stack: &Rehearsal<'_>,
    admin: &str,
    wg: &str,
    ann: &str,
    bo: &str,
) -> String {
    let d = stack.deployment;
    let globex = create_workgroup(stack, ann, "Globex").await;
    let mut invitations = Vec::new();
    for (inviter, workgroup) in [(admin, wg), (ann, globex.as_str())] {
        let (status, invited) = call(
            stack,
            "POST",
            &format!("/workgroups/{workgroup}/invitations"),
            inviter,
            Some(json!({"emails": [bo], "role": "associate"})),
        )
        .await;
        assert_eq!(status, 200, "{}: {invited}", d.tool);
        assert_eq!(
            invited["results"][0]["outcome"], "invited",
            "{}: {invited}",
            d.tool
        );
        invitations.push(
            invited["results"][0]["invitation"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(stack.drain().await, (2, 0), "{}: bo's two emails", d.tool);
    let [acme_id, globex_id] = [&invitations[0], &invitations[1]];

    let (status, mine) = call(stack, "GET", "/me/invitations", bo, None).await;
    assert_eq!(status, 200, "{}: {mine}", d.tool);
    let mut listed: Vec<(&str, &str, &str)> = mine["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: a list: {mine}", d.tool))
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap_or_default(),
                i["workgroup"]["id"].as_str().unwrap_or_default(),
                i["role"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    listed.sort();
    let mut expected = vec![
        (acme_id.as_str(), wg, "associate"),
        (globex_id.as_str(), globex.as_str(), "associate"),
    ];
    expected.sort();
    assert_eq!(listed, expected, "{}: bo's invitations: {mine}", d.tool);
    let (status, others) = call(stack, "GET", "/me/invitations", admin, None).await;
    assert_eq!(
        (status, &others["items"]),
        (200, &json!([])),
        "{}: the administrator has none: {others}",
        d.tool
    );

    let (status, accepted) = call(
        stack,
        "POST",
        &format!("/me/invitations/{acme_id}/accept"),
        bo,
        Some(json!({"name": "Bo"})),
    )
    .await;
    assert_eq!(status, 200, "{}: {accepted}", d.tool);
    assert_eq!(
        (&accepted["workgroup"]["id"], &accepted["workgroup"]["role"]),
        (&json!(wg), &json!("associate")),
        "{}: {accepted}",
        d.tool
    );
    assert_eq!(
        (&accepted["agent"]["email"], &accepted["agent"]["name"]),
        (&json!(bo), &json!("Bo")),
        "{}: {accepted}",
        d.tool
    );

    let (status, declined) = call(
        stack,
        "POST",
        &format!("/me/invitations/{globex_id}/decline"),
        bo,
        None,
    )
    .await;
    assert_eq!(status, 200, "{}: {declined}", d.tool);
    assert_eq!(
        declined,
        json!({"workgroup": {"id": globex, "name": "Globex"}, "status": "declined"}),
        "{}",
        d.tool
    );
    let (status, mine) = call(stack, "GET", "/me/invitations", bo, None).await;
    assert_eq!(
        (status, &mine["items"]),
        (200, &json!([])),
        "{}: answered, neither is listed: {mine}",
        d.tool
    );
    // Answered already: the same 404 as any unknown invitation.
    let (status, again) = call(
        stack,
        "POST",
        &format!("/me/invitations/{globex_id}/accept"),
        bo,
        None,
    )
    .await;
    assert_eq!(status, 404, "{}: {again}", d.tool);
    accepted["agent"]["id"].as_str().unwrap().to_owned()
}

/// The agents of `wg` as its administrator lists them: (email, role, id), by email.
async fn agents(stack: &Rehearsal<'_>, admin: &str, wg: &str) -> Vec<(String, String, String)> {
    let d = stack.deployment;
    let (status, listed) = call(
        stack,
        "GET",
        &format!("/workgroups/{wg}/agents"),
        admin,
        None,
    )
    .await;
    assert_eq!(status, 200, "{}: {listed}", d.tool);
    let mut agents: Vec<(String, String, String)> = listed["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: a list: {listed}", d.tool))
        .iter()
        .map(|a| {
            let field = |name: &str| a[name].as_str().unwrap_or_default().to_owned();
            (field("email"), field("role"), field("id"))
        })
        .collect();
    agents.sort();
    agents
}

/// The administrator makes ann a manager and removes bo; ann leaves; the administrator, now
/// the last, can neither step down nor leave (409), and stays.
pub(super) async fn manage_agents(
    stack: &Rehearsal<'_>,
    admin: &str,
    wg: &str,
    ann: &str,
    bo_agent: &str,
) {
    let d = stack.deployment;
    let before = agents(stack, admin, wg).await;
    let id_of = |email: &str| {
        before
            .iter()
            .find(|(e, _, _)| e == email)
            .map(|(_, _, id)| id.clone())
            .unwrap_or_else(|| panic!("{}: {email} is not an agent: {before:?}", d.tool))
    };
    let (admin_agent, ann_agent) = (id_of(admin), id_of(ann));
    let agent = |id: &str| format!("/workgroups/{wg}/agents/{id}");

    let (status, changed) = call(
        stack,
        "PATCH",
        &agent(&ann_agent),
        admin,
        Some(json!({"role": "manager"})),
    )
    .await;
    assert_eq!(status, 200, "{}: {changed}", d.tool);
    assert_eq!(changed["role"], "manager", "{}: {changed}", d.tool);

    let (status, removed) = call(stack, "DELETE", &agent(bo_agent), admin, None).await;
    assert_eq!(status, 204, "{}: bo removed: {removed}", d.tool);
    let (status, left) = call(stack, "DELETE", &agent(&ann_agent), ann, None).await;
    assert_eq!(status, 204, "{}: ann leaves: {left}", d.tool);

    let (status, refused) = call(
        stack,
        "PATCH",
        &agent(&admin_agent),
        admin,
        Some(json!({"role": "associate"})),
    )
    .await;
    assert_eq!(
        (status, &refused["status"]),
        (409, &json!(409)),
        "{}: the last administrator stays one: {refused}",
        d.tool
    );
    let (status, refused) = call(stack, "DELETE", &agent(&admin_agent), admin, None).await;
    assert_eq!(
        status, 409,
        "{}: the last administrator cannot leave: {refused}",
        d.tool
    );
    assert_eq!(
        agents(stack, admin, wg).await,
        [(admin.to_owned(), "administrator".to_owned(), admin_agent)],
        "{}: only the administrator is left",
        d.tool
    );
}
