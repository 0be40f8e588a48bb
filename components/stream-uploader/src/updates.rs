//! Component updates wait for batches in flight: on a pre-update notice the uploader defers
//! (DeferComponentUpdate) while a send is under way, and lets the update go otherwise. Records
//! are safe either way (they are deleted only after an acknowledgement); deferring avoids
//! sending a batch twice.

use ggipc::IpcClient;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long the nucleus waits before asking again.
pub const RECHECK_AFTER: Duration = Duration::from_secs(2);

/// Answers pre-update notices until `shutdown`.
pub async fn run(ipc: IpcClient, in_flight: Arc<AtomicUsize>, shutdown: CancellationToken) {
    let mut sub = match ipc.subscribe_to_component_updates().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "Cannot subscribe to component updates; updates will not wait for batches in flight.");
            return;
        }
    };
    loop {
        let event = tokio::select! {
            biased;
            () = shutdown.cancelled() => return,
            e = sub.next() => e,
        };
        let Some(event) = event else { return };
        let Ok(event) = event else { continue };
        let Some(pre) = event.pre_update_event else {
            continue;
        };
        let busy = in_flight.load(Ordering::SeqCst);
        let (message, recheck) = if busy > 0 {
            (Some("a batch is in flight"), RECHECK_AFTER)
        } else {
            (None, Duration::ZERO)
        };
        tracing::info!(deployment = %pre.deployment_id, batches_in_flight = busy, deferred = busy > 0,
            "Component update notice answered.");
        if let Err(e) = ipc
            .defer_component_update(&pre.deployment_id, message, recheck)
            .await
        {
            tracing::warn!(error = %e, "DeferComponentUpdate failed.");
        }
    }
}
