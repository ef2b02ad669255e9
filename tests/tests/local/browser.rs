//! The web console in a real browser: every `web/tests/*.test.mjs` (Playwright on Debian's
//! Chromium, axe-core on every page) against this crate's server, started here on a free
//! loopback port with a fresh data folder. Screenshots of every page checked, at desktop and
//! phone sizes, and of failed steps land in `target/browser-screenshots`.

use std::process::Command;

use tests::{
    browser::{browser_tests_dir, chromium},
    local_server::LocalServer,
};

#[test]
fn the_seed_story_runs_in_a_real_browser_in_both_languages() {
    let chromium = chromium();
    let dir = browser_tests_dir();
    let data = tempfile::tempdir().unwrap();
    let server = LocalServer::start(
        tests::binaries::local(),
        &[],
        &[
            ("LOCAL_DATA_DIR", data.path().to_str().unwrap()),
            ("RUST_LOG", "warn"),
        ],
    );
    let base = &server.base;
    let screenshots = tests::infra::workspace().join("target/browser-screenshots");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "the browser tests: {files:?}");
    let output = Command::new("node")
        .args(["--test", "--test-reporter=spec", "--test-concurrency=2"])
        .args(&files)
        .current_dir(dir)
        .env("BASE_URL", base)
        .env("CHROMIUM_PATH", chromium)
        .env("LOCAL_BIN", tests::binaries::local())
        .env("LOCAL_DATA_DIR", data.path())
        .env("SCREENSHOTS", &screenshots)
        .output()
        .expect("node runs");
    drop(server);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser tests failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
}
