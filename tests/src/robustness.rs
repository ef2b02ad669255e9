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
