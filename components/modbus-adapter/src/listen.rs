//! The IPC side of commands: subscribe to the command topic, answer on the response topic.

use crate::commands::Router;
use component_kit::Ctx;
use edge_model::{ComponentName, Topic};
use tokio_util::sync::CancellationToken;

/// Serves commands until `shutdown`; a failed subscription is logged and ends only this task.
pub async fn commands(
    ctx: Ctx,
    component: ComponentName,
    router: Router,
    shutdown: CancellationToken,
) {
    let topic = Topic::command(&component);
    let response_topic = Topic::command_response(&component);
    let mut subscription = match ctx.ipc().subscribe_to_topic(topic.as_str(), None).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(topic = topic.as_str(), error = %e, "Cannot subscribe to the command topic; writes are unavailable.");
            return;
        }
    };
    tracing::info!(topic = topic.as_str(), "Accepting write commands.");
    loop {
        let event = tokio::select! {
            biased;
            () = shutdown.cancelled() => return,
            e = subscription.next() => e,
        };
        let body = match event {
            None => {
                tracing::warn!(topic = topic.as_str(), "Command subscription closed.");
                return;
            }
            Some(Err(e)) => {
                tracing::warn!(topic = topic.as_str(), error = %e, "Bad command event.");
                continue;
            }
            Some(Ok(message)) => match message.json_message {
                Some(json) => json.message,
                None => {
                    tracing::warn!(
                        topic = topic.as_str(),
                        "Binary command ignored: commands are JSON."
                    );
                    continue;
                }
            },
        };
        let response = router.handle(body).await;
        if let Err(e) = ctx
            .ipc()
            .publish_json(response_topic.as_str(), response)
            .await
        {
            tracing::warn!(topic = response_topic.as_str(), error = %e, "Command response not published.");
        }
    }
}
