//! The `remind` Lambda function: EventBridge Scheduler's ticks, handled by [`remind::handle`].

// A sandbox handles one event at a time: one thread, no worker wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let deployment = runtime::start::<runtime::FunctionQueue>(runtime::Function::Remind).await;
    let deployment = &deployment;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        runtime::flushed(runtime::Function::Remind, event, |event| {
            remind::handle(deployment, event)
        })
    }))
    .await
}
