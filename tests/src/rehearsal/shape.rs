//! A deployed stack's shape: every resource under a name saying what it is for (the `invite`
//! function's role, the reminders schedule's dead-letter queue…) rather than its logical id,
//! with its resolved properties, every physical name, id and ARN replaced by that name. Two
//! stacks built by different tools from the same design have the same shape; [`differences`]
//! lists where they do not.
//!
//! Policies are compared as the grants they make (one effect, principal, action, resource and
//! condition each), whoever wrote them how; routes with their integrations; arrays as sets.
//! Lambda permissions are not part of the shape: the rehearsal decides, route by route and
//! source by source, whether each caller may invoke what it calls.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Deployment, gate::ACCOUNT, gate::REGION, is_id_of};

/// The shape of `deployment`, by what each resource is for; `aliases` replaces values the two
/// deployments were given apart (a Cognito domain prefix is unique in a region).
pub fn shape(deployment: &Deployment, aliases: &[(&str, &str)]) -> BTreeMap<String, Value> {
    let names = Names::of(deployment, aliases);
    let mut shape = BTreeMap::new();
    for (id, resource) in &deployment.resources {
        let kind = resource["Type"].as_str().unwrap_or_default();
        let properties = &resource["Properties"];
        let key = names.key(id);
        let described = match kind {
            // Folded into the roles and routes they serve.
            "AWS::IAM::Policy" | "AWS::ApiGatewayV2::Integration" | "AWS::Lambda::Permission" => {
                continue;
            }
            "AWS::IAM::Role" => {
                let arn = format!(
                    "arn:aws:iam::{ACCOUNT}:role/{}",
                    resource["PhysicalId"].as_str().unwrap_or_default()
                );
                let mut own = deployment.role_statements(&arn);
                own.retain(|s| !is_managed(deployment, resource, s));
                json!({
                    "trust": grants(&deployment.trust(&arn)),
                    "grants": grants(&own),
                    "managed": properties["ManagedPolicyArns"],
                })
            }
            "AWS::ApiGatewayV2::Route" => {
                let target = properties["Target"].as_str().unwrap_or_default();
                let integration = deployment
                    .of_type("AWS::ApiGatewayV2::Integration")
                    .find(|(_, i)| i["PhysicalId"] == target.trim_start_matches("integrations/"))
                    .map(|(_, i)| without(&i["Properties"], &["ApiId"]))
                    .unwrap_or(Value::Null);
                json!({
                    "route": without(properties, &["Target"]),
                    "integration": integration,
                })
            }
            "AWS::Lambda::Function" => without(properties, &["Code", "Tags"]),
            "AWS::Scheduler::Schedule" => {
                let mut p = without(properties, &["Name"]);
                if let Some(input) = p["Target"]["Input"].as_str() {
                    p["Target"]["Input"] = serde_json::from_str(input).unwrap_or(Value::Null);
                }
                p
            }
            "AWS::Lambda::EventSourceMapping" => {
                let mut p = properties.clone();
                for filter in p["FilterCriteria"]["Filters"]
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                {
                    if let Some(pattern) = filter["Pattern"].as_str() {
                        filter["Pattern"] = serde_json::from_str(pattern).unwrap_or(Value::Null);
                    }
                }
                p
            }
            "AWS::Events::Rule" => {
                let mut p = properties.clone();
                for target in p["Targets"].as_array_mut().into_iter().flatten() {
                    target.as_object_mut().map(|t| t.remove("Id"));
                }
                p
            }
            "AWS::SNS::TopicPolicy" | "AWS::SQS::QueuePolicy" => {
                let mut p = properties.clone();
                p["PolicyDocument"] = json!(grants(&super::iam::statements(
                    &properties["PolicyDocument"]
                )));
                p
            }
            _ => properties.clone(),
        };
        let mut entry = Map::new();
        entry.insert("Type".into(), json!(kind));
        entry.insert("Properties".into(), described);
        // Delete is what CloudFormation does when a template says nothing.
        for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
            if !resource[policy].is_null() && resource[policy] != "Delete" {
                entry.insert(policy.into(), resource[policy].clone());
            }
        }
        let normalised = names.normalise(&Value::Object(entry));
        if shape.insert(key.clone(), normalised).is_some() {
            panic!("{}: two resources are {key}", deployment.tool);
        }
    }
    shape
}

fn is_managed(deployment: &Deployment, role: &Value, statement: &Value) -> bool {
    role["Properties"]["ManagedPolicyArns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|arn| deployment.managed_policies.get(arn.as_str()?))
        .any(|document| super::iam::statements(document).contains(statement))
}

fn without(value: &Value, keys: &[&str]) -> Value {
    let mut value = value.clone();
    if let Some(map) = value.as_object_mut() {
        for key in keys {
            map.remove(*key);
        }
    }
    value
}

fn strings(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => vec![Value::Null],
        one => vec![one.clone()],
    }
}

/// Statements as single grants: one effect, principal, action, resource and condition each,
/// sorted, without their ids.
pub fn grants(statements: &[Value]) -> Vec<Value> {
    let mut grants = Vec::new();
    for s in statements {
        let principal = match &s["Principal"] {
            Value::Object(kinds) => Value::Object(
                kinds
                    .iter()
                    .map(|(k, v)| {
                        let mut v = strings(v);
                        v.sort_by_key(Value::to_string);
                        (k.clone(), Value::Array(v))
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        let (action_key, resource_key) = (
            if s.get("NotAction").is_some() {
                "NotAction"
            } else {
                "Action"
            },
            if s.get("NotResource").is_some() {
                "NotResource"
            } else {
                "Resource"
            },
        );
        for action in strings(&s[action_key]) {
            for resource in strings(&s[resource_key]) {
                grants.push(json!({
                    "Effect": s["Effect"],
                    "Principal": principal,
                    action_key: action,
                    resource_key: resource,
                    "Condition": s["Condition"],
                }));
            }
        }
    }
    grants.sort_by_key(Value::to_string);
    grants.dedup();
    grants
}

/// The name of every resource, and the physical names, ids and ARNs it replaces.
struct Names {
    keys: BTreeMap<String, String>,
    /// Longest first.
    replacements: Vec<(String, String)>,
}

impl Names {
    fn of(d: &Deployment, aliases: &[(&str, &str)]) -> Self {
        let mut keys = BTreeMap::new();
        let arn = |service: &str, resource: &str| {
            format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}")
        };
        let physical = |id: &str| {
            d.resources[id]["PhysicalId"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        // Which function or sweep each role, log group and queue serves.
        let mut serves: BTreeMap<String, String> = BTreeMap::new();
        for (id, function) in d.of_type("AWS::Lambda::Function") {
            let config = &function["Properties"];
            let binary = id
                .split("Function")
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            serves.insert(
                config["Role"].as_str().unwrap_or_default().to_owned(),
                format!("role:{binary}"),
            );
            if let Some(group) = config["LoggingConfig"]["LogGroup"].as_str() {
                serves.insert(group.to_owned(), format!("logs:{binary}"));
            }
        }
        for (_, schedule) in d.of_type("AWS::Scheduler::Schedule") {
            let target = &schedule["Properties"]["Target"];
            let sweep = serde_json::from_str::<Value>(target["Input"].as_str().unwrap_or("null"))
                .ok()
                .and_then(|i| i["detail"]["sweep"].as_str().map(str::to_owned))
                .unwrap_or_default();
            serves.insert(
                target["RoleArn"].as_str().unwrap_or_default().to_owned(),
                format!("role:{sweep} schedule"),
            );
            serves.insert(
                target["DeadLetterConfig"]["Arn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                format!("queue:{sweep} schedule dead letters"),
            );
        }
        for (_, rule) in d.of_type("AWS::Events::Rule") {
            for target in rule["Properties"]["Targets"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(queue) = target["DeadLetterConfig"]["Arn"].as_str() {
                    serves.insert(queue.to_owned(), "queue:feedback rule dead letters".into());
                }
            }
        }
        for (_, mapping) in d.of_type("AWS::Lambda::EventSourceMapping") {
            if let Some(queue) =
                mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"].as_str()
            {
                serves.insert(queue.to_owned(), "queue:stream failures".into());
            }
        }
        for (_, stage) in d.of_type("AWS::ApiGatewayV2::Stage") {
            if let Some(group) = stage["Properties"]["AccessLogSettings"]["DestinationArn"].as_str()
            {
                let name = group.rsplit(':').next().unwrap_or_default();
                serves.insert(name.to_owned(), "logs:api access".into());
            }
        }
        let mut candidates: Vec<(String, String)> = Vec::new();
        for (id, resource) in &d.resources {
            let kind = resource["Type"].as_str().unwrap_or_default();
            let name = physical(id);
            let mut needles = vec![name.clone()];
            let key = match kind {
                "AWS::Lambda::Function" => {
                    needles.push(arn("lambda", &format!("function:{name}")));
                    format!(
                        "function:{}",
                        id.split("Function")
                            .next()
                            .unwrap_or_default()
                            .to_ascii_lowercase()
                    )
                }
                "AWS::IAM::Role" => {
                    let role = format!("arn:aws:iam::{ACCOUNT}:role/{name}");
                    needles.push(role.clone());
                    serves
                        .get(&role)
                        .cloned()
                        .unwrap_or_else(|| format!("role:{}", base(id)))
                }
                "AWS::Logs::LogGroup" => {
                    needles.push(arn("logs", &format!("log-group:{name}")));
                    serves
                        .get(&name)
                        .cloned()
                        .unwrap_or_else(|| format!("logs:{}", base(id)))
                }
                "AWS::SQS::Queue" => {
                    let queue = name.rsplit('/').next().unwrap_or_default().to_owned();
                    let queue_arn = arn("sqs", &queue);
                    needles.push(queue_arn.clone());
                    needles.push(queue);
                    serves
                        .get(&queue_arn)
                        .cloned()
                        .unwrap_or_else(|| format!("queue:{}", base(id)))
                }
                "AWS::DynamoDB::Table" => {
                    needles.push(arn("dynamodb", &format!("table/{name}")));
                    "table".into()
                }
                "AWS::Events::Rule" => {
                    needles.push(arn("events", &format!("rule/{name}")));
                    "rule:feedback".into()
                }
                "AWS::Scheduler::Schedule" => {
                    needles.push(arn("scheduler", &format!("schedule/default/{name}")));
                    let input = resource["Properties"]["Target"]["Input"]
                        .as_str()
                        .unwrap_or("null");
                    let sweep = serde_json::from_str::<Value>(input)
                        .ok()
                        .and_then(|i| i["detail"]["sweep"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    format!("schedule:{sweep}")
                }
                "AWS::CloudWatch::Alarm" => {
                    needles.push(arn("cloudwatch", &format!("alarm:{name}")));
                    format!("alarm:{}", base(id))
                }
                "AWS::ApiGatewayV2::Api" => {
                    needles.push(format!("https://{name}.execute-api.{REGION}.amazonaws.com"));
                    "api".into()
                }
                "AWS::ApiGatewayV2::Route" => format!(
                    "route:{}",
                    resource["Properties"]["RouteKey"]
                        .as_str()
                        .unwrap_or_default()
                ),
                "AWS::ApiGatewayV2::Integration" => format!("integration:{}", base(id)),
                "AWS::Lambda::Permission" => format!("permission:{}", base(id)),
                "AWS::IAM::Policy" => format!("policy:{}", base(id)),
                "AWS::SNS::Topic" => {
                    needles.push(name.rsplit(':').next().unwrap_or_default().to_owned());
                    "alarm topic".into()
                }
                "AWS::SQS::QueuePolicy" => "queue policy:feedback rule dead letters".into(),
                // The table's stream, or a queue, by the function it feeds.
                "AWS::Lambda::EventSourceMapping" => {
                    let p = &resource["Properties"];
                    let source = p["EventSourceArn"].as_str().unwrap_or_default();
                    if source.starts_with("arn:aws:sqs:") {
                        let function = p["FunctionName"].as_str().unwrap_or_default();
                        format!("queue source:{}", d.binary_of(function).unwrap_or_default())
                    } else {
                        "stream source".into()
                    }
                }
                other => match other {
                    "AWS::ApiGatewayV2::Stage" => "api stage",
                    "AWS::ApiGatewayV2::Authorizer" => "api authorizer",
                    "AWS::SecretsManager::Secret" => "secret key",
                    "AWS::SES::ConfigurationSet" => "configuration set",
                    "AWS::SES::EmailIdentity" => "sender identity",
                    "AWS::SES::ConfigurationSetEventDestination" => "feedback event destination",
                    "AWS::Cognito::UserPool" => "user pool",
                    "AWS::Cognito::UserPoolClient" => "user pool client",
                    "AWS::Cognito::UserPoolDomain" => "user pool domain",
                    "AWS::SNS::TopicPolicy" => "alarm topic policy",
                    "AWS::SNS::Subscription" => "alarm subscription",
                    "AWS::Lambda::EventInvokeConfig" => "remind invoke config",
                    _ => other,
                }
                .to_owned(),
            };
            keys.insert(id.clone(), key.clone());
            // Ids too short to be unique, and names both tools give alike, stay as they are.
            let distinct = |needle: &String| {
                needle.len() >= 8
                    && !needle.starts_with('$')
                    && kind != "AWS::SES::EmailIdentity"
                    && kind != "AWS::Cognito::UserPoolDomain"
            };
            for needle in needles.into_iter().filter(distinct) {
                candidates.push((needle, format!("<{key}>")));
            }
        }
        candidates.push((d.stack.clone(), "<stack>".into()));
        for (value, alias) in aliases {
            candidates.push(((*value).to_owned(), (*alias).to_owned()));
        }
        candidates.sort_by_key(|(needle, _)| std::cmp::Reverse(needle.len()));
        Self {
            keys,
            replacements: candidates,
        }
    }

    fn key(&self, id: &str) -> String {
        self.keys[id].clone()
    }

    fn normalise(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => {
                let mut s = s.clone();
                for (needle, token) in &self.replacements {
                    if s.contains(needle.as_str()) {
                        s = s.replace(needle.as_str(), token);
                    }
                }
                // A stream's ARN ends in its creation time.
                if let Some(at) = s.find("<table>/stream/") {
                    s.truncate(at + "<table>/stream".len());
                }
                Value::String(s)
            }
            Value::Array(items) => {
                let mut items: Vec<Value> = items.iter().map(|v| self.normalise(v)).collect();
                items.sort_by_key(Value::to_string);
                Value::Array(items)
            }
            // An absent property, a null and an empty object say the same.
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.normalise(v)))
                    .filter(|(_, v)| !v.is_null() && v.as_object().is_none_or(|o| !o.is_empty()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// A logical id without the CDK's hash.
fn base(id: &str) -> String {
    let cut = id.len().saturating_sub(8);
    if id.len() > 8 && is_id_of(id, &id[..cut]) {
        id[..cut].to_owned()
    } else {
        id.to_owned()
    }
}

/// Where two shapes differ: `(path, one, other)`, a missing side as `null`.
pub fn differences(
    one: &BTreeMap<String, Value>,
    other: &BTreeMap<String, Value>,
) -> Vec<(String, Value, Value)> {
    let mut found = Vec::new();
    let keys: std::collections::BTreeSet<&String> = one.keys().chain(other.keys()).collect();
    for key in keys {
        compare(
            key,
            one.get(key).unwrap_or(&Value::Null),
            other.get(key).unwrap_or(&Value::Null),
            &mut found,
        );
    }
    found
}

fn compare(path: &str, a: &Value, b: &Value, found: &mut Vec<(String, Value, Value)>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                compare(
                    &format!("{path}/{key}"),
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                    found,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() && a != b => {
            for (n, (x, y)) in x.iter().zip(y).enumerate() {
                compare(&format!("{path}/{n}"), x, y, found);
            }
        }
        _ if a == b => {}
        _ => found.push((path.to_owned(), a.clone(), b.clone())),
    }
}
