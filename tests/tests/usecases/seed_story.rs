//! The seed story, from creating a workgroup to listing its agents.

use chrono::TimeDelta;
use domain::{
    invitation::{Delivery, Status},
    people::WorkgroupName,
    role::Role,
    usecases::manage::ManageError,
};

use crate::harness::*;

#[tokio::test]
async fn the_seed_story_runs_from_creating_a_workgroup_to_listing_its_agents() {
    let app = TestApp::new();

    let founded = app
        .create_workgroup(
            &alice(),
            WorkgroupName::parse("Support desk").unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(founded.agent.role, Role::Administrator);
    assert_eq!(founded.agent.name.as_str(), "Alice Admin");
    let wg = founded.workgroup.id;
    let mine = app.my_workgroups(&alice()).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].workgroup.name.as_str(), "Support desk");
    assert_eq!(mine[0].agent.role, Role::Administrator);

    let results = app
        .invite(
            &alice(),
            &wg,
            "ann@example.com, Bob@Example.com",
            Role::Manager,
        )
        .await;
    assert_eq!(
        outcomes(&results),
        [
            ("ann@example.com", "invited"),
            ("bob@example.com", "invited")
        ]
    );
    for result in &results {
        let invitation = result.outcome.invitation().unwrap();
        assert_eq!(invitation.role, Role::Manager);
        assert_eq!(invitation.status, Status::Pending);
        // Answered as queued; the sender handed it over after.
        assert_eq!(invitation.delivery, Delivery::Queued);
        let stored = app.stored(&invitation.id).unwrap();
        assert_eq!(stored.delivery, Delivery::Sent);
        assert_eq!(invitation.invited_by.email, alice().email);
        assert_eq!(invitation.expires_at(), t0() + days(30));
    }
    assert_eq!(app.mailer.sent().len(), 2);
    let ann_email = app.last_email_to("ann@example.com");
    assert!(ann_email.text.contains("Support desk"));
    assert!(ann_email.text.contains("Alice Admin"));

    let listed = app.listed(&alice(), &wg).await;
    let mut listed_emails: Vec<&str> = listed.iter().map(|i| i.email.as_str()).collect();
    listed_emails.sort_unstable();
    assert_eq!(listed_emails, ["ann@example.com", "bob@example.com"]);

    app.advance(TimeDelta::hours(2));
    let ann_token = app.token_sent_to("ann@example.com");
    let preview = app.lookup_invitation(&ann_token).await.unwrap();
    assert!(preview.registration_needed);
    assert_eq!(preview.invitation.workgroup.name.as_str(), "Support desk");
    assert_eq!(preview.invitation.role, Role::Manager);
    let joined = app
        .accept_invitation(&person("Ann@Example.com"), &ann_token, Some("Ann Lee"))
        .await
        .unwrap();
    assert_eq!(joined.workgroup.id, wg);
    assert_eq!(joined.agent.role, Role::Manager);
    assert_eq!(joined.agent.name.as_str(), "Ann Lee");
    assert_eq!(joined.agent.joined_at, t0() + TimeDelta::hours(2));

    let bob_first_token = app.token_sent_to("bob@example.com");
    let declined = app.decline_invitation(&bob_first_token).await.unwrap();
    assert_eq!(declined.status, Status::Declined);
    let listed = app.listed(&alice(), &wg).await;
    assert_eq!(listed.len(), 1, "the accepted invitation left the list");
    assert_eq!(listed[0].email.as_str(), "bob@example.com");
    assert_eq!(listed[0].status, Status::Declined);

    let bob_id = listed[0].id.clone();
    let resent = app.resend_invitation(&alice(), &wg, &bob_id).await.unwrap();
    assert_eq!(resent.status, Status::Pending);
    assert_eq!(resent.sent_at, t0() + TimeDelta::hours(2));
    assert_eq!(app.emails_to("bob@example.com").len(), 2);
    let bob_token = app.token_sent_to("bob@example.com");
    assert_ne!(bob_token, bob_first_token);
    assert!(is_token_not_found(
        &app.lookup_invitation(&bob_first_token).await
    ));
    assert!(app.lookup_invitation(&bob_token).await.is_ok());

    app.cancel_invitation(&alice(), &wg, &bob_id).await.unwrap();
    assert!(app.listed(&alice(), &wg).await.is_empty());
    assert!(is_token_not_found(&app.lookup_invitation(&bob_token).await));
    assert!(matches!(
        app.get_invitation(&alice(), &wg, &bob_id).await,
        Err(ManageError::NotFound)
    ));

    assert_eq!(
        app.agent_emails(&alice(), &wg).await,
        [
            ("alice@example.com".to_owned(), Role::Administrator),
            ("ann@example.com".to_owned(), Role::Manager),
        ]
    );
    let ann_groups = app.my_workgroups(&ann()).await.unwrap();
    assert_eq!(ann_groups.len(), 1);
    assert_eq!(ann_groups[0].agent.role, Role::Manager);
    assert_eq!(
        app.agent_emails(&ann(), &wg).await.len(),
        2,
        "the new manager sees the agents"
    );
}
