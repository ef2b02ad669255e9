//! The `feedback` Lambda function: SES bounce and complaint events, through EventBridge.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambdas::serve_feedback().await
}
