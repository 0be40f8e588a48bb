//! Kinesis against moto: every record arrives exactly once per record id, also when the
//! destination was down when sending started.

use crate::moto::{Moto, sdk};
use crate::{bounded, drain_env, export, open_store, records, until_empty};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use stream_uploader::drain;
use stream_uploader::export::kinesis::KinesisExporter;
use stream_uploader::validate::PartitionKey;
use tokio_util::sync::CancellationToken;

/// The destination's address for the whole test: a port this test holds, so no other test can
/// take it during the outage. While no backend is set, connections are dropped at once (the
/// destination is down); once one is set, they are relayed to it.
async fn held_destination() -> (String, Arc<AtomicU16>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let backend = Arc::new(AtomicU16::new(0));
    let target = backend.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let port = target.load(Ordering::SeqCst);
            if port == 0 {
                continue; // dropped: the destination is down
            }
            tokio::spawn(async move {
                if let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    (url, backend)
}

/// Every record id in the stream, with how often it appears, and the partition keys seen.
pub async fn read_stream(url: &str, stream: &str) -> (HashMap<String, u32>, Vec<String>) {
    let client = aws_sdk_kinesis::Client::new(&sdk(url).await);
    let shards = client
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .unwrap();
    let mut ids = HashMap::new();
    let mut keys = Vec::new();
    for shard in shards.shards() {
        let mut iterator = client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .map(str::to_owned);
        while let Some(it) = iterator {
            let page = client
                .get_records()
                .shard_iterator(it)
                .send()
                .await
                .unwrap();
            if page.records().is_empty() {
                break;
            }
            for r in page.records() {
                let v: serde_json::Value = serde_json::from_slice(r.data().as_ref()).unwrap();
                *ids.entry(v["recordId"].as_str().unwrap().to_owned())
                    .or_insert(0) += 1;
                keys.push(r.partition_key().unwrap_or_default().to_owned());
            }
            iterator = page.next_shard_iterator().map(str::to_owned);
        }
    }
    (ids, keys)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_outage_every_record_reaches_kinesis_exactly_once() {
    bounded(async {
        let (url, backend) = held_destination().await;
        let dir = tempfile::tempdir().unwrap();
        let kin = export(
            "kin",
            json!({"type": "kinesis", "streamName": "factory", "batchIntervalMs": 0,
                   "retryInitialMs": 50, "retryMaxMs": 300, "sendTimeoutMs": 5000}),
        );
        let store = open_store(dir.path(), &[&kin]);
        store.append(records("kin", 0, 1200)).await.unwrap();
        let ids: Vec<String> = (1..=1200)
            .map(|seq| format!("{}-{seq}", store.store_id()))
            .collect();

        // The destination is down: sends fail and everything stays queued.
        let env = drain_env(&store, "kin");
        let exporter =
            KinesisExporter::new(&sdk(&url).await, "factory", PartitionKey::Device, "gw1");
        let stop = CancellationToken::new();
        let task = tokio::spawn(drain::run(
            kin.clone(),
            exporter,
            env.env.clone(),
            stop.clone(),
        ));
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(
            crate::depth(&store, "kin").await,
            1200,
            "nothing is deleted while the destination is down"
        );
        assert!(
            env.env.metrics.errors.get() >= 1,
            "failed sends are counted"
        );

        // It comes back (first without the stream, then with it).
        let moto = Moto::start();
        let moto_port: u16 = moto.url.rsplit(':').next().unwrap().parse().unwrap();
        backend.store(moto_port, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let client = aws_sdk_kinesis::Client::new(&sdk(&url).await);
        client
            .create_stream()
            .stream_name("factory")
            .shard_count(2)
            .send()
            .await
            .unwrap();
        until_empty(&store, "kin", Duration::from_secs(60)).await;
        stop.cancel();
        task.await.unwrap();

        let (seen, keys) = read_stream(&url, "factory").await;
        assert_eq!(seen.len(), 1200, "every record id arrived");
        assert!(seen.values().all(|n| *n == 1), "no record id arrived twice");
        for id in &ids {
            assert!(seen.contains_key(id), "{id} missing");
        }
        assert!(
            keys.iter().all(|k| k.starts_with("plc")),
            "partition key is the device"
        );
        assert_eq!(env.env.metrics.sent.get(), 1200);
    })
    .await;
}
