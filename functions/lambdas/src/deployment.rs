//! What a function builds once per cold start and every invocation borrows: the clients, the
//! secret key and the application over them.

use aws_config::SdkConfig;
use shared::{
    App,
    clock::SystemClock,
    message::Email,
    secret::SecretKey,
    store::{MailError, Mailer},
};

use crate::Config;

/// The application of one function on DynamoDB and SES.
pub type FunctionApp = App<aws::DynamoStore, FunctionMailer, SystemClock>;

/// A started function.
pub struct Deployment {
    pub config: Config,
    pub app: FunctionApp,
}

/// SES in the functions that send email; nothing in the others, which have neither a sender
/// nor the permission to send.
#[derive(Clone)]
pub struct FunctionMailer(Option<aws::SesMailer>);

impl Mailer for FunctionMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        match &self.0 {
            Some(ses) => ses.send(email).await,
            None => Err(MailError {
                context: "this function is not configured to send email".into(),
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
            if config.function.routes().is_some()
                && let Err(error) = store.warm_up().await
            {
                tracing::warn!(%error, "the table's connection is not warm");
            }
        };
        let (key, ()) = tokio::join!(read_secret_key(&config.secret_key_arn, sdk), warm_up);
        let key = key?;
        let mailer = FunctionMailer(
            config
                .sender
                .clone()
                .map(|sender| aws::SesMailer::new(aws_sdk_sesv2::Client::new(sdk), sender)),
        );
        let app = App {
            store,
            mailer,
            clock: SystemClock,
            key,
            settings: config.settings.clone(),
        };
        Ok(Self { config, app })
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
