//! The `bootstrap` binary under a stand-in of the Lambda Runtime API (the documented
//! `/2018-06-01/runtime/invocation/next` and `/{id}/response` calls): settings from the
//! environment, clients on moto, the batch response posted back.

use crate::bounded;
use crate::lake::{
    BUCKET, DEDUP_TABLE, DEVICE_TABLE, Lake, T0, batch, envelope, event, kinesis_record, reading,
    seq,
};
use crate::stub_http::Stub;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_the_runtime_api_with_the_batch_response() {
    bounded(async {
        let lake = Lake::start().await;
        let payload = event(vec![
            kinesis_record(&seq(1), "pump-1", envelope("store-6-1", "factory/raw/pump-1", batch("pump-1", vec![
                reading("pump-1", "temp", json!(98.6), Some("degF"), T0)])).to_string().as_bytes()),
            kinesis_record(&seq(2), "pump-1", b"garbage"),
        ]);
        let served = Arc::new(AtomicUsize::new(0));
        let runtime = {
            let (served, body) = (served.clone(), payload.to_string());
            Stub::start_with_headers(move |r| {
                if !r.path.ends_with("/invocation/next") {
                    return (202, Vec::new(), "{}".into());
                }
                if served.fetch_add(1, Ordering::SeqCst) > 0 {
                    // One event is enough: a failed poll ends the runtime loop.
                    return (500, Vec::new(), json!({"errorMessage": "no more events"}).to_string());
                }
                let headers = [
                    ("Lambda-Runtime-Aws-Request-Id", "req-42"),
                    ("Lambda-Runtime-Deadline-Ms", "4102444800000"),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:enrichment"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
                ];
                (200, headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(), body.clone())
            })
            .await
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", runtime.url.trim_start_matches("http://"))
            .env("AWS_LAMBDA_FUNCTION_NAME", "enrichment")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "stream")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/enrichment")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &lake.moto.url)
            .env("DEVICE_TABLE", DEVICE_TABLE)
            .env("DEDUP_TABLE", DEDUP_TABLE)
            .env("PROCESSED_BUCKET", BUCKET)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();

        let deadline = Instant::now() + Duration::from_secs(60);
        let response = loop {
            let posted = runtime.requests.lock().unwrap().iter()
                .find(|r| r.path.ends_with("/req-42/response") || r.path.ends_with("/req-42/error"))
                .cloned();
            if let Some(r) = posted {
                break r;
            }
            assert!(Instant::now() < deadline, "no response posted to the runtime API");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        assert!(response.path.ends_with("/2018-06-01/runtime/invocation/req-42/response"), "{}", response.path);
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body, json!({"batchItemFailures": []}));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("\"Namespace\":\"SmartFactory/Enrichment\""), "{stdout}");
        let rows = lake.lines("readings/").await;
        assert_eq!(rows.len(), 1);
        assert!((rows[0].1["value_double"].as_f64().unwrap() - 37.0).abs() < 1e-9);
        assert_eq!(lake.lines("dead-letter/").await.len(), 1);
    })
    .await;
}
