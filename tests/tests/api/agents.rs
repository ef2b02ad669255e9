//! Managing agents through the handlers on the embedded store: `PATCH` and `DELETE
//! /workgroups/{wg}/agents/{id}` follow the spec's table cell by cell, a workgroup always
//! keeps an administrator (also when two demote each other at once), and a removed agent stays
//! registered and can be invited again.

use serde_json::{Value, json};
use tests::harness::{Answer, Harness};

const ADA: &str = "ada@example.com";
const ROLES: [&str; 4] = ["administrator", "manager", "associate", "inactive"];

async fn agent_id(h: &Harness, wg: &str, email: &str) -> String {
    h.agents(ADA, wg)
        .await
        .into_iter()
        .find(|a| a["email"] == email)
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{email} is not an agent"))
}

async fn role_of(h: &Harness, wg: &str, email: &str) -> Option<Value> {
    h.agents(ADA, wg)
        .await
        .into_iter()
        .find(|a| a["email"] == email)
        .map(|a| a["role"].clone())
}

async fn patch(h: &Harness, who: &str, wg: &str, id: &str, role: &str) -> Answer {
    h.call(
        "PATCH",
        &format!("/workgroups/{wg}/agents/{id}"),
        Some(who),
        Some(json!({ "role": role })),
    )
    .await
}

async fn delete(h: &Harness, who: &str, wg: &str, id: &str) -> Answer {
    h.call(
        "DELETE",
        &format!("/workgroups/{wg}/agents/{id}"),
        Some(who),
        None,
    )
    .await
}

/// Whether the spec's table lets a `caller` change a `target` to `to` (`None`: remove).
fn allowed(caller: &str, target: &str, to: Option<&str>) -> bool {
    match caller {
        "administrator" => true,
        "manager" => target != "administrator" && to != Some("administrator"),
        _ => false,
    }
}

#[tokio::test]
async fn every_cell_of_the_privilege_table_is_as_the_spec_says() {
    for caller in ROLES {
        for target in ROLES {
            for to in ROLES.map(Some).into_iter().chain([None]) {
                let h = Harness::new();
                let wg = h.workgroup(ADA, "Acme").await;
                let me = "caller@example.com";
                let them = "target@example.com";
                h.member(ADA, &wg, me, caller).await;
                h.member(ADA, &wg, them, target).await;
                let id = agent_id(&h, &wg, them).await;
                let answer = match to {
                    Some(role) => patch(&h, me, &wg, &id, role).await,
                    None => delete(&h, me, &wg, &id).await,
                };
                let cell = format!("{caller} → {target} to {to:?}");
                let after = role_of(&h, &wg, them).await;
                if allowed(caller, target, to) {
                    match to {
                        Some(role) => {
                            assert_eq!(answer.assert_ok(200)["role"], role, "{cell}");
                            assert_eq!(after, Some(json!(role)), "{cell}");
                        }
                        None => {
                            answer.assert_ok(204);
                            assert_eq!(after, None, "{cell}");
                        }
                    }
                } else {
                    answer.assert_problem(403);
                    assert_eq!(after, Some(json!(target)), "{cell}: unchanged");
                }
            }
        }
    }
}

#[tokio::test]
async fn strangers_unknown_agents_and_leaving() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    h.member(ADA, &wg, "al@example.com", "associate").await;
    h.member(ADA, &wg, "ina@example.com", "inactive").await;
    let al = agent_id(&h, &wg, "al@example.com").await;
    let ada = agent_id(&h, &wg, ADA).await;
    // Not a member: 404, as for an unknown workgroup; an unknown agent: 404.
    patch(&h, "olga@example.com", &wg, &al, "inactive")
        .await
        .assert_problem(404);
    delete(&h, "olga@example.com", &wg, &al)
        .await
        .assert_problem(404);
    patch(&h, ADA, &wg, "agt_nonsense", "inactive")
        .await
        .assert_problem(404);
    // An associate may not change their own role, but any agent may leave.
    patch(&h, "al@example.com", &wg, &al, "manager")
        .await
        .assert_problem(403);
    delete(&h, "al@example.com", &wg, &al).await.assert_ok(204);
    let ina = agent_id(&h, &wg, "ina@example.com").await;
    delete(&h, "ina@example.com", &wg, &ina)
        .await
        .assert_ok(204);
    // The same role again: 200, nothing recorded.
    let before = h
        .get(&format!("/workgroups/{wg}/events"), ADA)
        .await
        .assert_ok(200)
        .clone();
    patch(&h, ADA, &wg, &ada, "administrator")
        .await
        .assert_ok(200);
    let after = h
        .get(&format!("/workgroups/{wg}/events"), ADA)
        .await
        .assert_ok(200)
        .clone();
    assert_eq!(before, after);
    // The events of the two removals.
    let types: Vec<&str> = after["items"].as_array().unwrap()[..2]
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["agent.removed", "agent.removed"]);
    // Removed, Al is still registered and can be invited again.
    let results = h.invite(ADA, &wg, json!("al@example.com"), "manager").await;
    assert_eq!(results[0]["outcome"], "invited");
}

#[tokio::test]
async fn the_last_administrator_can_be_neither_demoted_nor_removed_nor_leave() {
    let h = Harness::new();
    let wg = h.workgroup(ADA, "Acme").await;
    let ada = agent_id(&h, &wg, ADA).await;
    for role in ["manager", "associate", "inactive"] {
        let refused = patch(&h, ADA, &wg, &ada, role).await;
        assert!(refused.assert_problem(409).contains("administrator"));
    }
    delete(&h, ADA, &wg, &ada).await.assert_problem(409);
    assert_eq!(role_of(&h, &wg, ADA).await, Some(json!("administrator")));

    // With a second administrator, one may step down; then the other is the last.
    h.member(ADA, &wg, "bea@example.com", "administrator").await;
    patch(&h, ADA, &wg, &ada, "manager").await.assert_ok(200);
    let bea = agent_id(&h, &wg, "bea@example.com").await;
    delete(&h, "bea@example.com", &wg, &bea)
        .await
        .assert_problem(409);
    let events = h
        .get(&format!("/workgroups/{wg}/events"), "bea@example.com")
        .await;
    let newest = &events.assert_ok(200)["items"][0];
    assert_eq!(newest["type"], "agent.role_changed");
    assert_eq!(
        (newest["old_role"].clone(), newest["new_role"].clone()),
        (json!("administrator"), json!("manager"))
    );
}

#[tokio::test]
async fn two_administrators_demoting_each_other_at_once_leave_one() {
    for round in 0..20 {
        let h = Harness::new();
        let wg = h.workgroup(ADA, "Acme").await;
        h.member(ADA, &wg, "bea@example.com", "administrator").await;
        let ada = agent_id(&h, &wg, ADA).await;
        let bea = agent_id(&h, &wg, "bea@example.com").await;
        let (first, second) = tokio::join!(
            patch(&h, ADA, &wg, &bea, "associate"),
            patch(&h, "bea@example.com", &wg, &ada, "associate"),
        );
        let mut statuses = [first.status, second.status];
        statuses.sort();
        assert_eq!(statuses, [200, 403], "round {round}: {first:?} {second:?}");
        let admins = h
            .agents(ADA, &wg)
            .await
            .into_iter()
            .filter(|a| a["role"] == "administrator")
            .count();
        assert_eq!(admins, 1, "round {round}");
    }
}
