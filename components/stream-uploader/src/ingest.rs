//! The input side: one IPC subscription per route feeds a bounded channel; one appender task
//! takes whatever is waiting (up to `maxAppendBatch`) and hands it to the store without waiting
//! for the previous batch's commit, so the fsync cost is shared by every message that arrived
//! meanwhile.

use crate::deadletter::DeadLetters;
use crate::route::Router;
use crate::store::{AppendReport, Appended, NewRecord, PendingAppend, StoreError, StoreHandle};
use crate::telemetry::{DropReason, ExportMetrics};
use component_kit::Counter;
use ggipc::IpcClient;
use ggipc::model::PublishMessage;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

/// Messages waiting for the appender; subscriptions wait (IPC back-pressure) beyond this.
pub const INGEST_CHANNEL: usize = 8192;

/// A message taken from local pub/sub, not yet durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Topic it arrived on.
    pub topic: String,
    /// Its bytes (a JSON message serialized, or the binary message).
    pub payload: Vec<u8>,
    /// Arrival time, epoch ms.
    pub received_ms: i64,
}

/// Everything the appender needs.
#[derive(Debug, Clone)]
pub struct Appender {
    /// The queue.
    pub store: StoreHandle,
    /// Routing table.
    pub router: Arc<Router>,
    /// Wakes per export.
    pub wakes: HashMap<String, Arc<Notify>>,
    /// Metrics per export.
    pub metrics: HashMap<String, ExportMetrics>,
    /// Messages received.
    pub received: Counter,
    /// Messages no route took.
    pub unroutable: Counter,
    /// Errors of the append path.
    pub errors: Counter,
    /// Dead letter outlet.
    pub dead_letters: DeadLetters,
    /// Most messages per transaction.
    pub max_batch: usize,
}

impl Appender {
    /// The appender of the exports whose wakes and metrics are given, counting on `metrics`
    /// what it receives, what no route takes and its errors.
    pub fn new(
        store: StoreHandle,
        router: Arc<Router>,
        metrics: &component_kit::Metrics,
        wakes: HashMap<String, Arc<Notify>>,
        export_metrics: HashMap<String, ExportMetrics>,
        dead_letters: DeadLetters,
        max_batch: usize,
    ) -> Self {
        use component_kit::metrics::names;
        Self {
            store,
            router,
            wakes,
            metrics: export_metrics,
            received: metrics.counter(names::RECEIVED_TOTAL),
            unroutable: metrics.counter_with(
                names::DROPPED_TOTAL,
                &[("reason", DropReason::Unroutable.as_str())],
            ),
            errors: metrics.counter(names::ERRORS_TOTAL),
            dead_letters,
            max_batch,
        }
    }

    /// An appender outside the component (tools, tests): a wake and metrics of its own for each
    /// of `exports`, dead letters to the returned channel.
    pub fn standalone(
        store: StoreHandle,
        router: Arc<Router>,
        metrics: &component_kit::Metrics,
        exports: &[&str],
        max_batch: usize,
    ) -> (Self, mpsc::UnboundedReceiver<serde_json::Value>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let wakes = exports
            .iter()
            .map(|&e| (e.to_owned(), Arc::new(Notify::new())))
            .collect();
        let export_metrics = exports
            .iter()
            .map(|&e| (e.to_owned(), ExportMetrics::new(metrics, e)))
            .collect();
        let appender = Self::new(
            store,
            router,
            metrics,
            wakes,
            export_metrics,
            DeadLetters::Channel(tx),
            max_batch,
        );
        (appender, rx)
    }
}

/// Subscribes to every route's filter and forwards its messages to `tx` until `shutdown`.
pub async fn subscribe_routes(
    ipc: IpcClient,
    router: Arc<Router>,
    tx: mpsc::Sender<Incoming>,
    shutdown: CancellationToken,
) -> Result<Vec<tokio::task::JoinHandle<()>>, ggipc::IpcError> {
    let mut tasks = Vec::new();
    for route in router.routes() {
        let mut sub = ipc.subscribe_to_topic(route.filter.as_str(), None).await?;
        tracing::info!(route = %route.id, filter = route.filter.as_str(), "Subscribed.");
        let (id, filter) = (route.id.clone(), route.filter.as_str().to_owned());
        let (router, tx, shutdown) = (router.clone(), tx.clone(), shutdown.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    biased;
                    () = shutdown.cancelled() => return,
                    e = sub.next() => e,
                };
                let message = match event {
                    None => {
                        tracing::warn!(route = %id, "Subscription closed.");
                        return;
                    }
                    Some(Err(e)) => {
                        tracing::warn!(route = %id, error = %e, "Bad subscription event.");
                        continue;
                    }
                    Some(Ok(m)) => m,
                };
                let incoming = incoming_of(message, &filter);
                if !router.owns(&id, &incoming.topic) {
                    continue;
                }
                if tx.send(incoming).await.is_err() {
                    return;
                }
            }
        }));
    }
    Ok(tasks)
}

/// The topic and bytes of a delivered message. Without a topic in the context (older nuclei)
/// the subscription's filter stands in.
pub fn incoming_of(message: PublishMessage, filter: &str) -> Incoming {
    let (topic, payload) = match (message.json_message, message.binary_message) {
        (Some(json), _) => (
            json.context.and_then(|c| c.topic),
            serde_json::to_vec(&json.message).unwrap_or_default(),
        ),
        (None, Some(bin)) => (bin.context.and_then(|c| c.topic), bin.message),
        (None, None) => (None, Vec::new()),
    };
    Incoming {
        topic: topic.unwrap_or_else(|| filter.to_owned()),
        payload,
        received_ms: edge_model::time::now_ms() as i64,
    }
}

/// Batches handed to the store and not yet accounted for. While one transaction is being
/// written (its fsync), the next batches queue behind it and the store merges them into its next
/// transaction: under a burst, one fsync covers thousands of messages instead of one batch.
/// Each is at most `maxAppendBatch` messages, on top of the ingest channel's.
const APPENDS_IN_FLIGHT: usize = 4;

/// Appends everything `rx` yields until it closes (all subscriptions ended), then returns:
/// on shutdown, messages already taken in are still made durable.
pub async fn append_loop(appender: Appender, mut rx: mpsc::Receiver<Incoming>) {
    // Commits are awaited (and counted) in order by a second task, so taking in the next
    // messages never waits for an fsync; the bound keeps memory flat when the disk is slow.
    let (submitted, committed) = mpsc::channel(APPENDS_IN_FLIGHT);
    let accounting = tokio::spawn(account_loop(appender.clone(), committed));
    let mut buf = Vec::with_capacity(appender.max_batch);
    while rx.recv_many(&mut buf, appender.max_batch).await > 0 {
        appender.received.add(buf.len() as u64);
        let mut records = Vec::with_capacity(buf.len());
        for msg in buf.drain(..) {
            let exports = appender.router.exports_for(&msg.topic);
            let Some((last, others)) = exports.split_last() else {
                dead_letter_unroutable(&appender, msg).await;
                continue;
            };
            for export in others {
                records.push(NewRecord {
                    export: (*export).to_owned(),
                    topic: msg.topic.clone(),
                    payload: msg.payload.clone(),
                    created_ms: msg.received_ms,
                });
            }
            records.push(NewRecord {
                export: (*last).to_owned(),
                topic: msg.topic,
                payload: msg.payload,
                created_ms: msg.received_ms,
            });
        }
        if records.is_empty() {
            continue;
        }
        let runs = export_runs(&records);
        let pending = appender.store.submit_append(records).await;
        if submitted.send((runs, pending)).await.is_err() {
            break;
        }
    }
    drop(submitted);
    let _panicked = accounting.await;
}

async fn dead_letter_unroutable(appender: &Appender, msg: Incoming) {
    appender.unroutable.inc();
    tracing::warn!(topic = %msg.topic, "Message matches no route; dead-lettered.");
    let message: serde_json::Value = serde_json::from_slice(&msg.payload)
        .unwrap_or_else(|_| String::from_utf8_lossy(&msg.payload).into_owned().into());
    appender
        .dead_letters
        .publish(serde_json::json!({
            "reason": "unroutable: no route matches the topic",
            "topic": msg.topic,
            "message": message,
        }))
        .await;
}

/// The exports of a batch as runs of consecutive records: (export, records in the run).
type ExportRuns = Vec<(String, usize)>;

fn export_runs(records: &[NewRecord]) -> ExportRuns {
    let mut runs: ExportRuns = Vec::new();
    for r in records {
        match runs.last_mut() {
            Some((export, n)) if *export == r.export => *n += 1,
            _ => runs.push((r.export.clone(), 1)),
        }
    }
    runs
}

type Submitted = (ExportRuns, Result<PendingAppend, StoreError>);

/// Waits for each submitted batch's commit, in submission order, and accounts for it.
async fn account_loop(appender: Appender, mut committed: mpsc::Receiver<Submitted>) {
    while let Some((runs, pending)) = committed.recv().await {
        let result = match pending {
            Ok(pending) => pending.committed().await,
            Err(e) => Err(e),
        };
        account(&appender, &runs, result);
    }
}

/// Accounts for every record of one batch: refusals are counted per export and reason and
/// logged once per batch; exports that got records are woken.
fn account(appender: &Appender, runs: &ExportRuns, result: Result<AppendReport, StoreError>) {
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let records: usize = runs.iter().map(|(_, n)| n).sum();
            appender.errors.inc();
            tracing::error!(error = %e, records, "Messages could not be queued.");
            let reason = match e {
                StoreError::DiskFull(_) => DropReason::DiskFull,
                _ => DropReason::StoreError,
            };
            for (export, n) in runs {
                if let Some(m) = appender.metrics.get(export) {
                    m.dropped(reason, *n as u64);
                }
            }
            return;
        }
    };
    let mut woken: Vec<&str> = Vec::new();
    let mut refused: HashMap<(&str, DropReason), u64> = HashMap::new();
    let exports = runs
        .iter()
        .flat_map(|(export, n)| std::iter::repeat_n(export.as_str(), *n));
    for (export, result) in exports.zip(&report.results) {
        let reason = match result {
            Appended::Stored(_) => {
                if !woken.contains(&export) {
                    woken.push(export);
                }
                continue;
            }
            Appended::QueueFull => DropReason::QueueFull,
            Appended::TooLarge => DropReason::TooLarge,
            Appended::DiskFull => DropReason::DiskFull,
            Appended::UnknownExport => DropReason::Unroutable,
        };
        *refused.entry((export, reason)).or_default() += 1;
    }
    for ((export, reason), n) in refused {
        if let Some(m) = appender.metrics.get(export) {
            m.dropped(reason, n);
        }
        tracing::warn!(export = %export, reason = reason.as_str(), records = n, "Messages not queued.");
    }
    for (export, n) in &report.overwritten {
        if let Some(m) = appender.metrics.get(export) {
            m.dropped(DropReason::Overwritten, *n);
        }
    }
    for export in woken {
        if let Some(w) = appender.wakes.get(export) {
            w.notify_one();
        }
    }
}
