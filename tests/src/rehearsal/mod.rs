//! The deploy rehearsal's harness: both templates deployed to moto's CloudFormation as they
//! would be deployed to AWS (the SAM template transformed by the pinned `aws-sam-translator`,
//! the CDK app synthesised), what each stack became read back, every function's requests
//! checked against its policies on the way to moto ([`gate`], [`iam`]), and the two stacks
//! compared ([`shape`]).
//!
//! moto's CloudFormation lacks some of the stacks' types; `tests/rehearsal/moto_cfn.py` adds
//! them to the rehearsal's own moto server, created through moto's service backends, and
//! records every resource with the properties CloudFormation resolved.

pub mod gate;
pub mod iam;
pub mod shape;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use serde_json::Value;

use crate::{
    infra::{checked, infra_dir, npx, tool, workspace},
    moto::{MOTO_REQUIREMENT, Moto, pinned_venv},
};

/// The rehearsal's moto server and the directory its CloudFormation records stacks in.
pub struct RehearsalMoto {
    pub moto: Moto,
    records: PathBuf,
}

fn rehearsal_dir() -> PathBuf {
    workspace().join("tests/rehearsal")
}

/// The rehearsal's moto, started on first use: moto with the CloudFormation types it lacks, and
/// AWS's managed policies loaded (the functions' roles attach one).
pub fn moto() -> &'static RehearsalMoto {
    static MOTO: OnceLock<RehearsalMoto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let venv = workspace().join(".venv");
        let records = venv.join(format!("rehearsal-{}", std::process::id()));
        // Earlier runs' records.
        for old in std::fs::read_dir(&venv).into_iter().flatten().flatten() {
            if old.file_name().to_string_lossy().starts_with("rehearsal-") {
                let _ = std::fs::remove_dir_all(old.path());
            }
        }
        std::fs::create_dir_all(&records).expect("a records directory");
        let preamble = format!(
            "import sys\nsys.path.insert(0, {:?})\nimport moto_cfn",
            rehearsal_dir().display().to_string()
        );
        let moto = Moto::start_with(
            &preamble,
            &[
                ("MOTO_IAM_LOAD_MANAGED_POLICIES", "true"),
                ("REHEARSAL_RECORD_DIR", records.to_str().unwrap()),
            ],
        )
        .unwrap_or_else(|why| panic!("the rehearsal's moto: {why}"));
        RehearsalMoto { moto, records }
    })
}

/// The SAM template as CloudFormation: transformed by the pinned translator, its functions'
/// code where `sam package` would put it.
pub fn sam_cloudformation(out: &Path) -> PathBuf {
    let output = checked(
        tool("python")
            .arg(rehearsal_dir().join("translate.py"))
            .arg(infra_dir().join("template.yaml"))
            .env("AWS_DEFAULT_REGION", gate::REGION),
    )
    .unwrap_or_else(|why| panic!("{why}"));
    let path = out.join("sam.json");
    std::fs::write(&path, output.stdout).unwrap();
    path
}

/// The CDK app synthesised as stack `stack` with `context` (`-c name=value`), without building
/// the functions.
pub fn cdk_cloudformation(out: &Path, stack: &str, context: &Value) -> PathBuf {
    let mut context = context.clone();
    context["stackName"] = Value::String(stack.to_owned());
    checked(
        npx(&["ts-node", "--prefer-ts-exts", "bin/app.ts"])
            .env("CDK_SKIP_BUNDLING", "1")
            .env("CDK_OUTDIR", out)
            .env("CDK_CONTEXT_JSON", context.to_string()),
    )
    .unwrap_or_else(|why| panic!("{why}"));
    out.join(format!("{stack}.template.json"))
}

/// What a stack became.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// `SAM` or `CDK`.
    pub tool: &'static str,
    pub stack: String,
    pub status: String,
    pub outputs: BTreeMap<String, String>,
    /// Every resource by logical id: `Type`, `PhysicalId`, the resolved `Properties`,
    /// `DeletionPolicy`, `UpdateReplacePolicy`.
    pub resources: BTreeMap<String, Value>,
    /// Each function's configuration as Lambda holds it, by logical id.
    pub lambda: BTreeMap<String, Value>,
    /// The documents of the AWS managed policies the roles attach, by ARN.
    pub managed_policies: BTreeMap<String, Value>,
}

/// Deploys `template` as stack `stack` with `parameters`; fails unless it reaches
/// `CREATE_COMPLETE`.
pub fn deploy(
    tool: &'static str,
    stack: &str,
    template: &Path,
    parameters: &BTreeMap<&str, &str>,
) -> Deployment {
    let rehearsal = moto();
    let python = pinned_venv("moto", &[MOTO_REQUIREMENT])
        .expect("moto's virtualenv")
        .join("bin/python");
    let parameters_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        parameters_file.path(),
        serde_json::to_string(parameters).unwrap(),
    )
    .unwrap();
    let output = checked(
        Command::new(python)
            .arg(rehearsal_dir().join("deploy.py"))
            .arg(rehearsal.moto.endpoint())
            .arg(stack)
            .arg(template)
            .arg(parameters_file.path())
            .arg(&rehearsal.records),
    )
    .unwrap_or_else(|why| panic!("{tool} stack {stack}: {why}"));
    let answer: Value = serde_json::from_slice(&output.stdout).expect("deploy.py answers JSON");
    let map = |key: &str| -> BTreeMap<String, Value> {
        answer[key]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    };
    let deployment = Deployment {
        tool,
        stack: stack.to_owned(),
        status: answer["status"].as_str().unwrap_or_default().to_owned(),
        outputs: map("outputs")
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
            .collect(),
        resources: map("resources"),
        lambda: map("functions"),
        managed_policies: map("managed_policies"),
    };
    assert_eq!(deployment.status, "CREATE_COMPLETE", "{tool} stack {stack}");
    let skipped: Vec<&String> = deployment
        .resources
        .iter()
        .filter(|(_, r)| r["Unsupported"] == true)
        .map(|(id, _)| id)
        .collect();
    assert!(
        skipped.is_empty(),
        "{tool} stack {stack}: moto has no CloudFormation for {skipped:?}: add it to tests/rehearsal/moto_cfn.py"
    );
    deployment
}

/// A function as deployed.
#[derive(Debug, Clone)]
pub struct DeployedFunction {
    pub logical_id: String,
    pub name: String,
    pub arn: String,
    pub environment: BTreeMap<String, String>,
    pub role_arn: String,
}

/// A route as deployed, with the function its integration calls.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeployedRoute {
    pub key: String,
    pub function: String,
    pub authorization: String,
}

/// Whether `id` is the logical id the templates give `base` (the CDK adds an 8-character hash).
pub fn is_id_of(id: &str, base: &str) -> bool {
    id == base
        || id.strip_prefix(base).is_some_and(|hash| {
            hash.len() == 8
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        })
}

pub fn capitalised(name: &str) -> String {
    let mut name = name.to_owned();
    name[..1].make_ascii_uppercase();
    name
}

impl Deployment {
    pub fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.resources
            .iter()
            .filter(move |(_, r)| r["Type"] == kind)
    }

    /// The one resource of `kind` whose logical id is `base` (plus the CDK's hash).
    pub fn resource<'a>(&'a self, kind: &'a str, base: &str) -> Option<(&'a String, &'a Value)> {
        self.of_type(kind).find(|(id, _)| is_id_of(id, base))
    }

    /// The function built from binary `binary`.
    pub fn function(&self, binary: &str) -> DeployedFunction {
        let base = format!("{}Function", capitalised(binary));
        let (id, config) = self
            .lambda
            .iter()
            .find(|(id, _)| is_id_of(id, &base))
            .unwrap_or_else(|| panic!("{}: no function {base}", self.tool));
        DeployedFunction {
            logical_id: id.clone(),
            name: config["FunctionName"].as_str().unwrap().to_owned(),
            arn: config["FunctionArn"].as_str().unwrap().to_owned(),
            environment: config["Environment"]["Variables"]
                .as_object()
                .map(|vars| {
                    vars.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            role_arn: config["Role"].as_str().unwrap().to_owned(),
        }
    }

    /// The binary whose function has this name or ARN.
    pub fn binary_of(&self, name_or_arn: &str) -> Option<String> {
        self.lambda.iter().find_map(|(id, config)| {
            let hit = config["FunctionName"] == name_or_arn || config["FunctionArn"] == name_or_arn;
            hit.then(|| {
                let base = id.split("Function").next().unwrap_or_default();
                base.to_ascii_lowercase()
            })
        })
    }

    /// The role resource with this ARN.
    pub fn role(&self, role_arn: &str) -> (&String, &Value) {
        let name = role_arn.rsplit('/').next().unwrap_or_default();
        self.of_type("AWS::IAM::Role")
            .find(|(_, r)| r["PhysicalId"] == name)
            .unwrap_or_else(|| panic!("{}: no role {role_arn}", self.tool))
    }

    /// Every statement of the identity policies of the role with this ARN: inline, attached
    /// (`AWS::IAM::Policy`) and managed.
    pub fn role_statements(&self, role_arn: &str) -> Vec<Value> {
        let (_, role) = self.role(role_arn);
        let name = role["PhysicalId"].as_str().unwrap_or_default();
        let mut statements = Vec::new();
        for policy in role["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            statements.extend(iam::statements(&policy["PolicyDocument"]));
        }
        for (_, policy) in self.of_type("AWS::IAM::Policy") {
            let roles = &policy["Properties"]["Roles"];
            if roles.as_array().into_iter().flatten().any(|r| r == name) {
                statements.extend(iam::statements(&policy["Properties"]["PolicyDocument"]));
            }
        }
        for arn in role["Properties"]["ManagedPolicyArns"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let document = self
                .managed_policies
                .get(arn.as_str().unwrap_or_default())
                .unwrap_or_else(|| panic!("{}: managed policy {arn} not read", self.tool));
            statements.extend(iam::statements(document));
        }
        statements
    }

    /// The statements a role's trust policy holds.
    pub fn trust(&self, role_arn: &str) -> Vec<Value> {
        let (_, role) = self.role(role_arn);
        iam::statements(&role["Properties"]["AssumeRolePolicyDocument"])
    }

    /// The Lambda permissions on a function, as resource policy statements.
    pub fn invoke_permissions(&self, function_arn: &str) -> Vec<Value> {
        self.of_type("AWS::Lambda::Permission")
            .map(|(_, p)| &p["Properties"])
            .filter(|p| {
                let target = p["FunctionName"].as_str().unwrap_or_default();
                target == function_arn || function_arn.ends_with(&format!(":{target}"))
            })
            .map(|p| {
                let mut condition = serde_json::Map::new();
                if let Some(source) = p["SourceArn"].as_str() {
                    condition.insert(
                        "ArnLike".into(),
                        serde_json::json!({ "AWS:SourceArn": source }),
                    );
                }
                if let Some(account) = p["SourceAccount"].as_str() {
                    condition.insert(
                        "StringEquals".into(),
                        serde_json::json!({ "AWS:SourceAccount": account }),
                    );
                }
                serde_json::json!({
                    "Effect": "Allow",
                    "Principal": { "Service": p["Principal"] },
                    "Action": p["Action"],
                    "Resource": function_arn,
                    "Condition": condition,
                })
            })
            .collect()
    }

    /// Every route, with the binary its integration calls.
    pub fn routes(&self) -> Vec<DeployedRoute> {
        let mut routes: Vec<DeployedRoute> = self
            .of_type("AWS::ApiGatewayV2::Route")
            .map(|(id, route)| {
                let p = &route["Properties"];
                let target = p["Target"].as_str().unwrap_or_default();
                let integration_id = target.trim_start_matches("integrations/");
                let (_, integration) = self
                    .of_type("AWS::ApiGatewayV2::Integration")
                    .find(|(_, i)| i["PhysicalId"] == integration_id)
                    .unwrap_or_else(|| panic!("{}: route {id} has no integration", self.tool));
                let uri = integration["Properties"]["IntegrationUri"]
                    .as_str()
                    .unwrap_or_default();
                DeployedRoute {
                    key: p["RouteKey"].as_str().unwrap_or_default().to_owned(),
                    function: self
                        .binary_of(uri)
                        .unwrap_or_else(|| panic!("{}: no function for {uri}", self.tool)),
                    authorization: p["AuthorizationType"].as_str().unwrap_or("NONE").to_owned(),
                }
            })
            .collect();
        routes.sort();
        routes
    }

    /// The API's id, its JWT issuer and audience.
    pub fn api(&self) -> (String, String, Vec<String>) {
        let (_, api) = self
            .of_type("AWS::ApiGatewayV2::Api")
            .next()
            .expect("an API");
        let (_, authorizer) = self
            .of_type("AWS::ApiGatewayV2::Authorizer")
            .next()
            .expect("an authorizer");
        let jwt = &authorizer["Properties"]["JwtConfiguration"];
        (
            api["PhysicalId"].as_str().unwrap().to_owned(),
            jwt["Issuer"].as_str().unwrap_or_default().to_owned(),
            jwt["Audience"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
        )
    }

    /// The SES identities the stack made.
    pub fn ses_identities(&self) -> Vec<String> {
        self.of_type("AWS::SES::EmailIdentity")
            .filter_map(|(_, i)| i["Properties"]["EmailIdentity"].as_str().map(str::to_owned))
            .collect()
    }
}
