//! The configuration read from the environment, checked on the edge values.

use std::collections::HashMap;

use super::*;

fn complete() -> HashMap<&'static str, &'static str> {
    HashMap::from([
        ("TABLE_NAME", "invitations"),
        (
            "SECRET_KEY_ARN",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:key",
        ),
        ("APP_BASE_URL", "https://app.example.com"),
        (
            "QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/123456789012/emails",
        ),
        ("SES_SENDER", "Invitations <no-reply@example.com>"),
        ("SES_MAX_SEND_RATE", "14"),
        ("SES_CONFIGURATION_SET", "invitations"),
        ("INVITE_MAX_ADDRESSES", "20"),
        ("INVITE_DAILY_LIMIT", "30"),
        ("INVITER_DAILY_LIMIT", "60"),
        ("RECIPIENT_DAILY_LIMIT", "2"),
        ("WORKGROUP_DAILY_LIMIT", "4"),
        ("PENDING_INVITATION_LIMIT", "300"),
        (
            "SIGN_IN_DOMAIN",
            "https://acme.auth.us-east-1.amazoncognito.com",
        ),
        ("SIGN_IN_CLIENT_ID", "client123"),
        ("REMINDER_DAYS_BEFORE", "10,3"),
    ])
}

fn read(function: Function, env: &HashMap<&str, &str>) -> Result<Config, ConfigError> {
    Config::from_lookup(function, |name| env.get(name).map(|v| v.to_string()))
}

#[test]
fn a_complete_environment_is_read() {
    let invite = read(Function::Invite, &complete()).unwrap();
    assert_eq!(invite.table, "invitations");
    assert_eq!(invite.settings.max_addresses_per_request, 20);
    assert_eq!(invite.settings.daily_invitations_per_inviter, 30);
    let manage = read(Function::Manage, &complete()).unwrap();
    assert_eq!(manage.settings.daily_invitations_per_inviter, 30);
    assert_eq!(invite.settings.pending_invitations_per_workgroup, 300);
    assert_eq!(invite.settings.daily_invitations_per_inviter_overall, 60);
    assert_eq!(manage.settings.daily_invitations_per_recipient, 2);
    let workgroups = read(Function::Workgroups, &complete()).unwrap();
    assert_eq!(workgroups.settings.daily_workgroups_per_person, 4);
    assert_eq!(manage.settings.pending_invitations_per_workgroup, 300);
    let send = read(Function::Send, &complete()).unwrap();
    let sender = send.sender.expect("send sends email");
    assert_eq!(sender.address().as_str(), "no-reply@example.com");
    assert_eq!(send.send_rate, Some(14));
    assert_eq!(
        send.queue_url.as_deref(),
        invite.queue_url.as_deref(),
        "it delays what it will try again on the queue that feeds it"
    );
    assert!(
        invite.sender.is_none(),
        "invite posts, the send function sends"
    );
    assert_eq!(
        invite.queue_url.as_deref(),
        Some("https://sqs.us-east-1.amazonaws.com/123456789012/emails")
    );
    let remind = read(Function::Remind, &complete()).unwrap();
    assert!(remind.queue_url.is_some());
    assert_eq!(remind.settings.reminders.days_before(), &[10, 3]);
    // The list function sends no email; of the other functions' settings it reads only the
    // limits an inviter's allowance shows.
    let list = read(Function::List, &complete()).unwrap();
    assert_eq!(
        list.sign_in,
        SignIn::cognito("https://acme.auth.us-east-1.amazoncognito.com", "client123")
    );
    assert_eq!(invite.sign_in, SignIn::None);
    assert!(list.sender.is_none());
    assert_eq!(list.settings.max_addresses_per_request, 20);
    assert_eq!(list.settings.daily_invitations_per_inviter, 30);
    assert_eq!(list.settings.daily_invitations_per_inviter_overall, 60);
    assert_eq!(
        list.settings.daily_invitations_per_recipient,
        Settings::DEFAULT_DAILY_INVITATIONS_PER_RECIPIENT
    );
    assert_eq!(
        list.settings.pending_invitations_per_workgroup,
        Settings::DEFAULT_PENDING_INVITATIONS
    );
}

#[test]
fn each_missing_required_variable_is_named() {
    for function in Function::ALL.into_iter().filter(|f| f.runs_app()) {
        for variable in VARIABLES.iter().filter(|v| v.required_by(function)) {
            let mut env = complete();
            env.remove(variable.name);
            let error = read(function, &env).unwrap_err();
            assert_eq!(error.name, variable.name, "{function:?}");
            assert!(error.to_string().contains(variable.name));
            // Blank is the same as missing.
            env.insert(variable.name, "  ");
            assert_eq!(read(function, &env).unwrap_err().name, variable.name);
        }
    }
}

#[test]
fn optional_variables_may_be_missing() {
    let mut env = complete();
    for name in [
        "SES_CONFIGURATION_SET",
        "SES_MAX_SEND_RATE",
        "INVITE_MAX_ADDRESSES",
        "REMINDER_DAYS_BEFORE",
        "SIGN_IN_DOMAIN",
        "SIGN_IN_CLIENT_ID",
    ] {
        env.remove(name);
    }
    for function in Function::ALL.into_iter().filter(|f| f.runs_app()) {
        read(function, &env).unwrap();
    }
    // Functions that send no email need no sender, those that post none no queue.
    env.remove("SES_SENDER");
    for function in [Function::Workgroups, Function::List, Function::Accept] {
        read(function, &env).unwrap();
    }
    env.remove("QUEUE_URL");
    for function in [Function::Workgroups, Function::List, Function::Accept] {
        read(function, &env).unwrap();
    }
}

#[test]
fn bad_values_are_named() {
    let cases = [
        (Function::Invite, "APP_BASE_URL", "app.example.com"),
        (Function::Send, "SES_SENDER", "not an address"),
        (Function::Send, "SES_MAX_SEND_RATE", "0"),
        (Function::Send, "SES_MAX_SEND_RATE", "1001"),
        (Function::Invite, "INVITE_MAX_ADDRESSES", "0"),
        (Function::Invite, "INVITE_MAX_ADDRESSES", "many"),
        (Function::Manage, "INVITE_DAILY_LIMIT", "0"),
        (Function::Invite, "PENDING_INVITATION_LIMIT", "-1"),
        (Function::Invite, "INVITER_DAILY_LIMIT", "0"),
        (Function::Manage, "RECIPIENT_DAILY_LIMIT", "x"),
        (Function::Workgroups, "WORKGROUP_DAILY_LIMIT", "-3"),
        (Function::List, "SIGN_IN_DOMAIN", "acme.auth.example"),
        (Function::List, "SIGN_IN_DOMAIN", "http://acme.auth.example"),
        (
            Function::List,
            "SIGN_IN_DOMAIN",
            "https://acme.auth.example/oauth2",
        ),
        (
            Function::List,
            "SIGN_IN_DOMAIN",
            "https://a.example; connect-src *",
        ),
        (Function::Remind, "REMINDER_DAYS_BEFORE", "7,x"),
        (Function::Remind, "REMINDER_DAYS_BEFORE", "40"),
        (Function::Remind, "REMINDER_DAYS_BEFORE", "0,7"),
        (Function::Remind, "REMINDER_DAYS_BEFORE", "7, 1"),
        (Function::Remind, "REMINDER_DAYS_BEFORE", "07"),
        (Function::Invite, "APP_BASE_URL", "http://app.example.com"),
        (Function::Invite, "APP_BASE_URL", "https://example.com/app"),
        (Function::Invite, "APP_BASE_URL", "https://app.example.com/"),
        (Function::Send, "SES_SENDER", "No-Reply@example.com"),
        (Function::Send, "SES_SENDER", "Acme <no-reply@Example.com>"),
        (Function::Send, "SES_SENDER", "no-reply@bücher.example"),
        (Function::Invite, "INVITE_MAX_ADDRESSES", "1001"),
        (Function::Invite, "INVITE_MAX_ADDRESSES", "+5"),
        (Function::Invite, "INVITE_MAX_ADDRESSES", "05"),
        (Function::Manage, "INVITE_DAILY_LIMIT", "1000001"),
        (Function::Manage, "INVITE_DAILY_LIMIT", "2.5"),
    ];
    for (function, name, value) in cases {
        let mut env = complete();
        env.insert(name, value);
        let error = read(function, &env).unwrap_err();
        assert_eq!(error.name, name, "{value}");
    }
}

#[test]
fn every_variable_is_read_by_some_function() {
    for variable in VARIABLES {
        assert!(
            Function::ALL.iter().any(|f| variable.read_by(*f)),
            "{}",
            variable.name
        );
    }
}
