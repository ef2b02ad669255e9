//! The `publish` Lambda function: the table's stream of audit events, handled by [`publish::handle`].

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let publisher = runtime::bus_only(runtime::Function::Publish).await;
    let publisher = &publisher;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        publish::handle(publisher, event)
    }))
    .await
}
