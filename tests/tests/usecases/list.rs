//! Lists: pages, cursors, statuses.

use chrono::TimeDelta;
use domain::{
    invitation::Status,
    role::Role,
    usecases::{BadList, ListError, ListQuery},
};

use crate::harness::*;

#[tokio::test]
async fn invitation_lists_page_with_cursors_that_only_work_for_their_list() {
    let app = TestApp::new();
    let wg = app.workgroup(&alice(), "Support desk").await;
    let other = app.workgroup(&alice(), "Billing").await;
    for name in ["a", "b", "c"] {
        app.invite_one(&alice(), &wg, &format!("{name}@example.com"), Role::Manager)
            .await;
        app.invite_one(
            &alice(),
            &other,
            &format!("{name}@example.com"),
            Role::Manager,
        )
        .await;
        app.advance(TimeDelta::minutes(1));
    }

    let mut seen = Vec::new();
    let mut query = ListQuery {
        limit: Some(2),
        cursor: None,
    };
    loop {
        let page = app
            .list_invitations(&alice(), &wg, None, &query)
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|i| i.email.to_string()));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["c@example.com", "b@example.com", "a@example.com"],
        "newest send first"
    );

    let first = app
        .list_invitations(
            &alice(),
            &wg,
            None,
            &ListQuery {
                limit: Some(1),
                cursor: None,
            },
        )
        .await
        .unwrap();
    let cursor = first.next_cursor.unwrap();
    let misuses = [
        (other.clone(), None, Some(1), "another workgroup"),
        (
            wg.clone(),
            Some(Status::Pending),
            Some(1),
            "another status filter",
        ),
    ];
    for (workgroup, status, limit, case) in misuses {
        let query = ListQuery {
            limit,
            cursor: Some(cursor.clone()),
        };
        let result = app
            .list_invitations(&alice(), &workgroup, status, &query)
            .await;
        assert!(
            matches!(result, Err(ListError::BadRequest(BadList::Cursor(_)))),
            "{case}: {result:?}"
        );
    }
    let agents = app
        .list_agents(
            &alice(),
            &wg,
            &ListQuery {
                limit: None,
                cursor: Some(cursor),
            },
        )
        .await;
    assert!(
        matches!(agents, Err(ListError::BadRequest(BadList::Cursor(_)))),
        "the agents list: {agents:?}"
    );
    for limit in [0, 101] {
        let query = ListQuery {
            limit: Some(limit),
            cursor: None,
        };
        let result = app.list_invitations(&alice(), &wg, None, &query).await;
        assert!(
            matches!(result, Err(ListError::BadRequest(BadList::Limit))),
            "limit {limit}"
        );
    }
}
