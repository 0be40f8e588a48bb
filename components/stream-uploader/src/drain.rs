//! One loop per export: take a batch from the queue, wait for it to fill (count, bytes or
//! time), take the bandwidth budget, send, then delete what the destination acknowledged and
//! dead-letter what it refused. Failed records stay queued and are retried after a capped,
//! jittered backoff. Nothing is deleted before the destination answered.

use crate::bandwidth::Bandwidth;
use crate::deadletter::DeadLetters;
use crate::export::{Exporter, Outcome};
use crate::store::{StoreHandle, StoredRecord};
use crate::telemetry::{DropReason, ExportMetrics};
use crate::updates::UpdateGate;
use crate::validate::{Export, RetryPolicy};
use component_kit::Backoff;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Longest wait between looks at the queue (new data also wakes the loop at once).
const IDLE_POLL: Duration = Duration::from_millis(200);

/// What a drain loop shares with the rest of the component.
#[derive(Debug, Clone)]
pub struct DrainEnv {
    /// The queue.
    pub store: StoreHandle,
    /// Woken after records were appended for this export.
    pub wake: Arc<Notify>,
    /// The shared upload budget, if capped.
    pub bandwidth: Option<Arc<Bandwidth>>,
    /// Metrics of this export.
    pub metrics: ExportMetrics,
    /// Dead letter outlet.
    pub dead_letters: DeadLetters,
    /// Batches in flight, and whether an update holds new ones back.
    pub updates: Arc<UpdateGate>,
}

impl DrainEnv {
    /// An environment outside the component (tools, tests): no bandwidth cap, dead letters
    /// to the returned channel.
    pub fn standalone(
        store: StoreHandle,
        metrics: &component_kit::Metrics,
        export: &str,
    ) -> (
        Self,
        tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let env = Self {
            store,
            wake: Arc::new(Notify::new()),
            bandwidth: None,
            metrics: ExportMetrics::new(metrics, export),
            dead_letters: DeadLetters::Channel(tx),
            updates: Arc::default(),
        };
        (env, rx)
    }
}

/// Runs the loop for `export` until `shutdown`. A batch already sent when shutdown comes is
/// still acknowledged in the queue before returning.
pub async fn run<E: Exporter>(
    export: Export,
    exporter: E,
    env: DrainEnv,
    shutdown: CancellationToken,
) {
    let mut backoff = RetryDelays::new(export.retry);
    let mut retried_head: Option<i64> = None;
    while !shutdown.is_cancelled() {
        if export.disabled {
            shutdown.cancelled().await;
            return;
        }
        if env.updates.holding() {
            // An update was announced: no new batch, so the update is not deferred again.
            sleep_or_cancel(IDLE_POLL, &shutdown).await;
            continue;
        }
        let (id, order, limits) = (export.id.clone(), export.order, export.batch);
        let peeked = env
            .store
            .call(move |s| s.peek(&id, order, limits.max_records, limits.max_bytes))
            .await;
        let peeked = match peeked {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(export = %export.id, error = %e, "Queue read failed.");
                env.metrics.errors.inc();
                sleep_or_cancel(backoff.next_delay(false), &shutdown).await;
                continue;
            }
        };
        if peeked.quarantined > 0 {
            tracing::error!(export = %export.id, records = peeked.quarantined,
                "Records failed their checksum and were moved to quarantine.");
            env.metrics.dropped(DropReason::Corrupt, peeked.quarantined);
        }
        let batch = peeked.records;
        if batch.is_empty() {
            wait_for_data(&env.wake, IDLE_POLL, &shutdown).await;
            continue;
        }
        if let Some(wait) = fill_wait(&export, &batch) {
            wait_for_data(&env.wake, wait.min(IDLE_POLL), &shutdown).await;
            continue;
        }
        let (fresh, stale) = split_stale(&export, batch);
        if !stale.is_empty() {
            dead_letter(
                &export,
                &env,
                &stale,
                "stale: older than staleCutoffMs",
                DropReason::Stale,
            )
            .await;
        }
        if fresh.is_empty() {
            continue;
        }
        let bytes: u64 = fresh.iter().map(StoredRecord::size).sum();
        if let Some(bw) = &env.bandwidth {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return,
                () = bw.acquire(bytes, export.priority) => {}
            }
        }
        if retried_head == fresh.first().map(|r| r.seq) {
            env.metrics.retried.add(fresh.len() as u64);
        }
        env.metrics.batches.inc();
        env.updates.send_started();
        // The send is not cancelled by shutdown: it is bounded by the send timeout and its
        // answer is needed to delete what was delivered.
        let outcomes = tokio::time::timeout(
            export.send_timeout,
            exporter.send(env.store.store_id(), &fresh),
        )
        .await
        .unwrap_or_else(|_| {
            crate::export::all(
                &fresh,
                &Outcome::Retry(format!("no answer within {:?}", export.send_timeout)),
            )
        });
        let failure = settle(&export, &env, &fresh, &outcomes).await;
        env.updates.send_ended();
        match failure {
            None => {
                backoff.reset();
                retried_head = None;
            }
            Some((reason, throttled)) => {
                env.metrics.errors.inc();
                let delay = backoff.next_delay(throttled);
                tracing::warn!(export = %export.id, error = %reason, retry_in_ms = delay.as_millis() as u64,
                    failures = backoff.failures(), "Send failed; records stay queued.");
                retried_head = first_unsettled(&fresh, &outcomes);
                sleep_or_cancel(delay, &shutdown).await;
            }
        }
    }
}

/// Applies the outcomes: delete delivered and rejected records (after dead-lettering the
/// rejected), count everything. Returns the first failure reason, if any.
async fn settle(
    export: &Export,
    env: &DrainEnv,
    batch: &[StoredRecord],
    outcomes: &[Outcome],
) -> Option<(String, bool)> {
    let mut done = Vec::new();
    let mut failure = None;
    let mut rejected = Vec::new();
    for (record, outcome) in batch.iter().zip(outcomes) {
        match outcome {
            Outcome::Delivered => {
                env.metrics.sent.inc();
                env.metrics.bytes_out.add(record.size());
                done.push(record.seq);
            }
            Outcome::Reject(reason) => {
                rejected.push((record, reason));
                done.push(record.seq);
            }
            Outcome::Retry(reason) => {
                failure.get_or_insert((reason.clone(), false));
            }
            Outcome::Throttled(reason) => {
                failure = Some((reason.clone(), true));
            }
        }
    }
    if outcomes.len() < batch.len() {
        failure.get_or_insert(("exporter returned too few outcomes".into(), false));
    }
    for (record, reason) in rejected {
        tracing::warn!(export = %export.id, seq = record.seq, reason = %reason, "Record dead-lettered.");
        env.dead_letters
            .send(&export.id, env.store.store_id(), record, reason)
            .await;
        env.metrics.dropped(DropReason::Rejected, 1);
    }
    if !done.is_empty() {
        let id = export.id.clone();
        if let Err(e) = env.store.call(move |s| s.ack(&id, &done)).await {
            // The records are sent but still queued: they will go again (at least once).
            tracing::error!(export = %export.id, error = %e, "Acknowledged records could not be deleted.");
            env.metrics.errors.inc();
        }
    }
    failure
}

/// The first record still queued after a send: the head of the next batch when it fails again.
fn first_unsettled(batch: &[StoredRecord], outcomes: &[Outcome]) -> Option<i64> {
    batch
        .iter()
        .zip(outcomes)
        .find(|(_, o)| !o.is_final())
        .map(|(r, _)| r.seq)
}

/// How much longer to wait for a batch that is neither full nor old enough; `None`: send now.
fn fill_wait(export: &Export, batch: &[StoredRecord]) -> Option<Duration> {
    let bytes: u64 = batch.iter().map(StoredRecord::size).sum();
    let nearly_full = export.batch.max_bytes - export.batch.max_bytes / 10;
    if batch.len() >= export.batch.max_records || bytes >= nearly_full {
        return None;
    }
    let oldest = batch.iter().map(|r| r.created_ms).min()?;
    let age = Duration::from_millis((edge_model::time::now_ms() as i64 - oldest).max(0) as u64);
    export
        .batch
        .interval
        .checked_sub(age)
        .filter(|d| !d.is_zero())
}

/// Splits off records older than the stale cutoff.
fn split_stale(
    export: &Export,
    batch: Vec<StoredRecord>,
) -> (Vec<StoredRecord>, Vec<StoredRecord>) {
    let Some(cutoff) = export.stale_cutoff else {
        return (batch, Vec::new());
    };
    let limit = edge_model::time::now_ms() as i64 - cutoff.as_millis() as i64;
    batch.into_iter().partition(|r| r.created_ms >= limit)
}

async fn dead_letter(
    export: &Export,
    env: &DrainEnv,
    records: &[StoredRecord],
    reason: &str,
    why: DropReason,
) {
    for record in records {
        env.dead_letters
            .send(&export.id, env.store.store_id(), record, reason)
            .await;
    }
    env.metrics.dropped(why, records.len() as u64);
    let seqs: Vec<i64> = records.iter().map(|r| r.seq).collect();
    let id = export.id.clone();
    if let Err(e) = env.store.call(move |s| s.ack(&id, &seqs)).await {
        tracing::error!(export = %export.id, error = %e, "Dead-lettered records could not be deleted.");
    }
}

async fn wait_for_data(wake: &Notify, at_most: Duration, shutdown: &CancellationToken) {
    tokio::select! {
        biased;
        () = shutdown.cancelled() => {}
        () = wake.notified() => {}
        () = tokio::time::sleep(at_most) => {}
    }
}

async fn sleep_or_cancel(delay: Duration, shutdown: &CancellationToken) {
    tokio::select! {
        biased;
        () = shutdown.cancelled() => {}
        () = tokio::time::sleep(delay) => {}
    }
}

/// Retry delays of one export: [`Backoff`] from the export's policy, counting failures for the
/// log. A throttled call skips one step so the destination gets more room.
#[derive(Debug)]
struct RetryDelays {
    backoff: Backoff,
    failures: u32,
}

impl RetryDelays {
    fn new(policy: RetryPolicy) -> Self {
        Self {
            backoff: Backoff::new(policy.initial, policy.max),
            failures: 0,
        }
    }

    fn next_delay(&mut self, throttled: bool) -> Duration {
        self.failures = self.failures.saturating_add(1);
        if throttled {
            let _skipped = self.backoff.next_delay();
        }
        self.backoff.next_delay()
    }

    fn reset(&mut self) {
        self.failures = 0;
        self.backoff.reset();
    }

    fn failures(&self) -> u32 {
        self.failures
    }
}
