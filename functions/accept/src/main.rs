//! The `accept` Lambda function: API Gateway's requests for its routes, answered by
//! [`accept::Handler`].

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve_http::<accept::Handler>(runtime::Function::Accept).await
}
