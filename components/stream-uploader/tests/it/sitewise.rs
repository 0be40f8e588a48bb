//! SiteWise against a stub that follows BatchPutAssetPropertyValue's documented shapes: the
//! `data.` host prefix, POST /properties, at most 10 entries per call, per-entry errors in
//! `errorEntries` (a retryable ThrottlingException and a final ResourceNotFoundException).

use crate::moto::sdk;
use crate::stub_http::Stub;
use crate::{bounded, drain_env, export, open_store, until_empty};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use stream_uploader::drain;
use stream_uploader::export::sitewise::SiteWiseExporter;
use stream_uploader::store::NewRecord;
use tokio_util::sync::CancellationToken;

fn handler(throttled_once: &AtomicBool, body: &[u8]) -> (u16, String) {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (400, json!({"message": "body is not JSON"}).to_string());
    };
    let entries = request["entries"].as_array().cloned().unwrap_or_default();
    if entries.is_empty() || entries.len() > 10 {
        return (400, json!({"message": "1 to 10 entries"}).to_string());
    }
    let mut errors = Vec::new();
    for e in &entries {
        let alias = e["propertyAlias"].as_str().unwrap_or_default();
        let id = e["entryId"].clone();
        if alias.contains("unknown") {
            errors.push(json!({"entryId": id, "errors": [{"errorCode": "ResourceNotFoundException",
                "errorMessage": "no property with this alias", "timestamps": [e["propertyValues"][0]["timestamp"]]}]}));
        } else if alias.contains("busy") && !throttled_once.swap(true, Ordering::SeqCst) {
            errors.push(json!({"entryId": id, "errors": [{"errorCode": "ThrottlingException",
                "errorMessage": "slow down", "timestamps": [e["propertyValues"][0]["timestamp"]]}]}));
        }
    }
    (200, json!({"errorEntries": errors}).to_string())
}

fn reading(point: &str, value: f64, time_ms: i64) -> Vec<u8> {
    json!({"source": {"device": "plc1", "point": point}, "value": value, "quality": "good",
           "gatewayTimeMs": time_ms})
    .to_string()
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_reach_sitewise_in_calls_of_ten_with_per_entry_errors_handled() {
    bounded(async {
        let throttled = std::sync::Arc::new(AtomicBool::new(false));
        let stub = {
            let throttled = throttled.clone();
            Stub::start(move |r| handler(&throttled, &r.body)).await
        };
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
        let exporter = SiteWiseExporter::new(&sdk(&stub.url).await, "/factory/{device}/{point}");
        let stop = CancellationToken::new();
        let task = tokio::spawn(drain::run(sw, exporter, env.env.clone(), stop.clone()));
        until_empty(&store, "sw", Duration::from_secs(30)).await;
        stop.cancel();
        task.await.unwrap();

        let requests = stub.requests.lock().unwrap().clone();
        let mut delivered = HashSet::new();
        for r in &requests {
            assert_eq!(r.path, "/properties");
            assert!(
                r.host.starts_with("data.127.0.0.1"),
                "the SDK's data. host prefix: {}",
                r.host
            );
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let entries = body["entries"].as_array().unwrap();
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
            throttled.load(Ordering::SeqCst),
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
