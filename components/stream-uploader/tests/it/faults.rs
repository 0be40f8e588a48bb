//! Bad input and bad destinations: a destination answering garbage dead-letters its records
//! (a permanent failure) without blocking another export; a destination failing with 5xx or
//! refusing connections keeps them queued; partial Kinesis failures retry only the failed records;
//! records over the destination's limit and unroutable messages are dead-lettered with a reason.

use crate::moto::sdk;
use crate::stub_http::Stub;
use crate::{bounded, counter, drain_env, export, open_store, records, until_empty};
use component_kit::Metrics;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stream_uploader::drain;
use stream_uploader::export::kinesis::KinesisExporter;
use stream_uploader::ingest::{Appender, Incoming, append_loop};
use stream_uploader::route::Router;
use stream_uploader::store::NewRecord;
use stream_uploader::validate::PartitionKey;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A Kinesis PutRecords stub: records whose data mentions `"n":<odd>` fail with a throughput
/// error on their first attempt; every delivered record id is counted.
fn kinesis_stub(
    delivered: Arc<Mutex<HashMap<String, u32>>>,
) -> impl Fn(&crate::stub_http::Request) -> (u16, String) {
    let attempts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    move |r| {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let mut results = Vec::new();
        let mut failed = 0;
        for rec in body["Records"].as_array().unwrap() {
            let data = aws_smithy_types::base64::decode(rec["Data"].as_str().unwrap()).unwrap();
            let env: Value = serde_json::from_slice(&data).unwrap();
            let id = env["recordId"].as_str().unwrap().to_owned();
            let n = env["message"]["n"].as_u64().unwrap_or(0);
            let tries = {
                let mut a = attempts.lock().unwrap();
                let t = a.entry(id.clone()).or_insert(0);
                *t += 1;
                *t
            };
            if n % 2 == 1 && tries == 1 {
                failed += 1;
                results.push(json!({"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"}));
            } else {
                *delivered.lock().unwrap().entry(id).or_insert(0) += 1;
                results.push(json!({"SequenceNumber": "1", "ShardId": "shardId-000000000000"}));
            }
        }
        (
            200,
            json!({"FailedRecordCount": failed, "Records": results}).to_string(),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_answers_dead_letter_the_records_while_another_export_drains() {
    bounded(async {
        let delivered = Arc::new(Mutex::new(HashMap::new()));
        let good_stub = Stub::start(kinesis_stub(delivered.clone())).await;
        let garbage_stub = Stub::start(|_| (200, "<html>this is not JSON</html>".to_owned())).await;
        let dir = tempfile::tempdir().unwrap();
        let cfg = json!({"type": "kinesis", "streamName": "s", "batchIntervalMs": 0, "batchMaxRecords": 100,
            "retryInitialMs": 20, "retryMaxMs": 200});
        let good = export("good", cfg.clone());
        let bad = export("bad", cfg);
        let store = open_store(dir.path(), &[&good, &bad]);
        store.append(records("good", 0, 300)).await.unwrap();
        store.append(records("bad", 0, 300)).await.unwrap();
        // One record over Kinesis's 1 MiB record limit.
        store
            .append(vec![NewRecord { export: "good".into(), topic: "factory/raw/big".into(),
                payload: json!({"pad": "x".repeat(1_100_000)}).to_string().into_bytes(), created_ms: 1 }])
            .await
            .unwrap();

        let stop = CancellationToken::new();
        let mut good_env = drain_env(&store, "good");
        let mut bad_env = drain_env(&store, "bad");
        let good_task = tokio::spawn(drain::run(good.clone(),
            KinesisExporter::new(&sdk(&good_stub.url).await, "s", PartitionKey::Device, "gw1"),
            good_env.env.clone(), stop.clone()));
        let bad_task = tokio::spawn(drain::run(bad.clone(),
            KinesisExporter::new(&sdk(&garbage_stub.url).await, "s", PartitionKey::Device, "gw1"),
            bad_env.env.clone(), stop.clone()));
        until_empty(&store, "good", Duration::from_secs(30)).await;
        until_empty(&store, "bad", Duration::from_secs(30)).await;
        stop.cancel();
        good_task.await.unwrap();
        bad_task.await.unwrap();

        // Partial failures: odd records failed once and were sent again, each id delivered once.
        let delivered = delivered.lock().unwrap().clone();
        assert_eq!(delivered.len(), 300);
        assert!(delivered.values().all(|n| *n == 1));
        assert!(good_env.env.metrics.retried.get() > 0, "retries are counted");
        // The oversized record is dead-lettered with the reason.
        let letter = good_env.dead.try_recv().unwrap();
        assert!(letter["reason"].as_str().unwrap().contains("exceeds Kinesis"), "{letter}");
        assert_eq!(counter(&good_env.metrics, "dropped_total", Some("rejected")), 1.0);
        // Garbage: a permanent failure, so every record is dead-lettered with the reason
        // instead of being retried forever; nothing counted as sent.
        assert_eq!(crate::depth(&store, "bad").await, 0);
        let mut letters = 0;
        while let Ok(l) = bad_env.dead.try_recv() {
            let reason = l["reason"].as_str().unwrap();
            assert!(reason.starts_with("refused for good: Kinesis PutRecords"), "{reason}");
            letters += 1;
        }
        assert_eq!(letters, 300);
        assert_eq!(counter(&bad_env.metrics, "dropped_total", Some("rejected")), 300.0);
        assert_eq!(garbage_stub.count(), 3, "one call per batch of 100, no retries");
        assert_eq!(bad_env.env.metrics.sent.get(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_refused_connections_keep_records_queued_until_delivered() {
    bounded(async {
        let delivered = Arc::new(Mutex::new(HashMap::new()));
        let accept = kinesis_stub(delivered.clone());
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        // The first 8 calls (the SDK's own attempts included) fail with 503.
        let flaky = Stub::start(move |r| {
            if seen.fetch_add(1, Ordering::SeqCst) < 8 {
                (
                    503,
                    r#"{"__type":"InternalFailure","message":"try later"}"#.to_owned(),
                )
            } else {
                accept(r)
            }
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let cfg = json!({"type": "kinesis", "streamName": "s", "batchIntervalMs": 0,
            "batchMaxRecords": 100, "retryInitialMs": 20, "retryMaxMs": 100});
        let five = export("five", cfg.clone());
        let refused = export("refused", cfg);
        let store = open_store(dir.path(), &[&five, &refused]);
        store.append(records("five", 0, 200)).await.unwrap();
        store.append(records("refused", 0, 50)).await.unwrap();
        let stop = CancellationToken::new();
        let mut five_env = drain_env(&store, "five");
        let mut refused_env = drain_env(&store, "refused");
        let nobody = format!("http://127.0.0.1:{}", crate::moto::free_port());
        let tasks = [
            tokio::spawn(drain::run(
                five,
                KinesisExporter::new(&sdk(&flaky.url).await, "s", PartitionKey::Device, "gw1"),
                five_env.env.clone(),
                stop.clone(),
            )),
            tokio::spawn(drain::run(
                refused,
                KinesisExporter::new(&sdk(&nobody).await, "s", PartitionKey::Device, "gw1"),
                refused_env.env.clone(),
                stop.clone(),
            )),
        ];
        until_empty(&store, "five", Duration::from_secs(60)).await;
        // The refused export fails call after call (each call includes the SDK's own retries).
        for _ in 0..300 {
            if refused_env.env.metrics.errors.get() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop.cancel();
        for t in tasks {
            t.await.unwrap();
        }
        let delivered = delivered.lock().unwrap().clone();
        assert_eq!(delivered.len(), 200);
        assert!(delivered.values().all(|n| *n == 1));
        assert!(
            five_env.env.metrics.errors.get() >= 1,
            "the 503s were counted"
        );
        assert!(five_env.dead.try_recv().is_err(), "nothing dead-lettered");
        assert_eq!(crate::depth(&store, "refused").await, 50);
        assert!(refused_env.env.metrics.errors.get() >= 2);
        assert!(
            refused_env.dead.try_recv().is_err(),
            "nothing dead-lettered"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unroutable_messages_are_dead_lettered_and_counted_and_routable_ones_queued() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let iot = export("iot", json!({"type": "iotCore"}));
        let store = open_store(dir.path(), &[&iot]);
        let config: stream_uploader::config::StreamUploaderConfig = serde_json::from_value(json!({
            "routes": {"agg": {"topicFilter": "factory/agg/+", "exports": {"iot": true}}},
            "exports": {"iot": {"type": "iotCore"}},
        }))
        .unwrap();
        let validated = stream_uploader::validate::validate(config).unwrap();
        let metrics = Metrics::new();
        let (appender, mut dead) = Appender::standalone(
            store.clone(),
            Arc::new(Router::new(validated.routes)),
            &metrics,
            &["iot"],
            100,
        );
        let wake = appender.wakes["iot"].clone();
        let (tx, rx) = mpsc::channel(16);
        let task = tokio::spawn(append_loop(appender, rx));
        let woken = Arc::new(AtomicUsize::new(0));
        let w = woken.clone();
        let waiter = tokio::spawn(async move {
            wake.notified().await;
            w.fetch_add(1, Ordering::SeqCst);
        });
        for (topic, n) in [
            ("factory/agg/plc1", 1),
            ("somewhere/else", 2),
            ("factory/agg/plc2", 3),
        ] {
            tx.send(Incoming {
                topic: topic.into(),
                payload: json!({"n": n}).to_string().into_bytes(),
                received_ms: 5,
            })
            .await
            .unwrap();
        }
        drop(tx);
        task.await.unwrap();
        waiter.await.unwrap();
        assert_eq!(woken.load(Ordering::SeqCst), 1, "the export was woken");
        let letter = dead.try_recv().unwrap();
        assert_eq!(letter["topic"], "somewhere/else");
        assert!(letter["reason"].as_str().unwrap().starts_with("unroutable"));
        assert_eq!(letter["message"]["n"], 2);
        assert_eq!(crate::depth(&store, "iot").await, 2);
        assert_eq!(counter(&metrics, "dropped_total", Some("unroutable")), 1.0);
        assert_eq!(counter(&metrics, "received_total", None), 3.0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_older_than_the_stale_cutoff_are_dead_lettered_not_sent() {
    bounded(async {
        let delivered = Arc::new(Mutex::new(HashMap::new()));
        let stub = Stub::start(kinesis_stub(delivered.clone())).await;
        let dir = tempfile::tempdir().unwrap();
        let kin = export(
            "kin",
            json!({"type": "kinesis", "streamName": "s", "batchIntervalMs": 0,
            "staleCutoffMs": 60000}),
        );
        let store = open_store(dir.path(), &[&kin]);
        let mut old = records("kin", 0, 4);
        for r in &mut old {
            r.created_ms -= 120_000;
            r.payload = br#"{"n":0}"#.to_vec();
        }
        store.append(old).await.unwrap();
        store
            .append(
                records("kin", 10, 12)
                    .into_iter()
                    .map(|mut r| {
                        r.payload = br#"{"n":2}"#.to_vec();
                        r
                    })
                    .collect(),
            )
            .await
            .unwrap();
        let mut env = drain_env(&store, "kin");
        let stop = CancellationToken::new();
        let task = tokio::spawn(drain::run(
            kin,
            KinesisExporter::new(&sdk(&stub.url).await, "s", PartitionKey::Device, "gw1"),
            env.env.clone(),
            stop.clone(),
        ));
        until_empty(&store, "kin", Duration::from_secs(20)).await;
        stop.cancel();
        task.await.unwrap();
        assert_eq!(delivered.lock().unwrap().len(), 2);
        let mut stale = 0;
        while let Ok(l) = env.dead.try_recv() {
            assert!(l["reason"].as_str().unwrap().starts_with("stale"));
            stale += 1;
        }
        assert_eq!(stale, 4);
        assert_eq!(counter(&env.metrics, "dropped_total", Some("stale")), 4.0);
    })
    .await;
}
