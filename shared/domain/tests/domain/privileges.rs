//! The privilege table of the spec, every caller against every action, and role names.

use domain::role::{Action, Denied, Role, UnknownRole, authorize};

use Role::{Administrator, Associate, Inactive, Manager};

/// What the spec says should happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Allowed,
    /// 403.
    Forbidden,
    /// 404: the workgroup's existence is not revealed.
    NotFound,
}

use Expected::{Allowed as Y, Forbidden as F, NotFound as N};

/// The columns of [`EXPECTED`], in order.
const ACTIONS: [Action; 11] = [
    Action::Invite {
        grant: Administrator,
    },
    Action::Invite { grant: Manager },
    Action::Invite { grant: Associate },
    Action::Invite { grant: Inactive },
    Action::ViewInvitations,
    Action::ManageInvitation {
        role: Administrator,
    },
    Action::ManageInvitation { role: Manager },
    Action::ManageInvitation { role: Associate },
    Action::ManageInvitation { role: Inactive },
    Action::ListAgents,
    Action::ViewEvents,
];

/// The spec's table, written out cell by cell.
///
/// Columns: invite as administrator, manager, associate, inactive | view invitations |
/// cancel or resend an invitation for administrator, manager, associate, inactive | list agents |
/// read the audit trail (issue 5: administrators and managers).
const EXPECTED: [(Option<Role>, [Expected; 11]); 5] = [
    (Some(Administrator), [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y]),
    (Some(Manager), [F, Y, Y, Y, Y, F, Y, Y, Y, Y, Y]),
    (Some(Associate), [F, F, F, F, F, F, F, F, F, Y, F]),
    (Some(Inactive), [F, F, F, F, F, F, F, F, F, F, F]),
    (None, [N, N, N, N, N, N, N, N, N, N, N]),
];

fn observed(role: Option<Role>, action: Action) -> Expected {
    match authorize(role, action) {
        Ok(()) => Expected::Allowed,
        Err(Denied::Forbidden(_)) => Expected::Forbidden,
        Err(Denied::NotAMember) => Expected::NotFound,
    }
}

#[test]
fn every_caller_and_action_gets_the_answer_of_the_spec_table() {
    let mut mismatches = Vec::new();
    for (role, row) in EXPECTED {
        for (action, expected) in ACTIONS.into_iter().zip(row) {
            let got = observed(role, action);
            if got != expected {
                mismatches.push(format!(
                    "{role:?} doing {action:?}: expected {expected:?}, got {got:?}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn the_table_covers_every_role_and_the_non_member() {
    let callers: Vec<Option<Role>> = EXPECTED.iter().map(|(role, _)| *role).collect();
    for role in Role::ALL {
        assert!(callers.contains(&Some(role)), "{role} has no row");
    }
    assert!(callers.contains(&None), "the non-member has no row");
    for role in Role::ALL {
        assert!(ACTIONS.contains(&Action::Invite { grant: role }));
        assert!(ACTIONS.contains(&Action::ManageInvitation { role }));
    }
}

#[test]
fn a_non_member_is_told_the_workgroup_does_not_exist_whatever_they_try() {
    for action in ACTIONS {
        assert_eq!(
            authorize(None, action),
            Err(Denied::NotAMember),
            "{action:?}"
        );
    }
    assert_eq!(Denied::NotAMember.to_string(), "workgroup not found");
}

#[test]
fn a_refusal_explains_itself() {
    let cases = [
        (
            Some(Manager),
            Action::Invite {
                grant: Administrator,
            },
            "administrator",
            "a manager granting administrator",
        ),
        (
            Some(Manager),
            Action::ManageInvitation {
                role: Administrator,
            },
            "administrator",
            "a manager resending an administrator invitation",
        ),
        (
            Some(Associate),
            Action::Invite { grant: Associate },
            "invite",
            "an associate inviting",
        ),
        (
            Some(Inactive),
            Action::ViewInvitations,
            "invitations",
            "an inactive agent listing invitations",
        ),
        (
            Some(Inactive),
            Action::ListAgents,
            "agents",
            "an inactive agent listing agents",
        ),
    ];
    for (role, action, word, case) in cases {
        let Err(Denied::Forbidden(reason)) = authorize(role, action) else {
            panic!("{case}: expected a 403");
        };
        assert!(
            reason.contains(word),
            "{case}: `{reason}` does not mention {word}"
        );
    }
}

#[test]
fn every_role_parses_from_its_name_and_prints_it_back() {
    let names = [
        ("administrator", Administrator),
        ("manager", Manager),
        ("associate", Associate),
        ("inactive", Inactive),
    ];
    for (name, role) in names {
        assert_eq!(name.parse::<Role>(), Ok(role));
        assert_eq!(role.as_str(), name);
        assert_eq!(role.to_string(), name);
    }
    assert_eq!(Role::ALL.len(), names.len());
}

#[test]
fn unknown_role_names_are_refused() {
    let cases = [
        ("", "empty"),
        ("admin", "an abbreviation"),
        ("owner", "a role the product does not have"),
        ("Administrator", "capitalised"),
        ("MANAGER", "upper case"),
        (" manager", "a leading space"),
        ("manager ", "a trailing space"),
        ("associates", "a plural"),
        ("in active", "a space inside"),
        ("\"manager\"", "quoted"),
    ];
    for (input, case) in cases {
        assert_eq!(
            input.parse::<Role>(),
            Err(UnknownRole(input.to_owned())),
            "{case}: `{input}` should be refused"
        );
    }
}

#[test]
fn an_unknown_role_error_names_the_choices_and_does_not_echo_a_long_input() {
    let long = "x".repeat(500);
    let error = long.parse::<Role>().unwrap_err();
    assert_eq!(error.0.chars().count(), 40);
    let message = error.to_string();
    for role in Role::ALL {
        assert!(message.contains(role.as_str()), "{message}");
    }
}

#[test]
fn roles_serialise_to_their_snake_case_names() {
    for role in Role::ALL {
        let json = serde_json::to_string(&role).unwrap();
        assert_eq!(json, format!("\"{}\"", role.as_str()));
        assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
    }
}

#[test]
fn roles_do_not_deserialise_from_other_spellings() {
    let cases = [
        ("\"Administrator\"", "capitalised"),
        ("\"admin\"", "an abbreviation"),
        ("\"\"", "empty"),
        ("0", "a number"),
        ("null", "null"),
    ];
    for (json, case) in cases {
        assert!(
            serde_json::from_str::<Role>(json).is_err(),
            "{case}: {json} should be refused"
        );
    }
}
