//! The `send` Lambda function: the queue of due emails, handed to SES at its sending rate.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambdas::serve_send().await
}
