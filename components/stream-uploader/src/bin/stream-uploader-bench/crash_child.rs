//! The process the kill -9 test kills: a steady producer appending to the queue and a drain
//! loop sending to the test's TCP sink, which acknowledges each batch. After each durable
//! append it prints `A <last n>`; after opening the queue, `OPEN <ms>`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;
use stream_uploader::drain::{self, DrainEnv};
use stream_uploader::export::{Exporter, Outcome};
use stream_uploader::store::{self, NewRecord, Store, StoredRecord};
use stream_uploader::validate::{BatchLimits, Destination, Export, RetryPolicy};
use tokio_util::sync::CancellationToken;

/// Records per append.
const APPEND_BATCH: u64 = 20;
/// Records per send: the at-least-once window of one kill.
pub const SEND_BATCH: usize = 200;
/// The producer stops after this many records (a bound; the test kills it long before).
const MAX_RECORDS: u64 = 2_000_000;

/// Sends each batch as one JSON line and waits for `ok`.
#[derive(Debug)]
struct TcpSink(String);

impl Exporter for TcpSink {
    async fn send(&self, _store_id: &str, batch: &[StoredRecord]) -> Vec<Outcome> {
        let ns: Vec<serde_json::Value> = batch
            .iter()
            .filter_map(|r| serde_json::from_slice::<serde_json::Value>(&r.payload).ok())
            .map(|v| v["n"].clone())
            .collect();
        let addr = self.0.clone();
        let line = serde_json::json!({ "ns": ns }).to_string();
        let reply = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut s = TcpStream::connect(addr)?;
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            s.write_all(line.as_bytes())?;
            s.write_all(b"\n")?;
            let mut answer = String::new();
            BufReader::new(s).read_line(&mut answer)?;
            Ok(answer)
        })
        .await;
        match reply {
            Ok(Ok(a)) if a.trim() == "ok" => {
                stream_uploader::export::all(batch, &Outcome::Delivered)
            }
            other => stream_uploader::export::all(batch, &Outcome::Retry(format!("{other:?}"))),
        }
    }
}

fn export() -> Export {
    Export {
        id: "sink".into(),
        destination: Destination::IotCore {
            topic_template: "unused".into(),
        },
        priority: 1,
        disabled: false,
        queue: store::QueuePolicy::default(),
        order: store::DrainOrder::OldestFirst,
        stale_cutoff: None,
        batch: BatchLimits {
            max_records: SEND_BATCH,
            max_bytes: 1 << 30,
            interval: Duration::ZERO,
        },
        retry: RetryPolicy {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(100),
        },
        send_timeout: Duration::from_secs(5),
        max_record_bytes: u64::MAX,
    }
}

/// Runs until killed (or, with `drain_only`, until the queue is empty).
pub async fn run(dir: PathBuf, sink: String, start: u64, drain_only: bool) -> anyhow::Result<()> {
    let export = export();
    let opened = std::time::Instant::now();
    let (store, _) = Store::open(
        &dir.join("queue.db"),
        &[(export.id.clone(), export.queue.clone())],
        edge_model::time::now_ms() as i64,
    )?;
    let store = store::spawn(store)?;
    say(&format!("OPEN {}", opened.elapsed().as_millis()));
    let metrics = component_kit::Metrics::new();
    let (env, _dead) = DrainEnv::standalone(store.clone(), &metrics, "sink");
    let stop = CancellationToken::new();
    let draining = tokio::spawn(drain::run(export, TcpSink(sink), env, stop.clone()));
    if drain_only {
        for _ in 0..6000 {
            let left = store.call(|s| s.depth("sink")).await?.records;
            if left == 0 {
                say("EMPTY");
                stop.cancel();
                let _ended = draining.await;
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        anyhow::bail!("queue not empty after 60 s");
    }
    let mut n = start;
    while n < start + MAX_RECORDS {
        let batch: Vec<NewRecord> = (n..n + APPEND_BATCH)
            .map(|i| NewRecord {
                export: "sink".into(),
                topic: "factory/raw/crash".into(),
                payload: serde_json::json!({ "n": i, "pad": "0123456789abcdef0123456789abcdef" })
                    .to_string()
                    .into_bytes(),
                created_ms: edge_model::time::now_ms() as i64,
            })
            .collect();
        store.append(batch).await?;
        n += APPEND_BATCH;
        say(&format!("A {}", n - 1));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ignored = writeln!(out, "{line}").and_then(|()| out.flush());
}
