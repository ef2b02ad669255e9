//! Refusals that follow from who asks and with which token: unverified addresses, wrong methods, managers and administrator invitations, dead tokens, expired invitations.

use super::*;

#[tokio::test]
async fn a_caller_whose_provider_has_not_verified_the_address_is_refused() {
    let w = world().await;
    let mut event = api_gateway_event(
        "GET",
        &format!("/workgroups/{}/agents", w.wg),
        Some(ADMIN),
        None,
    );
    event["requestContext"]["authorizer"]["jwt"]["claims"]["email_verified"] = json!("false");
    w.h.send_event(&event).await.assert_problem(403);

    let mut no_email = api_gateway_event("GET", "/workgroups", Some(ADMIN), None);
    let claims = event_claims(&mut no_email);
    claims.remove("email");
    w.h.send_event(&no_email).await.assert_problem(401);
}

#[tokio::test]
async fn a_wrong_method_answer_names_the_allowed_ones() {
    let w = world().await;
    let answer = w.h.call("PATCH", "/workgroups", Some(ADMIN), None).await;
    answer.assert_problem(405);
    assert!(answer.body["detail"].as_str().unwrap().contains("GET"));
}

#[tokio::test]
async fn managers_see_administrator_invitations_but_cannot_touch_them() {
    let w = world().await;
    let listed = w.h.invitations(MANAGER, &w.wg).await;
    assert!(listed.iter().any(|i| i["role"] == "administrator"));
    let one =
        w.h.get(
            &format!("/workgroups/{}/invitations/{}", w.wg, w.admin_invitation),
            MANAGER,
        )
        .await;
    assert_eq!(one.assert_ok(200)["role"], "administrator");

    // Re-inviting the address over the administrator invitation is refused for that entry.
    let results =
        w.h.invite(
            MANAGER,
            &w.wg,
            json!("root@example.com, new@example.com"),
            "manager",
        )
        .await;
    assert_eq!(results[0]["outcome"], "forbidden");
    assert_eq!(results[1]["outcome"], "invited");
    let still =
        w.h.get(
            &format!("/workgroups/{}/invitations/{}", w.wg, w.admin_invitation),
            ADMIN,
        )
        .await;
    assert_eq!(still.assert_ok(200)["role"], "administrator");
}

#[tokio::test]
async fn used_cancelled_superseded_and_expired_tokens_all_get_the_same_404() {
    let w = world().await;
    let h = &w.h;
    let detail_of = |answer: tests::harness::Answer| answer.assert_problem(404).to_owned();

    // Used.
    h.post(
        "/invitations/accept",
        Some(INVITEE),
        json!({"token": w.invitee_token, "name": "Ann"}),
    )
    .await
    .assert_ok(200);
    let used = detail_of(
        h.post(
            "/invitations/lookup",
            None,
            json!({"token": w.invitee_token}),
        )
        .await,
    );
    let used_again = h
        .post(
            "/invitations/accept",
            Some(INVITEE),
            json!({"token": w.invitee_token}),
        )
        .await;
    used_again.assert_problem(404);

    // Cancelled.
    let (id, cancelled_token) = h.invited(ADMIN, &w.wg, "c@example.com", "associate").await;
    let cancelled = h
        .call(
            "DELETE",
            &format!("/workgroups/{}/invitations/{id}", w.wg),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(cancelled.status, 204);
    let cancelled = detail_of(
        h.post(
            "/invitations/decline",
            None,
            json!({"token": cancelled_token}),
        )
        .await,
    );

    // Superseded by a resend.
    let (id, old_token) = h.invited(ADMIN, &w.wg, "s@example.com", "associate").await;
    h.post(
        &format!("/workgroups/{}/invitations/{id}/resend", w.wg),
        Some(ADMIN),
        json!({}),
    )
    .await
    .assert_ok(200);
    let superseded = detail_of(
        h.post("/invitations/lookup", None, json!({"token": old_token}))
            .await,
    );

    // Expired: exactly 30 days after the last send.
    let (id, expiring_token) = h.invited(ADMIN, &w.wg, "e@example.com", "associate").await;
    h.clock.advance(TimeDelta::days(30) - TimeDelta::seconds(1));
    h.post(
        "/invitations/lookup",
        None,
        json!({"token": expiring_token}),
    )
    .await
    .assert_ok(200);
    h.clock.advance(TimeDelta::seconds(1));
    let expired = detail_of(
        h.post(
            "/invitations/lookup",
            None,
            json!({"token": expiring_token}),
        )
        .await,
    );
    h.post(
        "/invitations/accept",
        Some("e@example.com"),
        json!({"token": expiring_token, "name": "E"}),
    )
    .await
    .assert_problem(404);
    h.get(&format!("/workgroups/{}/invitations/{id}", w.wg), ADMIN)
        .await
        .assert_problem(404);
    assert!(
        h.invitations(ADMIN, &w.wg)
            .await
            .iter()
            .all(|i| i["email"] != "e@example.com"),
        "expired invitations leave the list"
    );

    let unknown = detail_of(
        h.post(
            "/invitations/lookup",
            None,
            json!({"token": "C".repeat(43)}),
        )
        .await,
    );
    for detail in [&used, &cancelled, &superseded, &expired] {
        assert_eq!(
            detail, &unknown,
            "no oracle: every dead token answers alike"
        );
    }
}

#[tokio::test]
async fn an_expired_invitation_can_be_invited_afresh() {
    let w = world().await;
    w.h.clock.advance(TimeDelta::days(31));
    let results = w.h.invite(ADMIN, &w.wg, json!(INVITEE), "manager").await;
    assert_eq!(results[0]["outcome"], "invited");
    assert_ne!(
        results[0]["invitation"]["id"],
        w.invitee_invitation.as_str()
    );
}
