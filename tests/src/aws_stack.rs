//! A deployment's AWS side on moto, as the templates create it: a table, the secret key (64 hex
//! digits), a verified sender domain with a configuration set, and the environment the
//! templates give the functions.

use std::collections::HashMap;

use aws_config::SdkConfig;
use shared::ids::InvitationId;

use crate::moto::moto;

pub struct AwsStack {
    pub sdk: SdkConfig,
    pub table: String,
    /// Every variable any function reads, as the templates set them.
    pub env: HashMap<String, String>,
}

fn unique(label: &str) -> String {
    let id = InvitationId::generate();
    format!("{label}-{}", &id.as_str()[id.as_str().len() - 12..])
}

/// 64 random hex digits, the form the templates make Secrets Manager generate.
fn hex_key() -> String {
    let (a, b) = (InvitationId::generate(), InvitationId::generate());
    format!("{}{}", &a.as_str()[4..], &b.as_str()[4..])
}

impl AwsStack {
    pub async fn new(label: &str) -> Self {
        let sdk = moto().sdk_config().await;
        let name = unique(label);
        aws::dynamo::table::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &name)
            .await
            .expect("the table is created");
        let secret = aws_sdk_secretsmanager::Client::new(&sdk)
            .create_secret()
            .name(format!("{name}-key"))
            .secret_string(hex_key())
            .send()
            .await
            .expect("the secret is created");
        let domain = format!("{name}.example.com");
        let ses = aws_sdk_sesv2::Client::new(&sdk);
        ses.create_email_identity()
            .email_identity(&domain)
            .send()
            .await
            .expect("the sender's domain is an identity");
        ses.create_configuration_set()
            .configuration_set_name(&name)
            .send()
            .await
            .expect("the configuration set is created");
        let env = HashMap::from([
            ("TABLE_NAME".to_owned(), name.clone()),
            (
                "SECRET_KEY_ARN".to_owned(),
                secret.arn().expect("an ARN").to_owned(),
            ),
            (
                "APP_BASE_URL".to_owned(),
                "https://app.example.com".to_owned(),
            ),
            (
                "SES_SENDER".to_owned(),
                format!("Invitations <no-reply@{domain}>"),
            ),
            ("SES_CONFIGURATION_SET".to_owned(), name.clone()),
            ("INVITE_MAX_ADDRESSES".to_owned(), "10".to_owned()),
            ("INVITE_DAILY_LIMIT".to_owned(), "100".to_owned()),
            ("REMINDER_DAYS_BEFORE".to_owned(), "7,1".to_owned()),
        ]);
        Self {
            sdk,
            table: name,
            env,
        }
    }

    /// The environment of a function process: the templates' variables, the SDK's (moto's
    /// endpoint, test credentials) and no instance metadata.
    pub fn process_env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = self.env.clone().into_iter().collect();
        for (name, value) in [
            ("AWS_ENDPOINT_URL", moto().endpoint()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ] {
            env.push((name.to_owned(), value));
        }
        env
    }
}
