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

/// The application of one function on DynamoDB, posting due emails to SQS.
pub type FunctionApp = App<aws::DynamoStore, FunctionQueue, SystemClock>;

/// SES, at the sending rate shared through the table: the send function's mailer.
pub type FunctionMailer = aws::Paced<aws::SesMailer, aws::DynamoStore>;

/// A started function.
pub struct Deployment {
    pub config: Config,
    pub app: FunctionApp,
    /// Present in the send function only.
    pub mailer: Option<FunctionMailer>,
}

/// The queue in the functions that make emails due, and in the send function (which only
/// delays what it will try again); nothing in the others, which have neither its address nor
/// any permission on it.
#[derive(Clone)]
pub struct FunctionQueue(Option<aws::SqsQueue>);

impl FunctionQueue {
    pub fn sqs(&self) -> Option<&aws::SqsQueue> {
        self.0.as_ref()
    }
}

impl Queue for FunctionQueue {
    async fn post(&self, emails: &[DueEmail]) -> Result<(), QueueError> {
        match &self.0 {
            Some(sqs) => sqs.post(emails).await,
            None => Err(QueueError {
                context: "this function is not configured to post emails".into(),
                source: None,
            }),
        }
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

impl Deployment {
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
        let key = key?;
        let queue = FunctionQueue(
            config
                .queue_url
                .clone()
                .map(|url| aws::SqsQueue::new(aws_sdk_sqs::Client::new(sdk), url)),
        );
        let mailer = match config.sender.clone() {
            Some(sender) => {
                let ses = aws_sdk_sesv2::Client::new(sdk);
                let rate = match config.send_rate {
                    Some(rate) => rate,
                    None => account_send_rate(&ses).await,
                };
                tracing::info!(rate, "emails per second handed to SES");
                Some(aws::Paced::new(
                    aws::SesMailer::new(ses, sender),
                    store.clone(),
                    rate,
                ))
            }
            None => None,
        };
        let app = App {
            store,
            queue,
            clock: SystemClock,
            key,
            settings: config.settings.clone(),
        };
        Ok(Self {
            config,
            app,
            mailer,
        })
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
