//! What a function builds once per cold start and every invocation borrows: the clients, the
//! secret key and the application over them.

use aws_config::SdkConfig;
use domain::{
    App,
    clock::SystemClock,
    delivery::{DueEmail, Queue, QueueError},
    secret::SecretKey,
};

use crate::Config;

/// The application of one function on DynamoDB, posting due emails through `Q`.
pub type FunctionApp<Q = FunctionQueue> = App<aws::DynamoStore, Q, SystemClock>;

/// SES, at the sending rate shared through the table: the send function's mailer.
pub type FunctionMailer = aws::Paced<aws::SesMailer, aws::DynamoStore>;

/// A started function. `Q` is its queue of due emails: [`FunctionQueue`] in the functions
/// that post to it, [`NoQueue`] in those that never do, so their binaries do not link SQS.
pub struct Deployment<Q = FunctionQueue> {
    pub config: Config,
    pub app: FunctionApp<Q>,
}

/// The started send function: the deployment and SES. Only this function builds an SES
/// client, so only its binary links the SES SDK.
pub struct Sending {
    pub deployment: Deployment,
    pub mailer: FunctionMailer,
}

/// How a function's queue is built at start, from its configuration.
pub trait StartQueue: Queue + Sized {
    fn start(config: &Config, sdk: &SdkConfig) -> Self;
}

/// The queue in the functions that make emails due, and in the send function (which only
/// delays what it will try again): SQS at the configured address, or nothing where no
/// address is configured.
#[derive(Clone)]
pub struct FunctionQueue(Option<aws::SqsQueue>);

impl FunctionQueue {
    pub fn sqs(&self) -> Option<&aws::SqsQueue> {
        self.0.as_ref()
    }
}

impl StartQueue for FunctionQueue {
    fn start(config: &Config, sdk: &SdkConfig) -> Self {
        FunctionQueue(
            config
                .queue_url
                .clone()
                .map(|url| aws::SqsQueue::new(aws_sdk_sqs::Client::new(sdk), url)),
        )
    }
}

impl Queue for FunctionQueue {
    async fn post(&self, emails: &[DueEmail]) -> Result<(), QueueError> {
        match &self.0 {
            Some(sqs) => sqs.post(emails).await,
            None => NoQueue.post(emails).await,
        }
    }
}

/// The queue of the functions that make no email due (`workgroups`, `list`, `accept`): they
/// have neither its address nor any permission on it.
#[derive(Debug, Clone, Copy)]
pub struct NoQueue;

impl StartQueue for NoQueue {
    fn start(_: &Config, _: &SdkConfig) -> Self {
        NoQueue
    }
}

impl Queue for NoQueue {
    async fn post(&self, _: &[DueEmail]) -> Result<(), QueueError> {
        Err(QueueError {
            context: "this function is not configured to post emails".into(),
            source: None,
        })
    }
}

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    #[error("cannot read the secret key {arn}: {cause}")]
    SecretUnreadable { arn: String, cause: String },
    #[error("the secret {arn} does not hold a key: expected 64 hex digits or 32 bytes in base64")]
    SecretMalformed { arn: String },
}

impl<Q: StartQueue> Deployment<Q> {
    /// Builds the clients from one SDK configuration and reads the secret key.
    pub async fn connect(config: Config, sdk: &SdkConfig) -> Result<Self, StartError> {
        let store = aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), config.table.clone());
        // Where a person waits on the first answer, the table's connection opens while the
        // secret is read rather than in the first invocation (`bench/RESULTS.md`, "Connection
        // pre-warming"). The scheduled reminder function has no reader to wait, nor GetItem.
        let warm_up = async {
            if config.function.answers_http()
                && let Err(error) = store.warm_up().await
            {
                tracing::warn!(%error, "the table's connection is not warm");
            }
        };
        let (key, ()) = tokio::join!(read_secret_key(&config.secret_key_arn, sdk), warm_up);
        let app = App {
            store,
            queue: Q::start(&config, sdk),
            clock: SystemClock,
            key: key?,
            settings: config.settings.clone(),
        };
        Ok(Self { config, app })
    }
}

impl Sending {
    /// Builds the send function: the deployment, then SES at the configured rate (or the
    /// account's, asked of SES).
    pub async fn connect(config: Config, sdk: &SdkConfig) -> Result<Self, StartError> {
        let sender = config.sender.clone().ok_or_else(|| crate::ConfigError {
            name: crate::config::SES_SENDER.name,
            problem: "is required by the function that sends email".into(),
        })?;
        let deployment = Deployment::connect(config, sdk).await?;
        let ses = aws_sdk_sesv2::Client::new(sdk);
        let rate = match deployment.config.send_rate {
            Some(rate) => rate,
            None => account_send_rate(&ses).await,
        };
        tracing::info!(rate, "emails per second handed to SES");
        let mailer = aws::Paced::new(
            aws::SesMailer::new(ses, sender),
            deployment.app.store.clone(),
            rate,
        );
        Ok(Self { deployment, mailer })
    }
}

/// The account's maximum send rate (SES GetAccount), whole emails per second; 1, the sandbox's,
/// when SES will not say.
async fn account_send_rate(ses: &aws_sdk_sesv2::Client) -> u32 {
    match ses.get_account().send().await {
        Ok(account) => account
            .send_quota()
            .map_or(1, |quota| quota.max_send_rate().floor().max(1.0) as u32),
        Err(error) => {
            tracing::warn!(
                error = %aws_sdk_sesv2::error::DisplayErrorContext(&error),
                "SES did not give the account's send rate; sending 1 email a second"
            );
            1
        }
    }
}

/// The token and cursor key lives in Secrets Manager, never in the environment or the table.
async fn read_secret_key(arn: &str, sdk: &SdkConfig) -> Result<SecretKey, StartError> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let secret = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| StartError::SecretUnreadable {
            arn: arn.to_owned(),
            cause: aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string(),
        })?;
    secret
        .secret_string()
        .and_then(|text| SecretKey::decode(text).ok())
        .ok_or_else(|| StartError::SecretMalformed {
            arn: arn.to_owned(),
        })
}
