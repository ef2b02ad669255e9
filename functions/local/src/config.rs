//! The data folder and the application the local server and its subcommands run.

use std::{
    io,
    path::{Path, PathBuf},
};

use shared::{
    App, Settings, clock::Clock, invitation::ReminderSchedule, message::AcceptLinks,
    secret::SecretKey,
};

use crate::{identity::load_or_create_key, outbox::Outbox, store::EmbeddedStore};

/// The local server's folder: the database, the secret key (kept outside the database, so the
/// stored data alone never yields a working token) and the outbox.
pub struct DataDir {
    path: PathBuf,
    key: SecretKey,
}

impl DataDir {
    pub fn open(path: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(path)
            .map_err(|e| format!("cannot create the data folder {}: {e}", path.display()))?;
        let key_path = path.join("secret.key");
        let key = load_or_create_key(&key_path)
            .map_err(|e| format!("cannot read or create {}: {e}", key_path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            key,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn key(&self) -> &SecretKey {
        &self.key
    }

    pub fn store_path(&self) -> PathBuf {
        self.path.join("store.sqlite3")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.path.join("outbox")
    }

    /// The newest accept link emailed to `to`.
    pub fn latest_link(&self, to: &str) -> io::Result<Option<String>> {
        crate::outbox::latest_link(&self.outbox_dir(), to)
    }
}

/// Settings read from the environment, with the spec's defaults.
pub fn settings_from_env(base_url: &str) -> Result<Settings, String> {
    let links = AcceptLinks::new(base_url).map_err(|e| format!("{base_url}: {e}"))?;
    let mut settings = Settings::new(links);
    if let Ok(limit) = std::env::var("INVITE_MAX_ADDRESSES") {
        settings.max_addresses_per_request = limit
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or("INVITE_MAX_ADDRESSES must be a positive number")?;
    }
    if let Ok(days) = std::env::var("REMINDER_DAYS_BEFORE") {
        settings.reminders =
            ReminderSchedule::parse(&days).map_err(|e| format!("REMINDER_DAYS_BEFORE: {e}"))?;
    }
    Ok(settings)
}

/// The application on the data folder's store and outbox.
pub async fn app<C: Clock>(
    data: &DataDir,
    clock: C,
    base_url: &str,
) -> Result<App<EmbeddedStore, Outbox, C>, String> {
    let store = EmbeddedStore::open(&data.store_path())
        .map_err(|e| format!("cannot open {}: {e}", data.store_path().display()))?;
    let outbox = Outbox::open(&data.outbox_dir()).map_err(|e| {
        format!(
            "cannot open the outbox {}: {e}",
            data.outbox_dir().display()
        )
    })?;
    Ok(App {
        store,
        mailer: outbox,
        clock,
        key: data.key().clone(),
        settings: settings_from_env(base_url)?,
    })
}
