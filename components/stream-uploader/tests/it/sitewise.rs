//! SiteWise against aws-edge's SiteWise stub, which follows BatchPutAssetPropertyValue's
//! documented shapes: the `data.` host prefix, POST /properties, at most 10 entries per call,
//! per-entry errors in `errorEntries` (a retryable ThrottlingException and a final
//! ResourceNotFoundException).

use crate::moto::sdk;
use crate::{bounded, drain_env, export, open_store, until_empty};
use aws_edge::testing::sitewise_stub::SiteWiseStub;
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;
use stream_uploader::drain;
use stream_uploader::export::sitewise::SiteWiseExporter;
use stream_uploader::store::NewRecord;
use tokio_util::sync::CancellationToken;

fn reading(point: &str, value: f64, time_ms: i64) -> Vec<u8> {
    json!({"source": {"device": "plc1", "point": point}, "value": value, "quality": "good",
           "gatewayTimeMs": time_ms})
    .to_string()
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_reach_sitewise_in_calls_of_ten_with_per_entry_errors_handled() {
    bounded(async {
        // "unknown" has no SiteWise property; "busy" is throttled once.
        let stub = SiteWiseStub::start("unknown", "busy").await;
        let dir = tempfile::tempdir().unwrap();
        let sw = export(
            "sw",
            json!({"type": "siteWise", "batchIntervalMs": 0, "batchMaxRecords": 25,
            "retryInitialMs": 20, "retryMaxMs": 100}),
        );
        let store = open_store(dir.path(), &[&sw]);
        let now = edge_model::time::now_ms() as i64;
        let mut input: Vec<NewRecord> = (0..23)
            .map(|n| NewRecord {
                export: "sw".into(),
                topic: "factory/agg/plc1".into(),
                payload: reading(&format!("p{n}"), f64::from(n), now + i64::from(n)),
                created_ms: now,
            })
            .collect();
        for (point, payload) in [
            ("unknown", reading("unknown", 1.0, now)),
            ("busy", reading("busy", 2.0, now)),
            ("alarm", br#"{"alarm": "not a reading"}"#.to_vec()),
        ] {
            input.push(NewRecord {
                export: "sw".into(),
                topic: format!("factory/agg/{point}"),
                payload,
                created_ms: now,
            });
        }
        store.append(input).await.unwrap();

        let mut env = drain_env(&store, "sw");
        let exporter = SiteWiseExporter::new(&sdk(stub.url()).await, "/factory/{device}/{point}");
        let stop = CancellationToken::new();
        let task = tokio::spawn(drain::run(sw, exporter, env.env.clone(), stop.clone()));
        until_empty(&store, "sw", Duration::from_secs(30)).await;
        stop.cancel();
        task.await.unwrap();

        let mut delivered = HashSet::new();
        for entries in stub.calls() {
            assert!(entries.len() <= 10);
            for e in entries {
                delivered.insert(e["propertyAlias"].as_str().unwrap().to_owned());
            }
        }
        for n in 0..23 {
            assert!(
                delivered.contains(&format!("/factory/plc1/p{n}")),
                "p{n} was sent"
            );
        }
        assert!(
            stub.throttled(),
            "the busy entry was throttled once, then retried"
        );
        let mut letters = Vec::new();
        while let Ok(l) = env.dead.try_recv() {
            letters.push(l);
        }
        let reasons: Vec<&str> = letters
            .iter()
            .map(|l| l["reason"].as_str().unwrap())
            .collect();
        assert_eq!(letters.len(), 2, "{reasons:?}");
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("ResourceNotFoundException")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.contains("not a reading")),
            "{reasons:?}"
        );
        assert_eq!(
            crate::counter(&env.metrics, "dropped_total", Some("rejected")),
            2.0
        );
    })
    .await;
}
