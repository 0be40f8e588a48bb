//! Good data end to end: converted, enriched, partitioned for Athena, remembered.

use crate::bounded;
use crate::lake::{
    DEDUP_TABLE, Lake, T0, batch, envelope, event, invoke, invoke_counted, kinesis_record, reading,
    seq,
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_land_converted_and_enriched_in_the_glue_partition() {
    bounded(async {
        let lake = Lake::start().await;
        let handler = lake.handler().await;
        let day2 = T0 + 24 * 3600 * 1000;
        let uploader = envelope("store-1-1", "factory/raw/pump-1", batch("pump-1", vec![
            reading("pump-1", "temp", json!(212.0), Some("degF"), T0),
            reading("pump-1", "speed", json!(1450), Some("rpm"), T0 + 1),
        ]));
        // The IoT telemetry rule's form: SELECT *, topic(2) AS gatewayId, ... of a {"records":[…]} message.
        let rule = json!({"records": [
                envelope("store-1-2", "factory/filtered/pump-1", batch("pump-1", vec![
                    reading("pump-1", "temp", json!(32.0), Some("degF"), day2)])),
                envelope("store-1-3", "factory/agg/pump-1", json!({"schemaVersion": 1, "kind": "aggregates"})),
            ], "gatewayId": "gw-1", "kind": "filtered", "device": "pump-1", "ingestMs": T0});
        let failed = invoke(&handler, event(vec![
            kinesis_record(&seq(1), "pump-1", uploader.to_string().as_bytes()),
            kinesis_record(&seq(2), "pump-1", rule.to_string().as_bytes()),
        ])).await;
        assert!(failed.is_empty(), "{failed:?}");

        let rows = lake.lines("readings/").await;
        assert_eq!(rows.len(), 3, "{rows:?}");
        let (key, temp) = rows.iter().find(|(_, r)| r["record_id"] == "store-1-1" && r["point"] == "temp").unwrap();
        assert!(key.starts_with("readings/dt=2025-11-26/shardId-000000000000-"), "{key}");
        assert!(key.ends_with(".jsonl"));
        assert!((temp["value_double"].as_f64().unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(temp["unit"], "degC");
        assert_eq!(temp["factory_id"], "factory-1");
        assert_eq!(temp["line_id"], "factory-1-line-1");
        assert_eq!(temp["machine_type"], "centrifugal-pump");
        assert_eq!(temp["gateway_id"], "gw-1");
        assert_eq!(temp["quality"], "good");
        assert_eq!(temp["gateway_time_ms"], T0);
        let (_, speed) = rows.iter().find(|(_, r)| r["point"] == "speed").unwrap();
        assert_eq!(speed["value_double"], 1450.0);
        assert_eq!(speed["unit"], "rpm", "points without metadata keep their unit");
        let (key2, freezing) = rows.iter().find(|(_, r)| r["record_id"] == "store-1-2").unwrap();
        assert!(key2.starts_with("readings/dt=2025-11-27/"), "{key2}");
        assert!(freezing["value_double"].as_f64().unwrap().abs() < 1e-9);
        assert!(lake.lines("dead-letter/").await.is_empty());

        // Every processed record id is remembered, with the sequence number it came at.
        let ddb = aws_sdk_dynamodb::Client::new(&lake.sdk);
        for (id, at) in [("store-1-1", seq(1)), ("store-1-2", seq(2)), ("store-1-3", seq(2))] {
            let item = ddb.get_item().table_name(DEDUP_TABLE)
                .key("recordId", aws_sdk_dynamodb::types::AttributeValue::S(id.into()))
                .send().await.unwrap().item.unwrap_or_else(|| panic!("{id} not remembered"));
            assert_eq!(item["sequenceNumber"].as_s().unwrap(), &at);
            assert!(item["expiresAt"].as_n().unwrap().parse::<u64>().unwrap() > T0 as u64 / 1000);
        }

        // Kinesis delivers the same records again (as after a partial failure): nothing new.
        let (failed, counts) = invoke_counted(&handler, event(vec![
            kinesis_record(&seq(1), "pump-1", uploader.to_string().as_bytes()),
        ])).await;
        assert!(failed.is_empty());
        assert_eq!((counts.redelivered, counts.duplicates, counts.readings_written), (1, 0, 0));
        assert_eq!(lake.lines("readings/").await.len(), 3);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alarm_rules_direct_call_goes_through_the_same_pipeline() {
    bounded(async {
        let lake = Lake::start().await;
        let handler = lake.handler().await;
        let message = json!({"records": [envelope("store-9-1", "factory/raw/pump-1",
            batch("pump-1", vec![reading("pump-1", "temp", json!(50.0), Some("degF"), T0)]))],
            "gatewayId": "gw-1", "device": "pump-1", "ingestMs": T0});
        let answer = handler.handle(message, "request-7").await.unwrap();
        assert!(answer.is_null());
        let rows = lake.lines("readings/").await;
        assert_eq!(rows.len(), 1);
        assert!(rows[0].0.contains("iot-rule-request-7"), "{}", rows[0].0);
    })
    .await;
}
