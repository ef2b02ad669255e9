//! The `workgroups` Lambda function: API Gateway's requests for its routes, answered by
//! [`workgroups::Handler`].

// A sandbox handles one event at a time: one thread, no worker wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::serve_http::<workgroups::Handler, runtime::NoQueue>(runtime::Function::Workgroups)
        .await
}
