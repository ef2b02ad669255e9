//! IAM's decision on one request, over policy documents as a deployed stack resolved them:
//! statements with `Effect`, `Action`/`NotAction`, `Resource`/`NotResource`, `Principal` (in
//! resource policies) and `Condition` (the string, ARN, `Bool` and `Null` operators, with
//! `IfExists`). An explicit deny wins, then any allow; nothing else is allowed. An operator it
//! does not know fails the test rather than guessing.

use std::collections::BTreeMap;

use serde_json::Value;

/// One request as IAM sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub action: String,
    pub resource: String,
    /// Condition keys (lower case) and their values.
    pub context: BTreeMap<String, Vec<String>>,
    /// For a resource policy: the calling service (`events.amazonaws.com`).
    pub service: Option<String>,
}

impl Request {
    pub fn new(action: &str, resource: &str) -> Self {
        Self {
            action: action.to_owned(),
            resource: resource.to_owned(),
            context: BTreeMap::new(),
            service: None,
        }
    }

    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.context
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.to_owned());
        self
    }

    pub fn from_service(mut self, service: &str) -> Self {
        self.service = Some(service.to_owned());
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// No statement allows it.
    ImplicitDeny,
    ExplicitDeny,
}

/// The decision of `statements` (one or more policy documents' statements) on `request`.
pub fn decide(statements: &[Value], request: &Request) -> Decision {
    let mut allowed = false;
    for statement in statements {
        if !applies(statement, request) {
            continue;
        }
        match statement["Effect"].as_str() {
            Some("Deny") => return Decision::ExplicitDeny,
            Some("Allow") => allowed = true,
            other => panic!("a statement with Effect {other:?}: {statement}"),
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// The statements of a policy document.
pub fn statements(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Array(all) => all.clone(),
        Value::Null => vec![],
        one => vec![one.clone()],
    }
}

fn list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Value::Bool(b) => vec![b.to_string()],
        Value::Number(n) => vec![n.to_string()],
        _ => vec![],
    }
}

fn applies(statement: &Value, request: &Request) -> bool {
    let action = |key: &str| {
        list(&statement[key])
            .iter()
            .any(|a| glob(a, &request.action, true))
    };
    let acts = if statement.get("NotAction").is_some() {
        !action("NotAction")
    } else {
        action("Action")
    };
    let resource = |key: &str| {
        list(&statement[key])
            .iter()
            .any(|r| glob(r, &request.resource, false))
    };
    let on = if statement.get("NotResource").is_some() {
        !resource("NotResource")
    } else if statement.get("Resource").is_some() {
        resource("Resource")
    } else {
        // A resource policy may leave the resource implied.
        true
    };
    acts && on && principal(statement, request) && conditions(&statement["Condition"], request)
}

fn principal(statement: &Value, request: &Request) -> bool {
    let principal = &statement["Principal"];
    match (&request.service, principal) {
        (_, Value::Null) => request.service.is_none(),
        (_, Value::String(star)) if star == "*" => true,
        (Some(service), Value::Object(kinds)) => kinds
            .get("Service")
            .is_some_and(|s| list(s).iter().any(|s| s == service)),
        (None, _) => false,
        _ => false,
    }
}

fn conditions(block: &Value, request: &Request) -> bool {
    let Some(block) = block.as_object() else {
        return true;
    };
    block.iter().all(|(operator, tests)| {
        let tests = tests
            .as_object()
            .unwrap_or_else(|| panic!("condition {operator}: {tests}"));
        tests.iter().all(|(key, wanted)| {
            let wanted = list(wanted);
            let present = request.context.get(&key.to_ascii_lowercase());
            condition(operator, present, &wanted)
        })
    })
}

fn condition(operator: &str, present: Option<&Vec<String>>, wanted: &[String]) -> bool {
    let (operator, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    if operator == "Null" {
        let absent = present.is_none();
        return wanted.iter().any(|w| (w == "true") == absent);
    }
    let Some(values) = present else {
        // A missing key matches no positive test; a negated one is true, as is IfExists.
        return if_exists || operator.contains("Not");
    };
    let matches = |value: &str| -> bool {
        wanted.iter().any(|w| match operator {
            "StringEquals" | "StringNotEquals" | "ArnEquals" | "ArnNotEquals" => w == value,
            "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => w.eq_ignore_ascii_case(value),
            "StringLike" | "StringNotLike" | "ArnLike" | "ArnNotLike" => glob(w, value, false),
            "Bool" => w.eq_ignore_ascii_case(value),
            other => panic!("the rehearsal does not evaluate the IAM operator {other}"),
        })
    };
    let any = values.iter().any(|v| matches(v));
    if operator.contains("Not") { !any } else { any }
}

/// IAM's wildcards: `*` any run of characters, `?` one.
pub fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_ascii_lowercase().chars().collect(),
            text.to_ascii_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn wildcards_match_as_iam_matches_them() {
        assert!(glob(
            "arn:aws:ses:*:1:identity/*",
            "arn:aws:ses:us-east-1:1:identity/a.b",
            false
        ));
        assert!(glob("dynamodb:Get*", "dynamodb:getitem", true));
        assert!(!glob("dynamodb:Get*", "dynamodb:getitem", false));
        assert!(glob("a?c", "abc", false));
        assert!(!glob("table/t", "table/t/index/i", false));
    }

    #[test]
    fn a_condition_on_the_sender_allows_only_that_sender() {
        let statements = vec![json!({
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": "arn:aws:ses:us-east-1:1:identity/*",
            "Condition": {"StringEquals": {"ses:FromAddress": "no-reply@example.com"}}
        })];
        let send = |from: &str| {
            decide(
                &statements,
                &Request::new(
                    "ses:SendEmail",
                    "arn:aws:ses:us-east-1:1:identity/example.com",
                )
                .with("ses:FromAddress", from),
            )
        };
        assert_eq!(send("no-reply@example.com"), Decision::Allow);
        assert_eq!(send("No-Reply@example.com"), Decision::ImplicitDeny);
        assert_eq!(
            decide(
                &statements,
                &Request::new(
                    "ses:SendEmail",
                    "arn:aws:ses:us-east-1:1:identity/example.com"
                )
            ),
            Decision::ImplicitDeny,
            "no sender, no match"
        );
    }

    #[test]
    fn an_explicit_deny_wins_and_principals_are_matched() {
        let statements = vec![
            json!({"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "q"}),
            json!({"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "q", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        ];
        let from = |service: &str| Request::new("sqs:SendMessage", "q").from_service(service);
        assert_eq!(
            decide(
                &statements,
                &from("events.amazonaws.com").with("aws:SecureTransport", "true")
            ),
            Decision::Allow
        );
        assert_eq!(
            decide(
                &statements,
                &from("events.amazonaws.com").with("aws:SecureTransport", "false")
            ),
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(
                &statements,
                &from("sns.amazonaws.com").with("aws:SecureTransport", "true")
            ),
            Decision::ImplicitDeny
        );
    }
}
