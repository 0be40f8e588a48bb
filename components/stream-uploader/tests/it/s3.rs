//! S3 against moto: batch files under time-partitioned keys, gzip, multipart for a large file,
//! and a status report per upload.

use crate::moto::{Moto, sdk};
use crate::{bounded, drain_env, export, open_store, until_empty};
use serde_json::json;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stream_uploader::drain;
use stream_uploader::export::s3::{S3Exporter, S3Target};
use stream_uploader::store::NewRecord;
use tokio_util::sync::CancellationToken;

async fn objects(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<(String, Vec<u8>)> {
    let list = client
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for o in list.contents() {
        let key = o.key().unwrap().to_owned();
        let body = client
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        out.push((
            key,
            body.body.collect().await.unwrap().into_bytes().to_vec(),
        ));
    }
    out
}

fn record_ids(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["recordId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_become_gzip_files_and_a_large_batch_goes_up_in_parts() {
    bounded(async {
        let moto = Moto::start();
        let sdk = sdk(&moto.url).await;
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        client.create_bucket().bucket("lake").send().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let small = export(
            "small",
            json!({"type": "s3", "bucket": "lake", "batchMaxRecords": 50, "batchIntervalMs": 0}),
        );
        let large = export(
            "large",
            json!({"type": "s3", "bucket": "lake", "batchMaxRecords": 700,
            "batchMaxBytes": 20_000_000, "batchIntervalMs": 0}),
        );
        let store = open_store(dir.path(), &[&small, &large]);

        let now = edge_model::time::now_ms() as i64;
        let small_records: Vec<NewRecord> = (0..120)
            .map(|n| NewRecord {
                export: "small".into(),
                topic: "factory/agg/plc1".into(),
                payload: json!({"n": n}).to_string().into_bytes(),
                created_ms: now,
            })
            .collect();
        // About 7 MB that does not compress: above the 5 MiB multipart threshold.
        let large_records: Vec<NewRecord> = (0..700)
            .map(|n| {
                let pad: String = (0..10_000).map(|_| fastrand::alphanumeric()).collect();
                NewRecord {
                    export: "large".into(),
                    topic: "factory/raw/plc2".into(),
                    payload: json!({"n": n, "pad": pad}).to_string().into_bytes(),
                    created_ms: now,
                }
            })
            .collect();
        store.append(small_records).await.unwrap();
        store.append(large_records).await.unwrap();

        let reports = Arc::new(Mutex::new(Vec::new()));
        let sink = {
            let reports = reports.clone();
            Arc::new(move |v: serde_json::Value| reports.lock().unwrap().push(v))
        };
        let target = |prefix: &str, gzip: bool| S3Target {
            bucket: "lake".into(),
            key_prefix: prefix.into(),
            gzip,
            multipart_threshold: 5 << 20,
            part_bytes: 5 << 20,
        };
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();
        for (e, t) in [
            (small.clone(), target("small/", true)),
            (large.clone(), target("large/", false)),
        ] {
            let exporter = S3Exporter::new(&sdk, true, t, "gw1", Some(sink.clone()));
            let env = drain_env(&store, &e.id);
            tasks.push(tokio::spawn(drain::run(e, exporter, env.env, stop.clone())));
        }
        until_empty(&store, "small", Duration::from_secs(60)).await;
        until_empty(&store, "large", Duration::from_secs(60)).await;
        stop.cancel();
        for t in tasks {
            t.await.unwrap();
        }

        let files = objects(&client, "lake").await;
        let mut small_ids = Vec::new();
        let mut large_ids = Vec::new();
        for (key, body) in &files {
            assert!(
                key.contains("/year=") && key.contains("/month=") && key.contains("/hour="),
                "{key}"
            );
            if key.starts_with("small/") {
                assert!(key.ends_with(".jsonl.gz"), "{key}");
                let mut text = String::new();
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_string(&mut text)
                    .unwrap();
                small_ids.extend(record_ids(&text));
            } else {
                assert!(key.ends_with(".jsonl"), "{key}");
                assert!(
                    body.len() > 5 << 20,
                    "the large file is one object of {} bytes",
                    body.len()
                );
                large_ids.extend(record_ids(std::str::from_utf8(body).unwrap()));
            }
        }
        assert_eq!(small_ids.len(), 120);
        assert_eq!(
            files
                .iter()
                .filter(|(k, _)| k.starts_with("small/"))
                .count(),
            3,
            "50 + 50 + 20"
        );
        assert_eq!(large_ids.len(), 700);
        let reports = reports.lock().unwrap().clone();
        assert_eq!(
            reports.len(),
            4,
            "one status report per upload: {reports:?}"
        );
        assert!(reports.iter().all(|r| r["status"] == "Success"));
        let multipart = reports.iter().find(|r| r["records"] == 700).unwrap();
        assert_eq!(multipart["parts"], 2, "{multipart}");
    })
    .await;
}
