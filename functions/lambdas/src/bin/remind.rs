//! The `remind` Lambda function: the reminder sweep, invoked by EventBridge Scheduler.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambdas::serve_remind().await
}
