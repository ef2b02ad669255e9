//! The `list` Lambda function: API Gateway's requests for its routes, answered by
//! [`list::Handler`].

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve_http::<list::Handler>(runtime::Function::List).await
}
