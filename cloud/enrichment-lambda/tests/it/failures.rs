//! An output that fails fails only the records that needed it; Kinesis retries those, and the
//! retry is processed, not taken for a duplicate.

use crate::bounded;
use crate::lake::{
    DEDUP_TABLE, Lake, T0, batch, envelope, event, invoke_counted, kinesis_record, reading, seq,
};
use crate::moto::free_port;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

fn records() -> Vec<Value> {
    vec![
        kinesis_record(
            &seq(1),
            "pump-1",
            envelope(
                "store-4-1",
                "factory/raw/pump-1",
                batch(
                    "pump-1",
                    vec![reading("pump-1", "temp", json!(100.0), Some("degF"), T0)],
                ),
            )
            .to_string()
            .as_bytes(),
        ),
        kinesis_record(
            &seq(2),
            "pump-1",
            envelope(
                "store-4-2",
                "factory/agg/pump-1",
                json!({"schemaVersion": 1, "kind": "aggregates"}),
            )
            .to_string()
            .as_bytes(),
        ),
        kinesis_record(&seq(3), "pump-1", b"{\"truncated\": "),
    ]
}

async fn remembered(lake: &Lake, id: &str) -> bool {
    aws_sdk_dynamodb::Client::new(&lake.sdk)
        .get_item()
        .table_name(DEDUP_TABLE)
        .key("recordId", AttributeValue::S(id.into()))
        .send()
        .await
        .unwrap()
        .item
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_unreachable_fails_only_the_records_with_output_and_the_retry_lands() {
    bounded(async {
        let lake = Lake::start().await;
        let nowhere = format!("http://127.0.0.1:{}", free_port());
        let broken = lake.handler_at(&lake.moto.url, &nowhere, None).await;
        let (failed, counts) = invoke_counted(&broken, event(records())).await;
        assert_eq!(
            failed,
            [seq(1), seq(3)],
            "the readings and the dead letter could not be written"
        );
        assert_eq!(counts.failed_records, 2);
        assert_eq!(counts.readings_written, 0);
        assert!(
            !remembered(&lake, "store-4-1").await,
            "a failed record is not marked processed"
        );
        assert!(
            remembered(&lake, "store-4-2").await,
            "a record that needed no output is done"
        );

        // Kinesis retries from the first failed record on, with S3 back.
        let healthy = lake.handler().await;
        let (failed, counts) = invoke_counted(&healthy, event(records())).await;
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(
            (
                counts.readings_written,
                counts.duplicates,
                counts.redelivered
            ),
            (1, 0, 1)
        );
        assert_eq!(counts.dead_letters_by_rule.get("malformed"), Some(&1));
        assert_eq!(lake.lines("readings/").await.len(), 1);
        assert!(remembered(&lake, "store-4-1").await);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_unreachable_retries_the_decodable_records_only() {
    bounded(async {
        let lake = Lake::start().await;
        let nowhere = format!("http://127.0.0.1:{}", free_port());
        let handler = lake.handler_at(&nowhere, &lake.moto.url, None).await;
        let (failed, counts) = invoke_counted(&handler, event(records())).await;
        assert_eq!(
            failed,
            [seq(1), seq(2)],
            "de-duplication could not be checked"
        );
        assert_eq!(
            counts.dead_letters_by_rule.get("malformed"),
            Some(&1),
            "garbage needs no table"
        );
        assert!(lake.lines("readings/").await.is_empty());
        assert_eq!(lake.lines("dead-letter/").await.len(), 1);
    })
    .await;
}
