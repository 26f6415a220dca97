//! `bootstrap`: the Lambda function's entry point. Installs logging, runs
//! the cold start once, then serves invocations with references to the
//! state it built.

use glue_codeartifact_lambda::{cold_start, invoke, logging, report_init_error};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let state = match cold_start().await {
        Ok(state) => state,
        Err(err) => {
            tracing::error!(error_type = err.error_type(), error = %err, "cold start failed");
            report_init_error(&err).await;
            return Err(err.into());
        }
    };
    let state = &state;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        invoke(event, state)
    }))
    .await
}
