//! The `publish` Lambda function: the table's stream of audit events, handled by [`publish::handle`].

// A sandbox handles one event at a time: one thread, no worker wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let publisher = runtime::bus_only(runtime::Function::Publish).await;
    let publisher = &publisher;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        publish::handle(publisher, event)
    }))
    .await
}
