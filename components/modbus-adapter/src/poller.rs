//! One task per device: connect, poll each group on its interval, publish readings; on a link
//! failure publish the status, back off (capped, with jitter) and reconnect.

use crate::cycle::run_cycle;
use crate::device::Device;
use crate::link::open;
use crate::plan::{Request, plan};
use crate::point::PollGroup;
use crate::write::{WriteError, WriteRequest, write_point};
use component_kit::backoff::Backoff;
use component_kit::outlet::Outlet;
use component_kit::{Counter, Metrics};
use edge_model::{
    BatchBuilder, ComponentName, ComponentStatus, GatewayId, LinkState, Reading, Topic,
};
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval};
use tokio_modbus::client::{Client as _, Context};
use tokio_util::sync::CancellationToken;

/// Per-device counters (dimension `Device`).
#[derive(Debug, Clone)]
pub struct DeviceMetrics {
    /// Read requests sent.
    pub reads: Counter,
    /// Requests answered with an exception, or lost to a link error.
    pub read_errors: Counter,
    /// Readings published (good or bad).
    pub points_published: Counter,
    /// Connections lost or refused.
    pub link_failures: Counter,
}

impl DeviceMetrics {
    /// Registers the counters of `device`.
    pub fn new(metrics: &Metrics, device: &str) -> Self {
        let dims = [("Device", device)];
        Self {
            reads: metrics.counter_with("ReadRequests", &dims),
            read_errors: metrics.counter_with("ReadErrors", &dims),
            points_published: metrics.counter_with("PointsPublished", &dims),
            link_failures: metrics.counter_with("LinkFailures", &dims),
        }
    }
}

/// What a poller needs besides its device.
#[derive(Debug, Clone)]
pub struct PollerEnv<O> {
    /// Where readings and statuses go.
    pub outlet: O,
    /// This component (status topic and messages).
    pub component: ComponentName,
    /// This gateway (batches).
    pub gateway: GatewayId,
    /// Counters.
    pub metrics: DeviceMetrics,
    /// First reconnect delay; doubles up to `backoff_max`.
    pub backoff: Backoff,
}

/// The device's request plan, logged once at start-up.
pub fn log_plan(device: &Device) -> Vec<Request> {
    let requests = plan(&device.points, &device.limits);
    tracing::info!(
        device = device.id.as_str(),
        endpoint = %device.transport,
        points = device.points.len(),
        requests = requests.len(),
        "Request plan."
    );
    for r in &requests {
        let ids: Vec<&str> = r
            .items
            .iter()
            .filter_map(|&i| device.points.get(i).map(|p| p.id.as_str()))
            .collect();
        tracing::info!(device = device.id.as_str(), points = ?ids, "Read {r}.");
    }
    requests
}

/// Polls `device` until `shutdown`, and executes the writes that arrive on `writes`.
pub async fn poll_device<O: Outlet>(
    device: Device,
    env: PollerEnv<O>,
    mut writes: mpsc::Receiver<WriteRequest>,
    shutdown: CancellationToken,
) {
    let requests = log_plan(&device);
    let mut poller = Poller {
        batches: BatchBuilder::new(env.gateway.clone(), device.id.clone(), 0),
        topic: Topic::readings_raw(&device.id),
        status_topic: Topic::status(&env.component),
        device,
        requests,
        env,
    };
    let mut backoff = poller.env.backoff.clone();
    loop {
        let connected = tokio::select! {
            biased;
            () = shutdown.cancelled() => return,
            r = open(&poller.device) => r,
        };
        let error = match connected {
            Ok(ctx) => {
                backoff.reset();
                tracing::info!(device = poller.device.id.as_str(), endpoint = %poller.device.transport, "Device online.");
                poller.status(LinkState::Online, None).await;
                let reason = poller.poll(ctx, &mut writes, &shutdown).await;
                match reason {
                    None => {
                        poller
                            .status(LinkState::Offline, Some("stopped".to_owned()))
                            .await;
                        return;
                    }
                    Some(reason) => {
                        poller
                            .status(LinkState::Offline, Some(reason.clone()))
                            .await;
                        reason
                    }
                }
            }
            Err(e) => e,
        };
        poller.env.metrics.link_failures.inc();
        let delay = backoff.next_delay();
        tracing::warn!(device = poller.device.id.as_str(), endpoint = %poller.device.transport, error = %error, retry_ms = delay.as_millis() as u64, "Device link down; reconnecting after a delay.");
        poller
            .status(
                LinkState::Backoff,
                Some(format!("{error}; retry in {} ms", delay.as_millis())),
            )
            .await;
        let wake = tokio::time::sleep(delay);
        tokio::pin!(wake);
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return,
                () = &mut wake => break,
                Some(w) = writes.recv() => {
                    let _ = w.reply.send(Err(WriteError::Link("device offline".to_owned())));
                }
            }
        }
    }
}

struct Poller<O> {
    device: Device,
    requests: Vec<Request>,
    env: PollerEnv<O>,
    batches: BatchBuilder,
    topic: Topic,
    status_topic: Topic,
}

impl<O: Outlet> Poller<O> {
    /// Polls until a link error (returned) or shutdown (`None`). With `closeAfterPoll` the link
    /// is closed after each cycle and opened again when the next cycle or a write needs it.
    async fn poll(
        &mut self,
        ctx: Context,
        writes: &mut mpsc::Receiver<WriteRequest>,
        shutdown: &CancellationToken,
    ) -> Option<String> {
        let mut link = Some(ctx);
        let mut fast = interval(self.device.fast_interval);
        fast.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut slow = interval(self.device.slow_interval);
        slow.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let has_slow = self.requests.iter().any(|r| r.group == PollGroup::Slow);
        loop {
            let group = tokio::select! {
                biased;
                () = shutdown.cancelled() => return None,
                _ = fast.tick() => PollGroup::Fast,
                _ = slow.tick(), if has_slow => PollGroup::Slow,
                Some(w) = writes.recv() => {
                    let ctx = match self.reopen(&mut link, shutdown).await {
                        Ok(Some(ctx)) => ctx,
                        Ok(None) => return None,
                        Err(reason) => {
                            let _ = w.reply.send(Err(WriteError::Link(reason.clone())));
                            return Some(reason);
                        }
                    };
                    let result = write_point(ctx, &self.device, &w.point, &w.value, self.device.timeout).await;
                    let link = match &result {
                        Err(WriteError::Link(reason)) => Some(reason.clone()),
                        _ => None,
                    };
                    let _ = w.reply.send(result);
                    match link {
                        Some(reason) => return Some(reason),
                        None => continue,
                    }
                }
            };
            let ctx = match self.reopen(&mut link, shutdown).await {
                Ok(Some(ctx)) => ctx,
                Ok(None) => return None,
                Err(reason) => return Some(reason),
            };
            let outcome = tokio::select! {
                biased;
                () = shutdown.cancelled() => return None,
                o = run_cycle(ctx, &self.device, &self.requests, group, self.device.timeout) => o,
            };
            if self.device.quirks.close_after_poll
                && let Some(mut closing) = link.take()
            {
                // The device gets its connection slot back; a failed close changes nothing.
                let _ = closing.disconnect().await;
            }
            let m = &self.env.metrics;
            m.reads.add(outcome.requests);
            m.read_errors
                .add(outcome.exceptions + u64::from(outcome.link_error.is_some()));
            self.publish(outcome.readings).await;
            if let Some(reason) = outcome.link_error {
                return Some(reason);
            }
        }
    }

    /// The open link, opening it first if `closeAfterPoll` closed it; `Ok(None)` on shutdown.
    async fn reopen<'a>(
        &self,
        link: &'a mut Option<Context>,
        shutdown: &CancellationToken,
    ) -> Result<Option<&'a mut Context>, String> {
        if link.is_none() {
            let opened = tokio::select! {
                biased;
                () = shutdown.cancelled() => return Ok(None),
                r = open(&self.device) => r?,
            };
            *link = Some(opened);
        }
        Ok(link.as_mut())
    }

    async fn publish(&mut self, readings: Vec<Reading>) {
        let mut full = Vec::new();
        for reading in readings {
            match self.batches.push(reading) {
                Ok(Some(batch)) => full.push(batch),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(device = self.device.id.as_str(), error = %e, "Reading dropped.")
                }
            }
        }
        full.extend(self.batches.finish());
        for batch in full {
            let n = batch.readings().len() as u64;
            let body = match serde_json::to_value(&batch) {
                Ok(body) => body,
                Err(e) => {
                    tracing::error!(device = self.device.id.as_str(), error = %e, "Could not serialise a batch.");
                    continue;
                }
            };
            match self.env.outlet.publish(self.topic.as_str(), body).await {
                Ok(()) => self.env.metrics.points_published.add(n),
                Err(e) => {
                    tracing::warn!(topic = self.topic.as_str(), error = %e, "Publish failed.")
                }
            }
        }
    }

    async fn status(&self, state: LinkState, detail: Option<String>) {
        let mut status = ComponentStatus::new(
            self.env.component.clone(),
            state,
            edge_model::time::now_ms() as i64,
        )
        .with_device(self.device.id.clone());
        if let Some(d) = detail {
            status = status.with_detail(d);
        }
        let body = match serde_json::to_value(&status) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "Could not serialise a status.");
                return;
            }
        };
        if let Err(e) = self
            .env
            .outlet
            .publish(self.status_topic.as_str(), body)
            .await
        {
            tracing::warn!(topic = self.status_topic.as_str(), error = %e, "Status publish failed.");
        }
    }
}
