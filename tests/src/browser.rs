//! What the browser tests need: Debian's Chromium (Playwright cannot download its own browser
//! here) and the pinned `playwright-core` from the web tests' lock file. The first test that
//! needs them installs what is missing; a test never skips for want of them.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use crate::infra::{checked, npm_ci, workspace};

/// `web/tests`, with its packages installed.
pub fn browser_tests_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = workspace().join("web/tests");
        npm_ci(&dir).unwrap_or_else(|why| panic!("the browser tests' packages: {why}"));
        dir
    })
}

/// The Chromium to drive: `CHROMIUM_PATH`, else `chromium` on `PATH`, else Debian's package,
/// installed with apt when this runs as root (as CI does). As root, Japanese fonts come too, so
/// the Japanese pages are laid out (and their screenshots drawn) with real glyphs.
pub fn chromium() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = find_or_install().unwrap_or_else(|why| panic!("chromium: {why}"));
        if is_root() && !has_japanese_font() {
            apt_install("fonts-noto-cjk").unwrap_or_else(|why| panic!("fonts-noto-cjk: {why}"));
        }
        path
    })
}

fn is_root() -> bool {
    checked(Command::new("id").arg("-u"))
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

fn has_japanese_font() -> bool {
    checked(Command::new("fc-list").arg(":lang=ja"))
        .map(|out| !out.stdout.is_empty())
        .unwrap_or(false)
}

fn apt_install(package: &str) -> Result<(), String> {
    checked(Command::new("apt-get").arg("update").arg("-q"))?;
    checked(
        Command::new("apt-get")
            .args(["install", "-y", "-q", package])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok(())
}

fn find_or_install() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("CHROMIUM_PATH") {
        return Ok(PathBuf::from(path));
    }
    if let Some(found) = on_path("chromium") {
        return Ok(found);
    }
    if !is_root() || on_path("apt-get").is_none() {
        return Err(
            "not installed: install Debian's chromium (`apt-get install chromium`) or set \
             CHROMIUM_PATH"
                .into(),
        );
    }
    apt_install("chromium")?;
    on_path("chromium").ok_or_else(|| "apt installed chromium, but it is not on PATH".into())
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
