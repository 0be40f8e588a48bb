//! Component updates wait for batches in flight: on a pre-update notice the uploader defers
//! (DeferComponentUpdate) while a send is under way, and lets the update go otherwise. Records
//! are safe either way (they are deleted only after an acknowledgement); deferring avoids
//! sending a batch twice. From the notice on, drain loops start no new batch (until the
//! post-update notice, or [`MAX_HOLD`]), so a steady stream cannot keep an update waiting.

use ggipc::IpcClient;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long the nucleus waits before asking again.
pub const RECHECK_AFTER: Duration = Duration::from_secs(2);
/// Longest pause of new batches after a pre-update notice (a deployment that stopped without
/// a post-update notice must not stop uploads for good).
pub const MAX_HOLD: Duration = Duration::from_secs(60);

/// What the drain loops and the update listener share.
#[derive(Debug, Default)]
pub struct UpdateGate {
    in_flight: AtomicUsize,
    announced: Mutex<Option<Instant>>,
}

impl UpdateGate {
    /// A send starts.
    pub fn send_started(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
    }

    /// A send ended (answered, failed or timed out) and its records are settled.
    pub fn send_ended(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Batches in flight over all exports.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Whether drain loops should wait before starting a batch: an update was announced.
    pub fn holding(&self) -> bool {
        self.lock().is_some_and(|at| at.elapsed() < MAX_HOLD)
    }

    fn announce(&self, on: bool) {
        *self.lock() = on.then(Instant::now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.announced.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Answers update notices until `shutdown`.
pub async fn run(ipc: IpcClient, gate: Arc<UpdateGate>, shutdown: CancellationToken) {
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
        if event.post_update_event.is_some() {
            gate.announce(false);
            tracing::info!("Component update finished; batches flow again.");
        }
        let Some(pre) = event.pre_update_event else {
            continue;
        };
        gate.announce(true);
        let busy = gate.in_flight();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announced_update_holds_new_batches_until_it_is_done() {
        let gate = UpdateGate::default();
        assert!(!gate.holding());
        gate.send_started();
        assert_eq!(gate.in_flight(), 1);
        gate.announce(true);
        assert!(gate.holding());
        gate.send_ended();
        assert_eq!(gate.in_flight(), 0);
        gate.announce(false);
        assert!(!gate.holding());
    }
}
