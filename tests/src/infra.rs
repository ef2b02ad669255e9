//! The deployment tools the template checks run: cfn-lint, the SAM CLI and cargo-lambda (pinned,
//! in a project-local virtualenv), checkov (pinned, in its own) and the CDK app's npm packages
//! (from its lock file). The first test that needs them installs what is missing, under the
//! same lock as moto; a test never skips for want of them.

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
};

/// The Python tools, pinned. The SAM CLI pins its translator; it is named here because the
/// deploy rehearsal calls it directly.
pub const PYTHON_TOOLS: [&str; 4] = [
    "cfn-lint==1.58.0",
    "aws-sam-cli==1.170.0",
    "aws-sam-translator==1.115.0",
    "cargo-lambda==1.9.2",
];

/// The template scanner, pinned, in a virtualenv of its own (its dependencies are not the SAM
/// CLI's).
pub const CHECKOV: &str = "checkov==3.3.30";

/// `<workspace>`.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits in the workspace")
        .to_path_buf()
}

pub fn infra_dir() -> PathBuf {
    workspace().join("infra")
}

pub fn cdk_dir() -> PathBuf {
    infra_dir().join("cdk")
}

/// The virtualenv's `bin/`, with the tools installed.
pub fn tools_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| install().unwrap_or_else(|why| panic!("infrastructure tools: {why}")))
}

fn install() -> Result<PathBuf, String> {
    let env = crate::moto::pinned_venv("infra", &PYTHON_TOOLS)?;
    npm_ci(&cdk_dir())?;
    Ok(env.join("bin"))
}

/// `npm ci` in `dir` when its installed tree is not its lock file's, under the same lock as
/// moto's install (test binaries that need it may start together).
pub fn npm_ci(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(workspace().join(".venv")).map_err(|e| e.to_string())?;
    let _lock = File::create(workspace().join(".venv/install.lock"))
        .and_then(|lock| lock.lock().map(|()| lock))
        .map_err(|e| format!("cannot lock the npm install: {e}"))?;
    let lockfile = std::fs::read(dir.join("package-lock.json")).map_err(|e| e.to_string())?;
    let npm_marker = dir.join("node_modules/.installed-lock.json");
    if std::fs::read(&npm_marker).ok().as_deref() != Some(lockfile.as_slice()) {
        checked(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(dir),
        )?;
        std::fs::write(&npm_marker, &lockfile).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Runs a command, failing with its output unless it exits 0.
pub fn checked(command: &mut Command) -> Result<Output, String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{command:?} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// A command from the tools' virtualenv, with the tools first on `PATH`, no telemetry, and no
/// AWS endpoint but loopback.
pub fn tool(name: &str) -> Command {
    let bin = tools_bin();
    let mut command = Command::new(bin.join(name));
    let path = std::env::var("PATH").unwrap_or_default();
    command
        .env("PATH", format!("{}:{path}", bin.display()))
        .env("SAM_CLI_TELEMETRY", "0")
        .env("CDK_DISABLE_CLI_TELEMETRY", "true")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// checkov from its own virtualenv, installed on first use; it downloads nothing.
pub fn checkov() -> Command {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        crate::moto::pinned_venv("checkov", &[CHECKOV])
            .unwrap_or_else(|why| panic!("checkov: {why}"))
            .join("bin")
    });
    let mut command = Command::new(bin.join("checkov"));
    command
        .args([
            "--skip-download",
            "--framework",
            "cloudformation",
            "--compact",
        ])
        .args(["--output", "json"])
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false");
    command
}

/// `npx <args>` in the CDK app, with the tools on `PATH`.
pub fn npx(args: &[&str]) -> Command {
    let bin = tools_bin();
    let mut command = Command::new("npx");
    let path = std::env::var("PATH").unwrap_or_default();
    command
        .args(["--no-install"])
        .args(args)
        .current_dir(cdk_dir())
        .env("PATH", format!("{}:{path}", bin.display()))
        .env("CDK_DISABLE_CLI_TELEMETRY", "true");
    command
}

/// The SAM template as CloudFormation JSON (intrinsics as `{"Ref": …}` objects), decoded by
/// cfn-lint's own YAML reader.
pub fn sam_template() -> serde_json::Value {
    let output = checked(tool("python").args([
        "-c",
        "import json, sys\nfrom cfnlint.decode import decode\ntemplate, errors = decode(sys.argv[1])\nassert not errors, errors\nprint(json.dumps(template, default=str))",
    ]).arg(infra_dir().join("template.yaml")))
    .unwrap_or_else(|why| panic!("{why}"));
    serde_json::from_slice(&output.stdout).expect("the decoded template is JSON")
}

/// Synthesises the CDK app without building the functions; returns the template's path.
pub fn cdk_template(out: &Path) -> PathBuf {
    checked(
        npx(&["ts-node", "--prefer-ts-exts", "bin/app.ts"])
            .env("CDK_SKIP_BUNDLING", "1")
            .env("CDK_OUTDIR", out),
    )
    .unwrap_or_else(|why| panic!("{why}"));
    out.join("WorkgroupInvitations.template.json")
}
