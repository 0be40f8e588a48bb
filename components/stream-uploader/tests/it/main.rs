//! Integration tests of the stream uploader: the queue under kill -9 and a full disk, and the
//! exports against real peers (moto for Kinesis and S3, a SiteWise stub, gg-local for IoT Core).
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod crash;
mod credentials;
mod disk_full;
mod e2e;
mod faults;
mod kinesis;
mod ota;
mod s3;
mod sitewise;

use aws_edge::testing::{moto, stub_http};
use component_kit::Metrics;
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, Instant};
use stream_uploader::drain::DrainEnv;
use stream_uploader::store::{self, NewRecord, Store, StoreHandle};
use stream_uploader::validate::{Export, validate};
use tokio::sync::mpsc;

/// Every async test ends within this.
const TEST_DEADLINE: Duration = Duration::from_secs(90);

async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(TEST_DEADLINE, f)
        .await
        .expect("test ran past its deadline")
}

/// The export `id` as validated from `config` (the export block of the configuration).
fn export(id: &str, config: Value) -> Export {
    let config = json!({
        "exports": {id: config},
    });
    let validated = validate(serde_json::from_value(config).unwrap()).unwrap();
    validated.exports.into_iter().next().unwrap()
}

/// A store in `dir` with the given exports, on its own thread.
fn open_store(dir: &std::path::Path, exports: &[&Export]) -> StoreHandle {
    let policies: Vec<_> = exports
        .iter()
        .map(|e| (e.id.clone(), e.queue.clone()))
        .collect();
    let (store, _) = Store::open(&dir.join("queue.db"), &policies, 1).unwrap();
    store::spawn(store).unwrap()
}

/// Reading-like JSON records `from..to` for `export`.
fn records(export: &str, from: u32, to: u32) -> Vec<NewRecord> {
    (from..to)
        .map(|n| NewRecord {
            export: export.into(),
            topic: format!("factory/agg/plc{}", n % 3),
            payload: json!({"n": n}).to_string().into_bytes(),
            created_ms: edge_model::time::now_ms() as i64,
        })
        .collect()
}

struct Env {
    env: DrainEnv,
    dead: mpsc::UnboundedReceiver<Value>,
    metrics: Metrics,
}

fn drain_env(store: &StoreHandle, export: &str) -> Env {
    let metrics = Metrics::new();
    let (env, dead) = DrainEnv::standalone(store.clone(), &metrics, export);
    Env { env, dead, metrics }
}

async fn depth(store: &StoreHandle, export: &str) -> u64 {
    let id = export.to_owned();
    store.call(move |s| s.depth(&id)).await.unwrap().records
}

/// Waits until the export's queue is empty (`within` at most).
async fn until_empty(store: &StoreHandle, export: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let left = depth(store, export).await;
        if left == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{left} records of {export} still queued after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The value of counter `name` with dimension `reason` (or any, when `None`) in a snapshot.
fn counter(metrics: &Metrics, name: &str, reason: Option<&str>) -> f64 {
    metrics
        .snapshot()
        .iter()
        .filter(|s| s.name() == name)
        .filter(|s| {
            reason.is_none_or(|r| {
                s.id()
                    .dimensions()
                    .iter()
                    .any(|(k, v)| k == "reason" && v == r)
            })
        })
        .map(|s| s.value())
        .sum()
}
