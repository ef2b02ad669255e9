//! The web console in a real browser: `web/tests/seed-story.test.mjs` (Playwright on Debian's
//! Chromium) against this crate's server, started here on a free loopback port with a fresh
//! data folder. Screenshots of failed steps land in `target/browser-screenshots`.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use tests::browser::{browser_tests_dir, chromium};

const BIN: &str = env!("CARGO_BIN_EXE_local");

#[test]
fn the_seed_story_runs_in_a_real_browser_in_both_languages() {
    let chromium = chromium();
    let dir = browser_tests_dir();
    let data = tempfile::tempdir().unwrap();
    let mut server = Command::new(BIN)
        .args(["--addr", "127.0.0.1:0"])
        .env("LOCAL_DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stdout = server.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(base) = line.strip_prefix("listening on ") {
                let _ = tx.send(base.trim().to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server prints its address");
    let screenshots = tests::infra::workspace().join("target/browser-screenshots");
    let output = Command::new("node")
        .args(["--test", "--test-reporter=spec", "seed-story.test.mjs"])
        .current_dir(dir)
        .env("BASE_URL", &base)
        .env("CHROMIUM_PATH", chromium)
        .env("LOCAL_BIN", BIN)
        .env("LOCAL_DATA_DIR", data.path())
        .env("SCREENSHOTS", &screenshots)
        .output()
        .expect("node runs");
    let _ = server.kill();
    let _ = server.wait();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser tests failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
}
