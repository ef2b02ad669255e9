//! The `publish` Lambda function: the audit trail, from the table's stream to EventBridge.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambdas::serve_publish().await
}
