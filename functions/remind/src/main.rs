//! The `remind` Lambda function: EventBridge Scheduler's ticks, handled by [`remind::handle`].

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let deployment = runtime::start(runtime::Function::Remind).await;
    let deployment = &deployment;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        remind::handle(deployment, event)
    }))
    .await
}
