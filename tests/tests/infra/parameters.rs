//! Every deploy setting accepts the same values in the SAM template (its parameter's pattern,
//! allowed values and length), in the CDK app (`infra/cdk/lib/parameters.ts`) and in the code
//! that reads what the stack makes of it (`Config::from_lookup` on the resolved environment
//! variable): each setting's range is read from both templates and tried on the same values,
//! its edges and the mistakes a person makes (capitals, a trailing slash, `http`, day 30, 2.5).
//! A setting the code never reads is compared between the templates only; one the code passes
//! on to a service (a bus name, a hosted UI prefix) may be narrower in the templates, never
//! wider.

use std::collections::{BTreeMap, BTreeSet};

use domain::Settings;
use runtime::{
    Config, Function,
    config::{self, COUNTS, Variable},
};
use serde_json::{Value, json};
use tests::infra::{checked, npx, sam_template, tool};

mod settings;

use settings::settings;

/// The environments a setting's value may resolve to; the code must start in every one.
type Env = fn(&str) -> Vec<Vec<(&'static str, String)>>;

/// What the code makes of a setting.
enum Read {
    /// The templates must accept exactly what `function` accepts in `variable` once the stack
    /// has resolved the setting to `env(value)`.
    Exactly {
        function: Function,
        variable: Variable,
        env: Env,
    },
    /// Read and passed on to a service, which takes less than the code: the templates may
    /// refuse what the code accepts, never the reverse.
    Narrower {
        function: Function,
        env: Env,
        why: &'static str,
    },
    /// Never read by the code (the service reads it): the templates agree with each other.
    Not { why: &'static str },
}

struct Setting {
    /// The SAM parameter; the CDK context value is its name in lowerCamelCase.
    sam: &'static str,
    read: Read,
    samples: Vec<String>,
}

/// The API's own URL, what an empty `AppBaseUrl` resolves to.
const API_URL: &str = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com";

/// The value itself, in `variable`.
fn same(variable: &'static str) -> Env {
    match variable {
        "REMINDER_DAYS_BEFORE" => |v| vec![vec![("REMINDER_DAYS_BEFORE", v.to_owned())]],
        "EVENT_BUS_NAME" => |v| vec![vec![("EVENT_BUS_NAME", v.to_owned())]],
        "INVITE_MAX_ADDRESSES" => |v| vec![vec![("INVITE_MAX_ADDRESSES", v.to_owned())]],
        "INVITE_DAILY_LIMIT" => |v| vec![vec![("INVITE_DAILY_LIMIT", v.to_owned())]],
        "INVITER_DAILY_LIMIT" => |v| vec![vec![("INVITER_DAILY_LIMIT", v.to_owned())]],
        "RECIPIENT_DAILY_LIMIT" => |v| vec![vec![("RECIPIENT_DAILY_LIMIT", v.to_owned())]],
        "WORKGROUP_DAILY_LIMIT" => |v| vec![vec![("WORKGROUP_DAILY_LIMIT", v.to_owned())]],
        "PENDING_INVITATION_LIMIT" => |v| vec![vec![("PENDING_INVITATION_LIMIT", v.to_owned())]],
        "SES_MAX_SEND_RATE" => |v| vec![vec![("SES_MAX_SEND_RATE", v.to_owned())]],
        other => panic!("no mapping for {other}"),
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// The SAM parameter of a count variable.
fn count_parameter(variable: Variable) -> &'static str {
    match variable.name {
        "INVITE_MAX_ADDRESSES" => "InviteMaxAddresses",
        "INVITE_DAILY_LIMIT" => "InviteDailyLimit",
        "INVITER_DAILY_LIMIT" => "InviterDailyLimit",
        "RECIPIENT_DAILY_LIMIT" => "RecipientDailyLimit",
        "WORKGROUP_DAILY_LIMIT" => "WorkgroupDailyLimit",
        "PENDING_INVITATION_LIMIT" => "PendingInvitationLimit",
        "SES_MAX_SEND_RATE" => "SesMaxSendRate",
        other => panic!("no parameter for {other}"),
    }
}

fn schedule_samples() -> Vec<String> {
    strings(&[
        "rate(1 day)",
        "rate(10 minutes)",
        "rate(2 hours)",
        "rate(1 minute)",
        "cron(0 9 * * ? *)",
        "rate(1 days)",
        "rate(2 day)",
        "rate(0 minutes)",
        "rate(5 seconds)",
        "at(2026-01-01T00:00:00)",
        "",
        "daily",
    ])
}

/// The CDK context name of a SAM parameter.
fn camel(sam: &str) -> String {
    let mut name = sam.to_owned();
    name[..1].make_ascii_lowercase();
    name
}

/// A complete environment for `function`, as a stack with every setting at its default
/// resolves it.
fn baseline() -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("TABLE_NAME", "invitations-Table-1".to_owned()),
        (
            "SECRET_KEY_ARN",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:SecretKey-abc".to_owned(),
        ),
        ("APP_BASE_URL", API_URL.to_owned()),
        (
            "QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/123456789012/invitations-EmailsQueue-1".to_owned(),
        ),
        ("SES_SENDER", "no-reply@example.com".to_owned()),
        ("SES_CONFIGURATION_SET", "ConfigurationSet-1".to_owned()),
        ("EVENT_BUS_NAME", "default".to_owned()),
        ("SIGN_IN_DOMAIN", String::new()),
        ("SIGN_IN_CLIENT_ID", String::new()),
    ])
}

/// Whether `function` starts with `env` over the baseline.
fn code_accepts(function: Function, env: &[(&'static str, String)]) -> Result<(), String> {
    let mut all = baseline();
    for (name, value) in env {
        all.insert(name, value.clone());
    }
    let lookup = |name: &str| all.get(name).cloned();
    let result = match function {
        Function::Publish => {
            config::required_from_lookup(config::EVENT_BUS_NAME, lookup).map(|_| ())
        }
        Function::Feedback => config::table_from_lookup(lookup).map(|_| ()),
        _ => Config::from_lookup(function, lookup).map(|_| ()),
    };
    result.map_err(|e| e.to_string())
}

/// Which samples the SAM template accepts for each parameter, by CloudFormation's rules
/// (a whole-value pattern, allowed values, lengths), evaluated by Python's `re`.
fn sam_accepts(
    template: &Value,
    samples: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Vec<bool>> {
    let request = json!({
        "parameters": template["Parameters"],
        "samples": samples,
    });
    let input = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(input.path(), request.to_string()).unwrap();
    let output = checked(tool("python").arg("-c").arg(SAM_RULES).arg(input.path()))
        .unwrap_or_else(|why| panic!("{why}"));
    serde_json::from_slice(&output.stdout).expect("a JSON answer")
}

const SAM_RULES: &str = r#"
import json, re, sys
request = json.load(open(sys.argv[1]))
answer = {}
for name, samples in request["samples"].items():
    p = request["parameters"][name]
    def ok(v):
        if "AllowedValues" in p and v not in [str(a) for a in p["AllowedValues"]]:
            return False
        if "AllowedPattern" in p and re.fullmatch(p["AllowedPattern"], v) is None:
            return False
        if "MaxLength" in p and len(v) > int(p["MaxLength"]):
            return False
        if "MinLength" in p and len(v) < int(p["MinLength"]):
            return False
        if p.get("Type") == "Number":
            try:
                n = float(v)
            except ValueError:
                return False
            if "MinValue" in p and n < float(p["MinValue"]):
                return False
            if "MaxValue" in p and n > float(p["MaxValue"]):
                return False
        return True
    answer[name] = [ok(v) for v in samples]
print(json.dumps(answer))
"#;

/// Which samples the CDK app accepts for each context value, and its defaults.
fn cdk_accepts(samples: &BTreeMap<String, Vec<String>>) -> (BTreeMap<String, Vec<bool>>, Value) {
    let input = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(input.path(), serde_json::to_string(samples).unwrap()).unwrap();
    let script = r#"
const { PARAMETERS, problem } = require('./lib/parameters');
const samples = JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'));
const accepted = {};
for (const [name, values] of Object.entries(samples)) {
  if (!(name in PARAMETERS)) throw new Error(`no context value ${name}`);
  accepted[name] = values.map((v) => problem(name, v) === undefined);
}
const defaults = Object.fromEntries(Object.entries(PARAMETERS).map(([n, p]) => [n, p.default ?? null]));
console.log(JSON.stringify({ accepted, defaults, names: Object.keys(PARAMETERS) }));
"#;
    let output =
        checked(npx(&["node", "--require", "ts-node/register", "-e", script]).arg(input.path()))
            .unwrap_or_else(|why| panic!("{why}"));
    let answer: Value = serde_json::from_slice(&output.stdout).expect("a JSON answer");
    let accepted = serde_json::from_value(answer["accepted"].clone()).unwrap();
    (accepted, answer)
}

/// What the code does without the variable, written as the templates write it.
fn code_default(variable: Variable) -> String {
    let settings = Settings::new(domain::message::AcceptLinks::new(API_URL).unwrap());
    match variable.name {
        "INVITE_MAX_ADDRESSES" => settings.max_addresses_per_request.to_string(),
        "INVITE_DAILY_LIMIT" => settings.daily_invitations_per_inviter.to_string(),
        "INVITER_DAILY_LIMIT" => settings.daily_invitations_per_inviter_overall.to_string(),
        "RECIPIENT_DAILY_LIMIT" => settings.daily_invitations_per_recipient.to_string(),
        "WORKGROUP_DAILY_LIMIT" => settings.daily_workgroups_per_person.to_string(),
        "PENDING_INVITATION_LIMIT" => settings.pending_invitations_per_workgroup.to_string(),
        // Empty: the send function asks SES for the account's maximum send rate.
        "SES_MAX_SEND_RATE" => {
            let all = baseline();
            let config = Config::from_lookup(Function::Send, |name| all.get(name).cloned())
                .expect("the send function starts without a rate");
            assert_eq!(config.send_rate, None, "without a rate, SES is asked");
            String::new()
        }
        "REMINDER_DAYS_BEFORE" => settings
            .reminders
            .days_before()
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(","),
        other => panic!("no default for {other}"),
    }
}

#[test]
fn every_setting_accepts_the_same_values_in_both_templates_and_the_code() {
    let settings = settings();
    let template = sam_template();
    let sam_names: BTreeSet<String> = template["Parameters"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let listed: BTreeSet<String> = settings.iter().map(|s| s.sam.to_owned()).collect();
    assert_eq!(sam_names, listed, "every SAM parameter is checked here");

    let samples: BTreeMap<String, Vec<String>> = settings
        .iter()
        .map(|s| (s.sam.to_owned(), s.samples.clone()))
        .collect();
    let sam = sam_accepts(&template, &samples);
    let camel_samples = samples
        .iter()
        .map(|(name, values)| (camel(name), values.clone()))
        .collect();
    let (cdk, cdk_answer) = cdk_accepts(&camel_samples);
    let cdk_names: BTreeSet<String> = serde_json::from_value(cdk_answer["names"].clone()).unwrap();
    let listed_camel: BTreeSet<String> = listed.iter().map(|n| camel(n)).collect();
    assert_eq!(cdk_names, listed_camel, "every CDK setting is checked here");

    let mut wrong = Vec::new();
    for setting in &settings {
        let reader = match &setting.read {
            Read::Exactly { .. } => "the code reads it",
            Read::Narrower { why, .. } | Read::Not { why } => why,
        };
        for (n, value) in setting.samples.iter().enumerate() {
            let in_sam = sam[setting.sam][n];
            let in_cdk = cdk[&camel(setting.sam)][n];
            if in_sam != in_cdk {
                wrong.push(format!(
                    "{} = {value:?}: SAM {}, CDK {} ({reader})",
                    setting.sam,
                    verdict(in_sam),
                    verdict(in_cdk)
                ));
            }
            let (function, env, exact) = match &setting.read {
                Read::Exactly { function, env, .. } => (*function, env, true),
                Read::Narrower { function, env, .. } => (*function, env, false),
                Read::Not { .. } => continue,
            };
            let code = env(value)
                .iter()
                .try_for_each(|env| code_accepts(function, env));
            let in_code = code.is_ok();
            // Surrounding blanks: the code trims every variable, the templates refuse them.
            let blanks = value.trim() != value;
            let differs = if exact && !blanks {
                in_sam != in_code
            } else {
                in_sam && !in_code
            };
            if differs {
                wrong.push(format!(
                    "{} = {value:?}: templates {}, the {} function {} ({}{reader})",
                    setting.sam,
                    verdict(in_sam),
                    function.name(),
                    verdict(in_code),
                    code.err().map(|e| format!("{e}; ")).unwrap_or_default()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "ranges differ:\n{}", wrong.join("\n"));

    // The defaults too: the templates write what the code would do without them.
    let defaults = &cdk_answer["defaults"];
    for setting in &settings {
        let sam_default = &template["Parameters"][setting.sam]["Default"];
        let sam_default = match sam_default {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let cdk_default = defaults[camel(setting.sam)].as_str().map(str::to_owned);
        assert_eq!(sam_default, cdk_default, "{}: defaults", setting.sam);
        if let Read::Exactly { variable, .. } = &setting.read
            && (COUNTS.iter().any(|(v, _)| v.name == variable.name)
                || variable.name == config::REMINDER_DAYS_BEFORE.name)
        {
            assert_eq!(
                sam_default.as_deref(),
                Some(code_default(*variable).as_str()),
                "{}: the template's default is the code's",
                setting.sam
            );
        }
    }
}

fn verdict(accepted: bool) -> &'static str {
    if accepted { "accepts" } else { "refuses" }
}

#[test]
fn an_external_issuer_without_an_audience_is_refused_by_both_templates() {
    let template = sam_template();
    let rule = &template["Rules"]["ExternalIssuerNeedsAnAudience"];
    assert_eq!(
        rule["RuleCondition"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "JwtIssuer"}, ""]}]})
    );
    assert_eq!(
        rule["Assertions"][0]["Assert"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "JwtAudience"}, ""]}]})
    );
}
