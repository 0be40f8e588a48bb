//! The Lambda entry point (`bootstrap` on `provided.al2023`): settings, clients, handler, run.

use enrichment_lambda::{Handler, Settings, aws};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .without_time()
        .with_current_span(false)
        .init();
    let settings = Settings::from_env()?;
    let sdk = aws::load().await;
    let handler = Arc::new(Handler::new(settings, aws::clients(&sdk)));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let handler = handler.clone();
        async move {
            handler
                .handle(event.payload, &event.context.request_id)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}
