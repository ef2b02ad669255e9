//! The `workgroups` Lambda function: see the crate documentation for the routes it answers.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambdas::serve_http(lambdas::Function::Workgroups).await
}
