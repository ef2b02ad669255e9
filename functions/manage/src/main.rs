//! The `manage` Lambda function: API Gateway's requests for its routes, answered by
//! [`manage::Handler`].

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve_http::<manage::Handler>(runtime::Function::Manage).await
}
