//! moto server, the DynamoDB and SES emulator the AWS adapters are tested against.
//!
//! The first test that needs it installs it (pinned) into a project-local virtualenv when
//! missing, starts it on a free loopback port and waits until it answers. One server serves
//! every test of a test binary, each on tables of its own; it stops when the binary exits. A
//! test that needs moto and cannot have it fails, saying why: it never skips.

use std::{
    fs::File,
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

/// The moto release the tests are written against.
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";

/// moto's own server, but answering one request at a time. Threaded, moto runs a
/// `TransactWriteItems` on a copy of the table that it puts back if the transaction fails,
/// undoing whatever a concurrent request wrote meanwhile, which DynamoDB never does. Requests
/// still race as they would on DynamoDB: between each other, not inside one.
///
/// moto also keeps every model instance it ever made, for its `/moto-api/data.json`, and the
/// table copies of each transaction are such instances: memory grows with the square of the
/// transactions (about 1 GB after 400 two-item transactions on a small table, 14 GB after a
/// few hundred invitations). The DynamoDB models are left untracked (nothing here reads them
/// from `data.json`; SES's and EventBridge's stay listed there).
const SERIAL_SERVER: &str = r#"
import sys
from werkzeug.serving import run_simple
from moto.core.base_backend import model_data
import moto.dynamodb.models
from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
class Untracked(list):
    def append(self, instance):
        pass
for model in model_data["dynamodb"].values():
    model.instances_tracked = Untracked()
run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app),
           threaded=False, request_handler=MotoRequestHandler)
"#;

/// A running moto server.
pub struct Moto {
    port: u16,
    /// Holding its stdin open keeps the server alive; the pipe closes when the process exits.
    _keeper: Child,
}

/// The moto server of this test binary, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| Moto::start().unwrap_or_else(|why| panic!("moto server: {why}")))
}

impl Moto {
    fn start() -> Result<Self, String> {
        Self::start_with("", &[])
    }

    /// A server of its own, running `preamble` (Python) before it starts, with `env` added to
    /// its environment: the deploy rehearsal's moto, with CloudFormation for more types.
    pub fn start_with(preamble: &str, env: &[(&str, &str)]) -> Result<Self, String> {
        let server = installed_server()?;
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = venv_dir().join(format!("moto-{}-{n}.log", std::process::id()));
        let mut last_error = String::new();
        // A free port can be taken by someone else before moto binds it: try a few.
        for _ in 0..3 {
            let port = free_port()?;
            // `sh` ends moto when the test process exits and with it the pipe on `cat`'s stdin.
            let keeper = Command::new("sh")
                .arg("-c")
                .arg(r#""$0" -c "$MOTO_SERIAL_SERVER" 127.0.0.1 "$1" >"$2" 2>&1 & pid=$!; cat >/dev/null; kill $pid"#)
                .arg(&server)
                .env("MOTO_SERIAL_SERVER", format!("{preamble}\n{SERIAL_SERVER}"))
                .envs(env.iter().copied())
                .arg(port.to_string())
                .arg(&log)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", server.display()))?;
            let moto = Moto {
                port,
                _keeper: keeper,
            };
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if moto
                    .get("/moto-api/")
                    .is_some_and(|(status, _)| status == 200)
                {
                    return Ok(moto);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            last_error = std::fs::read_to_string(&log).unwrap_or_default();
        }
        Err(format!(
            "it did not answer on 127.0.0.1; its log:\n{last_error}"
        ))
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An SDK configuration for moto: static test credentials, one region, moto's endpoint.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
            .endpoint_url(self.endpoint())
            .load()
            .await
    }

    /// Every email moto's SES received, as its `data.json` lists them (`ses.Message`).
    pub fn sent_emails(&self) -> Vec<serde_json::Value> {
        let (status, body) = self
            .get("/moto-api/data.json")
            .expect("moto answers /moto-api/data.json");
        assert_eq!(status, 200, "moto data.json: {body}");
        let data: serde_json::Value = serde_json::from_str(&body).expect("data.json is JSON");
        data["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Every event the EventBridge archive `archive` holds, as moto's `data.json` lists them
    /// (`events.Archive`): what a rule on the archive's bus would have received.
    pub fn archived_events(&self, archive: &str) -> Vec<serde_json::Value> {
        let (status, body) = self
            .get("/moto-api/data.json")
            .expect("moto answers /moto-api/data.json");
        assert_eq!(status, 200, "moto data.json: {body}");
        let data: serde_json::Value = serde_json::from_str(&body).expect("data.json is JSON");
        data["events"]["Archive"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["name"] == archive)
            .map(|a| a["events"].as_array().cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    /// A plain HTTP/1.0 GET on loopback: the harness needs no HTTP client of its own.
    fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .ok()?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).ok()?;
        let text = String::from_utf8_lossy(&response);
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        Some((status, body.to_owned()))
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// `<workspace>/.venv`, git-ignored.
fn venv_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv")
}

/// The Python of the project's virtualenv with moto, installed there first if missing.
fn installed_server() -> Result<PathBuf, String> {
    Ok(pinned_venv("moto", &[MOTO_REQUIREMENT])?.join("bin/python"))
}

/// `.venv/<name>` with exactly `requirements` installed, created first when missing or
/// pinned otherwise. Test binaries may run at once: a lock keeps two installs from racing.
pub fn pinned_venv(name: &str, requirements: &[&str]) -> Result<PathBuf, String> {
    let venv = venv_dir();
    std::fs::create_dir_all(&venv).map_err(|e| format!("cannot create {}: {e}", venv.display()))?;
    let lock = File::create(venv.join("install.lock")).map_err(|e| e.to_string())?;
    lock.lock()
        .map_err(|e| format!("cannot lock the virtualenv: {e}"))?;
    let env = venv.join(name);
    let marker = env.join("installed.txt");
    let wanted = requirements.join(" ");
    let installed = std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == wanted);
    if !(installed && env.join("bin/python").exists()) {
        run(Command::new("python3").arg("-m").arg("venv").arg(&env))?;
        run(Command::new(env.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(requirements))?;
        std::fs::write(&marker, &wanted).map_err(|e| e.to_string())?;
    }
    Ok(env)
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
