//! The `list` Lambda function: API Gateway's requests for its routes, answered by
//! [`list::Handler`].

// A sandbox handles one event at a time: one thread, no worker wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve_http::<list::Handler, runtime::NoQueue>(runtime::Function::List).await
}
