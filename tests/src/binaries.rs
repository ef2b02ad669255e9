//! The binaries the tests start: the function binaries and the local server. Each is its own
//! package, and cargo tells a test only where its own package's binaries are, so the first
//! test that needs one builds those packages once, into the target dir and profile it runs
//! from.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use runtime::Function;

/// The path of `function`'s binary, built if it is not yet up to date.
pub fn binary(function: Function) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let profile_dir = BUILT.get_or_init(|| build(Function::ALL.map(Function::name).as_slice()));
    profile_dir.join(function.name())
}

/// The path of the local server's binary, built if it is not yet up to date.
pub fn local() -> &'static str {
    static BUILT: OnceLock<String> = OnceLock::new();
    BUILT.get_or_init(|| {
        let path = build(&["local"]).join("local");
        path.to_str().expect("a UTF-8 target dir").to_owned()
    })
}

/// Builds `packages` with this test's profile into its target dir; that profile's directory.
fn build(packages: &[&str]) -> PathBuf {
    // A test runs from `<target>/<profile>/deps/`.
    let exe = std::env::current_exe().expect("the test knows its path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>");
    let target_dir = profile_dir.parent().expect("<target>");
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .current_dir(crate::infra::workspace())
        .args(["build", "--locked", "--quiet", "--target-dir"])
        .arg(target_dir);
    if profile_dir
        .file_name()
        .is_some_and(|name| name == "release")
    {
        cargo.arg("--release");
    }
    for package in packages {
        cargo.args(["--package", package]);
    }
    let status = cargo.status().expect("cargo starts");
    assert!(status.success(), "{packages:?} build");
    profile_dir.to_path_buf()
}
