//! A template as the tests read it: its resources, grants, routes, environments and timeouts.

use super::*;

/// A template read the same way whichever tool wrote it.
pub(super) struct Template<'a> {
    resources: &'a serde_json::Map<String, Value>,
    /// Function logical id by binary name.
    functions: BTreeMap<&'static str, String>,
    sam: bool,
    globals: Option<&'a Value>,
}

fn of_type<'a>(
    resources: &'a serde_json::Map<String, Value>,
    kind: &'a str,
) -> impl Iterator<Item = (&'a String, &'a Value)> {
    resources.iter().filter(move |(_, r)| r["Type"] == kind)
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

impl<'a> Template<'a> {
    pub(super) fn sam(template: &'a Value) -> Self {
        let resources = template["Resources"].as_object().unwrap();
        let mut functions = BTreeMap::new();
        for (id, resource) in of_type(resources, "AWS::Serverless::Function") {
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap();
            assert_eq!(
                resource["Metadata"]["BuildMethod"], "rust-cargolambda",
                "{id}"
            );
            let function = Function::ALL
                .into_iter()
                .find(|f| f.name() == binary)
                .unwrap();
            functions.insert(function.name(), id.clone());
        }
        assert_eq!(
            functions.len(),
            Function::ALL.len(),
            "one SAM function per binary"
        );
        Self {
            resources,
            functions,
            sam: true,
            globals: Some(&template["Globals"]["Function"]),
        }
    }

    pub(super) fn cdk(template: &'a Value) -> Self {
        let resources = template["Resources"].as_object().unwrap();
        let mut functions = BTreeMap::new();
        for function in Function::ALL {
            let mut prefix = function.name().to_owned();
            prefix[..1].make_ascii_uppercase();
            prefix.push_str("Function");
            let ids: Vec<&String> = of_type(resources, "AWS::Lambda::Function")
                .map(|(id, _)| id)
                // The CDK's logical ids end in an 8-digit hash.
                .filter(|id| id.starts_with(&prefix) && id.len() == prefix.len() + 8)
                .collect();
            assert_eq!(ids.len(), 1, "one CDK function for {function:?}: {ids:?}");
            functions.insert(function.name(), ids[0].clone());
        }
        Self {
            resources,
            functions,
            sam: false,
            globals: None,
        }
    }

    pub(super) fn function(&self, function: Function) -> &Value {
        &self.resources[&self.functions[function.name()]]
    }

    pub(super) fn check_table(&self, name: &str) {
        let tables: Vec<_> = of_type(self.resources, "AWS::DynamoDB::Table").collect();
        assert_eq!(tables.len(), 1, "{name}: one table");
        let table = &tables[0].1["Properties"];
        let keys = |schema: &Value| -> (String, Option<String>) {
            let find = |kind: &str| {
                schema
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|k| k["KeyType"] == kind)
                    .map(|k| k["AttributeName"].as_str().unwrap().to_owned())
            };
            (find("HASH").unwrap(), find("RANGE"))
        };
        assert_eq!(
            keys(&table["KeySchema"]),
            (PARTITION_KEY.to_owned(), Some(SORT_KEY.to_owned())),
            "{name}: table keys"
        );
        let defined: BTreeSet<(String, String)> = table["AttributeDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["AttributeName"].as_str().unwrap().to_owned(),
                    d["AttributeType"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected: BTreeSet<(String, String)> = key_attributes()
            .into_iter()
            .map(|a| (a.to_owned(), "S".to_owned()))
            .collect();
        assert_eq!(defined, expected, "{name}: attribute definitions");
        let indexes = |list: &Value| -> BTreeSet<(String, String, Option<String>, String)> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    let (partition, sort) = keys(&i["KeySchema"]);
                    let projection = i["Projection"]["ProjectionType"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    (
                        i["IndexName"].as_str().unwrap().to_owned(),
                        partition,
                        sort,
                        projection,
                    )
                })
                .collect()
        };
        let expected_indexes =
            |list: &[Index]| -> BTreeSet<(String, String, Option<String>, String)> {
                list.iter()
                    .map(|i| {
                        (
                            i.name.to_owned(),
                            i.partition.to_owned(),
                            i.sort.map(str::to_owned),
                            "ALL".to_owned(),
                        )
                    })
                    .collect()
            };
        assert_eq!(
            indexes(&table["GlobalSecondaryIndexes"]),
            expected_indexes(&GLOBAL_INDEXES),
            "{name}: global indexes"
        );
        assert_eq!(
            indexes(&table["LocalSecondaryIndexes"]),
            expected_indexes(&LOCAL_INDEXES),
            "{name}: local indexes"
        );
        assert_eq!(
            table["TimeToLiveSpecification"]["AttributeName"], TTL_ATTRIBUTE,
            "{name}"
        );
        assert_eq!(table["TimeToLiveSpecification"]["Enabled"], true, "{name}");
        assert_eq!(table["BillingMode"], "PAY_PER_REQUEST", "{name}");
        assert_eq!(
            table["StreamSpecification"]["StreamViewType"], "NEW_IMAGE",
            "{name}: the stream the audit trail is published from"
        );
        assert_eq!(
            table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true,
            "{name}"
        );
    }

    pub(super) fn environment(&self, function: Function) -> BTreeSet<String> {
        let own = &self.function(function)["Properties"]["Environment"]["Variables"];
        let mut names: BTreeSet<String> = own
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        if let Some(globals) = self.globals
            && let Some(shared) = globals["Environment"]["Variables"].as_object()
        {
            names.extend(shared.keys().cloned());
        }
        names
    }

    /// Where a statement's resource points, by the names of the resources it refers to.
    pub(super) fn target(&self, resource: &Value) -> String {
        let text = resource.to_string();
        let refers_to = |kind: &str| {
            of_type(self.resources, kind).any(|(id, _)| {
                // `{"Ref": "Id"}`, `{"Fn::GetAtt": ["Id", …]}`, or `${Id}` / `${Id.Arn}` in a Sub.
                text.contains(&format!("\"{id}\""))
                    || text.contains(&format!("${{{id}}}"))
                    || text.contains(&format!("${{{id}."))
            })
        };
        if let Some(at) = text.find("/index/") {
            let name: String = text[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                refers_to("AWS::DynamoDB::Table"),
                "an index of another table: {text}"
            );
            return format!("index/{name}");
        }
        if text.contains("StreamArn") {
            assert!(
                refers_to("AWS::DynamoDB::Table"),
                "another table's stream: {text}"
            );
            return "stream".into();
        }
        if refers_to("AWS::DynamoDB::Table") {
            return "table".into();
        }
        if text.contains(":event-bus/") {
            return "events:bus".into();
        }
        if refers_to("AWS::SQS::Queue") {
            let queues: Vec<&String> = of_type(self.resources, "AWS::SQS::Queue")
                .map(|(id, _)| id)
                .filter(|id| text.contains(&format!("\"{id}\"")))
                .collect();
            return match queues.as_slice() {
                [id] if is_id_of(id, EMAILS_QUEUE) => "queue:emails".into(),
                [id] if is_id_of(id, "PublishFailures") => "queue:stream failures".into(),
                _ => panic!("a grant on another queue: {text}"),
            };
        }
        if text == "\"*\"" {
            return "*".into();
        }
        if refers_to("AWS::SecretsManager::Secret") {
            return "secret".into();
        }
        if text.contains(":identity/*") {
            return "ses:identity/*".into();
        }
        if text.contains("configuration-set/") && refers_to("AWS::SES::ConfigurationSet") {
            return "ses:configuration-set".into();
        }
        panic!("a grant on an unexpected resource: {text}");
    }

    pub(super) fn statements(&self, function: Function) -> Vec<Value> {
        if self.sam {
            let policies = self.function(function)["Properties"]["Policies"]
                .as_array()
                .unwrap();
            return policies
                .iter()
                .flat_map(|p| p["Statement"].as_array().unwrap().clone())
                .collect();
        }
        // The CDK: the inline policy attached to the function's role.
        let role = &self.function(function)["Properties"]["Role"]["Fn::GetAtt"][0];
        of_type(self.resources, "AWS::IAM::Policy")
            .filter(|(_, p)| {
                p["Properties"]["Roles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["Ref"] == *role)
            })
            .flat_map(|(_, p)| {
                p["Properties"]["PolicyDocument"]["Statement"]
                    .as_array()
                    .unwrap()
                    .clone()
            })
            .collect()
    }

    pub(super) fn grants(&self, function: Function) -> BTreeSet<(String, String)> {
        let mut grants = BTreeSet::new();
        for statement in self.statements(function) {
            assert_eq!(statement["Effect"], "Allow");
            let resources = match &statement["Resource"] {
                Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            };
            for action in strings(&statement["Action"]) {
                if action == "ses:SendEmail" {
                    // Only from the configured sender.
                    assert!(
                        statement["Condition"]["StringEquals"]["ses:FromAddress"].is_string()
                            || statement["Condition"]["StringEquals"]["ses:FromAddress"]
                                .is_object(),
                        "SendEmail without a sender condition: {statement}"
                    );
                }
                for resource in &resources {
                    grants.insert((action.clone(), self.target(resource)));
                }
            }
        }
        grants
    }

    /// The publish function reads the table's stream, only new audit events, reporting the
    /// first record it could not publish, with a failure destination.
    pub(super) fn check_publisher(&self, name: &str) {
        let id = &self.functions[Function::Publish.name()];
        let mappings: Vec<&Value> = of_type(self.resources, "AWS::Lambda::EventSourceMapping")
            .map(|(_, m)| &m["Properties"])
            .filter(|m| m["FunctionName"]["Ref"] == *id)
            .collect();
        assert_eq!(mappings.len(), 1, "{name}: one stream source");
        let mut source = mappings[0].clone();
        source["Stream"] = source["EventSourceArn"].clone();
        assert!(
            source["Stream"].to_string().contains("StreamArn"),
            "{name}: the table's stream: {source}"
        );
        let filters = source["FilterCriteria"]["Filters"].to_string();
        assert!(
            filters.contains("INSERT") && filters.contains(aws::dynamo::EVENTS_PREFIX),
            "{name}: only new audit events: {filters}"
        );
        assert_eq!(
            source["FunctionResponseTypes"],
            serde_json::json!(["ReportBatchItemFailures"]),
            "{name}"
        );
        assert!(
            !source["DestinationConfig"]["OnFailure"]["Destination"].is_null(),
            "{name}: a failure destination"
        );
    }

    /// The one resource of `kind` whose logical id is `base` (plus the CDK's hash).
    pub(super) fn resource(&self, kind: &'a str, base: &str) -> (&'a String, &'a Value) {
        let found: Vec<(&String, &Value)> = of_type(self.resources, kind)
            .filter(|(id, _)| is_id_of(id, base))
            .collect();
        assert_eq!(found.len(), 1, "one {kind} {base}");
        found[0]
    }

    /// The function's timeout in seconds, its own or the globals'.
    pub(super) fn timeout(&self, function: Function) -> u64 {
        let own = &self.function(function)["Properties"]["Timeout"];
        let global = self.globals.map(|g| &g["Timeout"]).unwrap_or(&Value::Null);
        own.as_u64().or_else(|| global.as_u64()).expect("a timeout")
    }

    /// The queue of due emails: encrypted, kept 14 days, each message hidden six times the send
    /// function's timeout (as Lambda asks of an SQS source), moved to its dead-letter queue
    /// after `MAX_RECEIVES`; drained by the send function alone, in batches, at most
    /// `MAX_CONCURRENCY` at once, reporting what to try again; its dead letters and its oldest
    /// message alarmed on, to the alarm topic.
    pub(super) fn check_emails_queue(&self, name: &str) {
        let (queue_id, queue) = self.resource("AWS::SQS::Queue", EMAILS_QUEUE);
        let (dead_id, dead) = self.resource("AWS::SQS::Queue", EMAILS_DEAD_LETTERS);
        for (id, q) in [(queue_id, queue), (dead_id, dead)] {
            let p = &q["Properties"];
            assert_eq!(p["SqsManagedSseEnabled"], true, "{name}: {id} is encrypted");
            assert_eq!(
                p["MessageRetentionPeriod"].as_u64(),
                Some(RETENTION_SECONDS),
                "{name}: {id} keeps 14 days"
            );
        }
        let p = &queue["Properties"];
        let send_timeout = self.timeout(Function::Send);
        assert!(
            p["VisibilityTimeout"].as_u64() >= Some(6 * send_timeout),
            "{name}: the visibility timeout is at least six times the send function's {send_timeout} s: {p}"
        );
        assert_eq!(
            p["RedrivePolicy"],
            serde_json::json!({
                "deadLetterTargetArn": {"Fn::GetAtt": [dead_id, "Arn"]},
                "maxReceiveCount": MAX_RECEIVES,
            }),
            "{name}: the redrive policy"
        );
        assert!(
            dead["Properties"]["RedrivePolicy"].is_null(),
            "{name}: dead letters stay"
        );

        let on_queue: Vec<&Value> = of_type(self.resources, "AWS::Lambda::EventSourceMapping")
            .map(|(_, m)| &m["Properties"])
            .filter(|m| {
                m["EventSourceArn"]
                    .to_string()
                    .contains(&format!("\"{queue_id}\""))
            })
            .collect();
        assert_eq!(on_queue.len(), 1, "{name}: one consumer of the queue");
        let mapping = on_queue[0];
        assert_eq!(
            mapping["FunctionName"]["Ref"],
            self.functions[Function::Send.name()].as_str(),
            "{name}: the send function drains the queue"
        );
        assert_eq!(mapping["BatchSize"].as_u64(), Some(BATCH_SIZE), "{name}");
        assert_eq!(
            mapping["ScalingConfig"]["MaximumConcurrency"].as_u64(),
            Some(MAX_CONCURRENCY),
            "{name}"
        );
        assert_eq!(
            mapping["FunctionResponseTypes"],
            serde_json::json!(["ReportBatchItemFailures"]),
            "{name}"
        );

        // Both alarms notify the alarm topic.
        let (topic, _) = self.resource("AWS::SNS::Topic", "AlarmTopic");
        let alarm_on = |queue: &str, metric: &str| -> Value {
            let found: Vec<&Value> = of_type(self.resources, "AWS::CloudWatch::Alarm")
                .map(|(_, a)| &a["Properties"])
                .filter(|a| {
                    a["MetricName"] == metric
                        && a["Dimensions"]
                            == serde_json::json!([{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}])
                })
                .collect();
            assert_eq!(found.len(), 1, "{name}: an alarm on {metric} of {queue}");
            assert_eq!(
                found[0]["AlarmActions"],
                serde_json::json!([{"Ref": topic}]),
                "{name}: to the alarm topic"
            );
            assert_eq!(found[0]["ComparisonOperator"], "GreaterThanThreshold");
            assert_eq!(found[0]["Statistic"], "Maximum");
            found[0].clone()
        };
        let dead_letters = alarm_on(dead_id, "ApproximateNumberOfMessagesVisible");
        assert_eq!(
            dead_letters["Threshold"].as_u64(),
            Some(0),
            "{name}: any dead letter"
        );
        let behind = alarm_on(queue_id, "ApproximateAgeOfOldestMessage");
        assert_eq!(behind["Threshold"].as_u64(), Some(BEHIND_SECONDS), "{name}");
        // The summed alarms count the send function's errors and throttles too.
        for metric in ["Errors", "Throttles"] {
            let summed = of_type(self.resources, "AWS::CloudWatch::Alarm")
                .map(|(_, a)| &a["Properties"])
                .find(|a| {
                    a["Metrics"]
                        .to_string()
                        .contains(&format!("\"MetricName\":\"{metric}\""))
                })
                .unwrap_or_else(|| panic!("{name}: a summed {metric} alarm"));
            let send = self.functions[Function::Send.name()].as_str();
            assert!(
                summed["Metrics"]
                    .to_string()
                    .contains(&format!("{{\"Ref\":\"{send}\"}}")),
                "{name}: {metric} of the send function: {summed}"
            );
        }
    }

    /// `("METHOD /path", function, signed in)` for every route.
    pub(super) fn routes(&self) -> BTreeSet<(String, &'static str, bool)> {
        let mut routes = BTreeSet::new();
        // `{"Ref": "Id"}` or `integrations/${Id}` in a Sub.
        let names = |text: &str, id: &str| {
            text.contains(&format!("\"{id}\"")) || text.contains(&format!("${{{id}}}"))
        };
        for (_, route) in of_type(self.resources, "AWS::ApiGatewayV2::Route") {
            let p = &route["Properties"];
            let target = p["Target"].to_string();
            let (_, integration) = of_type(self.resources, "AWS::ApiGatewayV2::Integration")
                .find(|(id, _)| names(&target, id))
                .expect("the route's integration");
            let uri = integration["Properties"]["IntegrationUri"].to_string();
            let binary = self
                .functions
                .iter()
                .find(|(_, id)| uri.contains(&format!("\"{id}\"")))
                .map(|(binary, _)| *binary)
                .expect("the integration's function");
            let auth = p["AuthorizationType"].as_str().unwrap();
            routes.insert((
                p["RouteKey"].as_str().unwrap().to_owned(),
                binary,
                auth == "JWT",
            ));
        }
        routes
    }
}
