//! The robustness tools: schemathesis (pinned, in a project-local virtualenv), installed by the
//! first test that needs it, like moto; a test never skips for want of it.

use std::{
    path::{Path, PathBuf},
    sync::OnceLock,
};

/// schemathesis, pinned.
pub const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// The `st` command.
pub fn schemathesis() -> &'static Path {
    static ST: OnceLock<PathBuf> = OnceLock::new();
    ST.get_or_init(|| {
        crate::moto::pinned_venv("schemathesis", &[SCHEMATHESIS])
            .map(|env| env.join("bin/st"))
            .unwrap_or_else(|why| panic!("schemathesis: {why}"))
    })
}

/// `tests/robustness/schemathesis.toml`: which rejections the schema cannot express.
pub fn schemathesis_config() -> PathBuf {
    crate::infra::workspace().join("tests/robustness/schemathesis.toml")
}

/// cargo-fuzz, pinned.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// `fuzz/`, the fuzz targets' own workspace.
pub fn fuzz_dir() -> PathBuf {
    crate::infra::workspace().join("fuzz")
}

/// A `cargo fuzz` command in `fuzz/`, with cargo-fuzz on `PATH` (installed first when missing,
/// under the harness's install lock). It builds with the machine's one (stable) toolchain, so
/// without a sanitizer: see `tests/tests/fuzz.rs`.
pub fn cargo_fuzz() -> std::process::Command {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    let bin =
        BIN.get_or_init(|| install_fuzzing().unwrap_or_else(|why| panic!("cargo-fuzz: {why}")));
    let mut command = std::process::Command::new("cargo");
    let path = std::env::var("PATH").unwrap_or_default();
    command
        .arg("fuzz")
        .current_dir(fuzz_dir())
        .env("PATH", format!("{}:{path}", bin.display()))
        .env_remove("RUSTC")
        .env_remove("CARGO");
    command
}

fn install_fuzzing() -> Result<PathBuf, String> {
    use crate::infra::checked;
    use std::process::Command;
    let root = crate::infra::workspace().join(".venv/cargo-fuzz");
    std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let _lock = std::fs::File::create(crate::infra::workspace().join(".venv/install.lock"))
        .and_then(|lock| lock.lock().map(|()| lock))
        .map_err(|e| format!("cannot lock the install: {e}"))?;
    let bin = root.join("bin");
    let marker = root.join("installed.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(CARGO_FUZZ_VERSION)
        || !bin.join("cargo-fuzz").exists()
    {
        checked(
            Command::new("cargo")
                .args([
                    "install",
                    "cargo-fuzz",
                    "--locked",
                    "--version",
                    CARGO_FUZZ_VERSION,
                    "--root",
                ])
                .arg(&root)
                // Its own build, not the workspace's target dir.
                .env_remove("CARGO_TARGET_DIR"),
        )?;
        std::fs::write(&marker, CARGO_FUZZ_VERSION).map_err(|e| e.to_string())?;
    }
    Ok(bin)
}
