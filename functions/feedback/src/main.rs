//! The `feedback` Lambda function: SES's bounce and complaint events, through EventBridge, handled by [`feedback::handle`].

// A sandbox handles one event at a time: one thread, no worker wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let store = runtime::table_only(runtime::Function::Feedback).await;
    let store = &store;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        runtime::flushed(runtime::Function::Feedback, event, |event| {
            feedback::handle(store, event)
        })
    }))
    .await
}
