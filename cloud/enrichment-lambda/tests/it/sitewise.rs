//! Machine states to SiteWise, against aws-edge's SiteWise stub (no peer implements SiteWise),
//! which follows BatchPutAssetPropertyValue's documented shapes: the `data.` host prefix, POST
//! /properties, 1 to 10 entries, per-entry errors in `errorEntries`.

use crate::bounded;
use crate::lake::{Lake, T0, batch, envelope, event, invoke_counted, kinesis_record, reading, seq};
use aws_edge::testing::sitewise_stub::SiteWiseStub;
use serde_json::{Value, json};

fn states(device: &str, n: i64) -> Value {
    batch(
        device,
        (0..n)
            .map(|i| {
                reading(
                    device,
                    if i % 3 == 0 {
                        "state"
                    } else if i % 3 == 1 {
                        "good_parts"
                    } else {
                        "total_parts"
                    },
                    json!(i % 3),
                    None,
                    T0 + i,
                )
            })
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn states_go_to_sitewise_ten_per_call_and_only_the_throttled_record_is_retried() {
    bounded(async {
        let lake = Lake::start().await;
        for device in ["pump-2", "pump-3"] {
            lake.put_item(
                &[
                    ("deviceId", device),
                    ("pointId", "#device"),
                    ("factoryId", "factory-1"),
                ],
                &[],
            )
            .await;
        }
        // pump-2 has no SiteWise property; pump-3's first call is throttled.
        let stub = SiteWiseStub::start("/pump-2/", "/pump-3/").await;
        let handler = lake
            .handler_at(&lake.moto.url, &lake.moto.url, Some(stub.url()))
            .await;
        let records = || {
            vec![
                kinesis_record(
                    &seq(1),
                    "pump-1",
                    envelope("store-5-1", "factory/state/pump-1", states("pump-1", 23))
                        .to_string()
                        .as_bytes(),
                ),
                kinesis_record(
                    &seq(2),
                    "pump-2",
                    envelope("store-5-2", "factory/state/pump-2", states("pump-2", 1))
                        .to_string()
                        .as_bytes(),
                ),
                kinesis_record(
                    &seq(3),
                    "pump-3",
                    envelope("store-5-3", "factory/state/pump-3", states("pump-3", 2))
                        .to_string()
                        .as_bytes(),
                ),
                // Not a state topic: lake only.
                kinesis_record(
                    &seq(4),
                    "pump-1",
                    envelope("store-5-4", "factory/raw/pump-1", states("pump-1", 2))
                        .to_string()
                        .as_bytes(),
                ),
            ]
        };
        let (failed, counts) = invoke_counted(&handler, event(records())).await;
        assert_eq!(failed, [seq(3)], "only the throttled record is retried");
        assert_eq!(counts.states_sent, 23 + 1);
        assert_eq!(counts.dead_letters_by_rule.get("sitewise"), Some(&1));

        let calls = stub.calls();
        assert_eq!(calls.len(), 3, "26 entries in calls of at most 10");
        let mut aliases = Vec::new();
        for e in calls.iter().flatten() {
            aliases.push(e["propertyAlias"].as_str().unwrap().to_owned());
            let v = &e["propertyValues"][0];
            assert!(
                v["value"]["integerValue"].is_i64(),
                "states are integers: {v}"
            );
            assert_eq!(v["quality"], "GOOD");
            assert_eq!(v["timestamp"]["timeInSeconds"], T0 / 1000);
        }
        assert!(aliases.contains(&"/factory/pump-1/state".to_owned()));
        assert!(aliases.contains(&"/factory/pump-1/total_parts".to_owned()));
        assert_eq!(
            aliases.len(),
            23 + 1 + 2,
            "states only: the raw topic's readings stay out"
        );
        let letters = lake.lines("dead-letter/").await;
        assert!(
            letters[0].1["reason"]
                .as_str()
                .unwrap()
                .contains("ResourceNotFoundException")
        );
        let rows = lake.lines("readings/").await;
        assert_eq!(rows.len(), 23 + 1 + 2, "pump-3's rows wait for its retry");

        // The retry from seq(3) on: pump-3's states go through now, seq(4) was done.
        let (failed, counts) = invoke_counted(&handler, event(records().split_off(2))).await;
        assert!(failed.is_empty());
        assert_eq!((counts.states_sent, counts.redelivered), (2, 1));
        assert_eq!(lake.lines("readings/").await.len(), 23 + 1 + 2 + 2);
        assert!(stub.throttled());
    })
    .await;
}
