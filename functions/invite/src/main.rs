//! The `invite` Lambda function: API Gateway's requests for its routes, answered by
//! [`invite::Handler`].

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve_http::<invite::Handler>(runtime::Function::Invite).await
}
