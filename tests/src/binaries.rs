//! The function binaries, as the tests start them. Each function is its own package, and cargo
//! tells a test only where its own package's binaries are, so the first test that needs one
//! builds every function package once, into the target dir and profile it runs from.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use runtime::Function;

/// The path of `function`'s binary, built if it is not yet up to date.
pub fn binary(function: Function) -> PathBuf {
    static PROFILE_DIR: OnceLock<PathBuf> = OnceLock::new();
    let profile_dir = PROFILE_DIR.get_or_init(|| {
        // A test runs from `<target>/<profile>/deps/`.
        let exe = std::env::current_exe().expect("the test knows its path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("<target>/<profile>");
        let target_dir = profile_dir.parent().expect("<target>");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .current_dir(&workspace)
            .args(["build", "--locked", "--quiet", "--target-dir"])
            .arg(target_dir);
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            cargo.arg("--release");
        }
        for function in Function::ALL {
            cargo.args(["--package", function.name()]);
        }
        let status = cargo.status().expect("cargo starts");
        assert!(status.success(), "the function packages build");
        profile_dir.to_path_buf()
    });
    profile_dir.join(function.name())
}
