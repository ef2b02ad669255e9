//! The data folder, the backends, and the application the local server and its subcommands run.

use std::{
    io,
    path::{Path, PathBuf},
};

use aws_config::{BehaviorVersion, Region, SdkConfig, meta::region::RegionProviderChain};
use aws_sdk_dynamodb::config::Credentials;
use domain::{
    App, Settings, clock::Clock, invitation::ReminderSchedule, message::AcceptLinks,
    secret::SecretKey, store::SendSlots, store::Store,
};

use crate::{
    identity::load_or_create_key,
    mailer::AnyMailer,
    outbox::Outbox,
    sender::{AnyQueue, PacedMailer},
    store::EmbeddedStore,
};

/// The local server's folder: the database, the secret key (kept outside the database, so the
/// stored data alone never yields a working token) and the outbox. It holds live accept links
/// and the key that signs development tokens, so the folder and everything in it are readable
/// by their owner only (mode 0700 and 0600 on Unix), including what an earlier version left
/// readable by others.
pub struct DataDir {
    path: PathBuf,
    key: SecretKey,
}

const STORE_FILE: &str = "store.sqlite3";
/// SQLite's files beside the database; they take the database file's mode when created.
const SQLITE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];
const KEY_FILE: &str = "secret.key";
const OUTBOX_DIR: &str = "outbox";
const EVENTS_FILE: &str = "events.jsonl";
const METRICS_FILE: &str = "metrics.jsonl";

impl DataDir {
    pub fn open(path: &Path) -> Result<Self, String> {
        make_private(path).map_err(|e| {
            format!(
                "cannot create the data folder {} or make it private: {e}",
                path.display()
            )
        })?;
        let key_path = path.join(KEY_FILE);
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
        self.path.join(STORE_FILE)
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.path.join(OUTBOX_DIR)
    }

    /// Where the audit trail's events are published locally, one JSON object per line.
    pub fn events_file(&self) -> PathBuf {
        self.path.join(EVENTS_FILE)
    }

    /// Where the business metrics are written locally, one EMF line per flush.
    pub fn metrics_file(&self) -> PathBuf {
        self.path.join(METRICS_FILE)
    }

    /// The newest accept link emailed to `to`.
    pub fn latest_link(&self, to: &str) -> io::Result<Option<String>> {
        crate::outbox::latest_link(&self.outbox_dir(), to)
    }
}

/// Creates the folder, its outbox and an empty database file, each readable by its owner only
/// (the database first, so that SQLite's own files take its mode), and takes every other
/// permission off what exists already.
fn make_private(path: &Path) -> io::Result<()> {
    private_dir(path)?;
    private_dir(&path.join(OUTBOX_DIR))?;
    let store = path.join(STORE_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    drop(options.open(&store)?);
    let mut files = vec![store.clone(), path.join(KEY_FILE), path.join(EVENTS_FILE)];
    for suffix in SQLITE_FILES {
        let mut name = store.clone().into_os_string();
        name.push(suffix);
        files.push(name.into());
    }
    for entry in std::fs::read_dir(path.join(OUTBOX_DIR))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    for file in files {
        match set_mode(&file, 0o600) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// Creates the folder (and its parents) if missing, then makes it its owner's only.
fn private_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)?;
    set_mode(path, 0o700)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(path: &Path, _mode: u32) -> io::Result<()> {
    std::fs::metadata(path).map(drop)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// SQLite in the data folder.
    #[default]
    Embedded,
    /// A DynamoDB table (created when missing).
    Dynamodb,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum QueueKind {
    /// A table in the embedded store's file.
    #[default]
    Embedded,
    /// An SQS queue (created when missing).
    Sqs,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MailerKind {
    /// `.eml` files in the data folder's outbox.
    #[default]
    Outbox,
    /// SES v2 (a copy of every email still lands in the outbox).
    Ses,
}

/// Where the store and the mailer are.
#[derive(Debug, Clone, clap::Args)]
pub struct Backends {
    /// The store: the embedded one, or DynamoDB.
    #[arg(long, global = true, env = "LOCAL_STORE", value_enum, default_value_t)]
    pub store: StoreKind,
    /// The mailer: the outbox folder, or SES v2.
    #[arg(long, global = true, env = "LOCAL_MAILER", value_enum, default_value_t)]
    pub mailer: MailerKind,
    /// The queue of due emails: the embedded one, or SQS.
    #[arg(long, global = true, env = "LOCAL_QUEUE", value_enum, default_value_t)]
    pub queue: QueueKind,
    /// An SQS-compatible endpoint (implies `--queue sqs`).
    #[arg(long, global = true, env = "SQS_ENDPOINT")]
    pub sqs_endpoint: Option<String>,
    /// The SQS queue's URL (implies `--queue sqs`); by default `<table>-emails` at the
    /// endpoint, created when missing.
    #[arg(long, global = true, env = "QUEUE_URL")]
    pub queue_url: Option<String>,
    /// Emails handed to the mailer per second.
    #[arg(long, global = true, env = "SES_MAX_SEND_RATE", default_value_t = 14)]
    pub send_rate: u32,
    /// A DynamoDB-compatible endpoint (implies `--store dynamodb`).
    #[arg(long, global = true, env = "DYNAMODB_ENDPOINT")]
    pub dynamodb_endpoint: Option<String>,
    /// An SES v2-compatible endpoint (implies `--mailer ses`).
    #[arg(long, global = true, env = "SES_ENDPOINT")]
    pub ses_endpoint: Option<String>,
    /// The DynamoDB table.
    #[arg(
        long,
        global = true,
        env = "TABLE_NAME",
        default_value = "workgroup-invitations"
    )]
    pub table: String,
    /// The From address of SES emails (a verified SES identity).
    #[arg(
        long,
        global = true,
        env = "SES_SENDER",
        default_value = "no-reply@example.com"
    )]
    pub sender: String,
    /// The SES configuration set to send with.
    #[arg(long, global = true, env = "SES_CONFIGURATION_SET")]
    pub configuration_set: Option<String>,
}

impl Backends {
    fn store_kind(&self) -> StoreKind {
        if self.dynamodb_endpoint.is_some() {
            StoreKind::Dynamodb
        } else {
            self.store
        }
    }

    fn queue_kind(&self) -> QueueKind {
        if self.sqs_endpoint.is_some() || self.queue_url.is_some() {
            QueueKind::Sqs
        } else {
            self.queue
        }
    }

    fn mailer_kind(&self) -> MailerKind {
        if self.ses_endpoint.is_some() {
            MailerKind::Ses
        } else {
            self.mailer
        }
    }

    /// One `aws_config` for both clients. Against an emulator endpoint with no credentials in
    /// the environment, static placeholder credentials are used; otherwise the default chain.
    async fn sdk_config(&self) -> SdkConfig {
        let region = RegionProviderChain::default_provider().or_else(Region::new("us-east-1"));
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region);
        let emulated = self.dynamodb_endpoint.is_some()
            || self.ses_endpoint.is_some()
            || self.sqs_endpoint.is_some();
        if emulated && std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader
                .credentials_provider(Credentials::new("local", "local", None, None, "local"));
        }
        loader.load().await
    }

    /// Whether the chosen store is DynamoDB (else the embedded one).
    pub fn on_dynamodb(&self) -> bool {
        self.store_kind() == StoreKind::Dynamodb
    }

    /// Opens the embedded store in the data folder.
    pub fn embedded_store(&self, data: &DataDir) -> Result<EmbeddedStore, String> {
        EmbeddedStore::open(&data.store_path())
            .map_err(|e| format!("cannot open {}: {e}", data.store_path().display()))
    }

    /// Opens the DynamoDB store; creates its table when it is missing.
    pub async fn dynamodb_store(&self) -> Result<aws::DynamoStore, String> {
        let sdk = self.sdk_config().await;
        let mut config = aws_sdk_dynamodb::config::Builder::from(&sdk);
        if let Some(endpoint) = &self.dynamodb_endpoint {
            config = config.endpoint_url(endpoint);
        }
        let client = aws_sdk_dynamodb::Client::from_conf(config.build());
        aws::dynamo::table::ensure_table(&client, &self.table)
            .await
            .map_err(|e| {
                format!(
                    "cannot reach or create the table {}: {}",
                    self.table,
                    domain::app::error_chain(&e)
                )
            })?;
        Ok(aws::DynamoStore::new(client, self.table.clone()))
    }

    /// Opens the chosen queue and mailer; creates the SQS queue when it is missing. The
    /// embedded queue lives in the embedded store's file, which is opened for it whichever
    /// store runs.
    pub async fn queue_and_mailer(&self, data: &DataDir) -> Result<(AnyQueue, AnyMailer), String> {
        let outbox = Outbox::open(&data.outbox_dir()).map_err(|e| {
            format!(
                "cannot open the outbox {}: {e}",
                data.outbox_dir().display()
            )
        })?;
        let needs_aws =
            self.mailer_kind() == MailerKind::Ses || self.queue_kind() == QueueKind::Sqs;
        let sdk = if needs_aws {
            Some(self.sdk_config().await)
        } else {
            None
        };
        let queue = match (self.queue_kind(), &sdk) {
            (QueueKind::Sqs, Some(sdk)) => {
                let mut config = aws_sdk_sqs::config::Builder::from(sdk);
                if let Some(endpoint) = &self.sqs_endpoint {
                    config = config.endpoint_url(endpoint);
                }
                let client = aws_sdk_sqs::Client::from_conf(config.build());
                let url = match &self.queue_url {
                    Some(url) => url.clone(),
                    None => {
                        let name = format!("{}-emails", self.table);
                        aws::SqsQueue::ensure(&client, &name).await.map_err(|e| {
                            format!(
                                "cannot reach or create the queue {name}: {}",
                                domain::app::error_chain(&e)
                            )
                        })?
                    }
                };
                AnyQueue::sqs(aws::SqsQueue::new(client, url))
            }
            _ => AnyQueue::embedded(self.embedded_store(data)?),
        };
        let mailer = match (self.mailer_kind(), &sdk) {
            (MailerKind::Ses, Some(sdk)) => {
                let mut config = aws_sdk_sesv2::config::Builder::from(sdk);
                if let Some(endpoint) = &self.ses_endpoint {
                    config = config.endpoint_url(endpoint);
                }
                let client = aws_sdk_sesv2::Client::from_conf(config.build());
                let sender = aws::ses::Sender::parse(&self.sender)
                    .map_err(|e| format!("--sender {}: {e}", self.sender))?;
                let sender = match &self.configuration_set {
                    Some(set) => sender.with_configuration_set(set),
                    None => sender,
                };
                AnyMailer::Ses {
                    ses: aws::SesMailer::new(client, sender),
                    copy: outbox,
                }
            }
            _ => AnyMailer::Outbox(outbox),
        };
        Ok((queue, mailer))
    }
}

/// Settings read from the environment, with the spec's defaults.
pub fn settings_from_env(base_url: &str) -> Result<Settings, String> {
    let links = AcceptLinks::new(base_url).map_err(|e| format!("{base_url}: {e}"))?;
    let mut settings = Settings::new(links);
    let positive = |name: &str| -> Result<Option<u32>, String> {
        std::env::var(name)
            .ok()
            .map(|text| {
                text.parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("{name} must be a positive number"))
            })
            .transpose()
    };
    if let Some(limit) = positive("INVITE_MAX_ADDRESSES")? {
        settings.max_addresses_per_request = limit as usize;
    }
    if let Some(limit) = positive("INVITE_DAILY_LIMIT")? {
        settings.daily_invitations_per_inviter = limit;
    }
    if let Some(limit) = positive("INVITER_DAILY_LIMIT")? {
        settings.daily_invitations_per_inviter_overall = limit;
    }
    if let Some(limit) = positive("RECIPIENT_DAILY_LIMIT")? {
        settings.daily_invitations_per_recipient = limit;
    }
    if let Some(limit) = positive("WORKGROUP_DAILY_LIMIT")? {
        settings.daily_workgroups_per_person = limit;
    }
    if let Some(limit) = positive("PENDING_INVITATION_LIMIT")? {
        settings.pending_invitations_per_workgroup = limit;
    }
    if let Ok(days) = std::env::var("REMINDER_DAYS_BEFORE") {
        settings.reminders =
            ReminderSchedule::parse(&days).map_err(|e| format!("REMINDER_DAYS_BEFORE: {e}"))?;
    }
    Ok(settings)
}

/// The application on `store` and the chosen queue, and the mailer its sender drains the
/// queue into at the configured rate.
pub async fn app<S: Store + SendSlots + Clone, C: Clock>(
    data: &DataDir,
    backends: &Backends,
    store: S,
    clock: C,
    base_url: &str,
) -> Result<(App<S, AnyQueue, C>, PacedMailer<S>), String> {
    let (queue, mailer) = backends.queue_and_mailer(data).await?;
    let mailer = aws::Paced::new(mailer, store.clone(), backends.send_rate);
    let app = App {
        store,
        queue,
        clock,
        key: data.key().clone(),
        settings: settings_from_env(base_url)?,
    };
    Ok((app, mailer))
}
