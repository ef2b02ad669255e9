//! The `workgroups` Lambda function: API Gateway's requests for its routes, answered by
//! [`workgroups::Handler`].

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve_http::<workgroups::Handler>(runtime::Function::Workgroups).await
}
