//! The `send` Lambda function: the SQS queue of due emails, a batch at a time, handled by [`send::handle`].

// A sandbox handles one event at a time: one thread, no worker wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let sending = runtime::start_sending(runtime::Function::Send).await;
    let sending = &sending;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        runtime::flushed(runtime::Function::Send, event, |event| {
            send::handle(sending, event)
        })
    }))
    .await
}
