//! Bad input never fails the invocation: malformed records, unknown devices, out-of-range values
//! and duplicates are counted and dead-lettered with the reason; good data beside them lands.

use crate::bounded;
use crate::lake::{Lake, T0, batch, envelope, event, invoke_counted, kinesis_record, reading, seq};
use serde_json::{Value, json};

fn rule_of<'a>(letters: &'a [(String, Value)], rule: &str) -> Vec<&'a Value> {
    letters
        .iter()
        .map(|(_, l)| l)
        .filter(|l| l["rule"] == rule)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_records_are_dead_lettered_with_the_reason_and_good_ones_land() {
    bounded(async {
        let lake = Lake::start().await;
        let handler = lake.handler().await;
        let mut broken = batch(
            "pump-1",
            vec![reading("pump-1", "temp", json!(70.0), Some("degF"), T0)],
        );
        broken["readings"][0]["quality"] = json!("excellent");
        let mixed = envelope(
            "store-2-4",
            "factory/raw/pump-1",
            batch(
                "pump-1",
                vec![
                    reading("pump-1", "temp", json!(400.0), Some("degF"), T0),
                    reading("pump-1", "temp", json!(100.0), Some("degF"), T0 + 1),
                ],
            ),
        );
        let mut bad_base64 = kinesis_record(&seq(7), "pump-1", b"");
        bad_base64["kinesis"]["data"] = json!("%%% not base64 %%%");
        let records = vec![
            kinesis_record(&seq(1), "pump-1", b"\x7fnot json at all"),
            kinesis_record(
                &seq(2),
                "pump-1",
                envelope("store-2-2", "factory/raw/pump-1", broken)
                    .to_string()
                    .as_bytes(),
            ),
            kinesis_record(
                &seq(3),
                "press-9",
                envelope(
                    "store-2-3",
                    "factory/raw/press-9",
                    batch(
                        "press-9",
                        vec![reading("press-9", "force", json!(3.0), None, T0)],
                    ),
                )
                .to_string()
                .as_bytes(),
            ),
            kinesis_record(&seq(4), "pump-1", mixed.to_string().as_bytes()),
            kinesis_record(&seq(5), "pump-1", mixed.to_string().as_bytes()),
            kinesis_record(
                &seq(6),
                "pump-1",
                json!({"recordId": "store-2-6", "topic": "factory/raw/pump-1",
                "createdMs": T0, "messageText": "temp=70"})
                .to_string()
                .as_bytes(),
            ),
            bad_base64,
        ];
        let (failed, counts) = invoke_counted(&handler, event(records)).await;
        assert!(
            failed.is_empty(),
            "bad data must not be retried: {failed:?}"
        );
        assert_eq!(counts.records, 7);
        assert_eq!(counts.readings_written, 1);
        assert_eq!(counts.duplicates, 1);
        assert_eq!(counts.dead_letters, 7, "{:?}", counts.dead_letters_by_rule);
        let by_rule: Vec<(&str, u64)> = counts
            .dead_letters_by_rule
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            by_rule,
            [
                ("duplicate", 1),
                ("malformed", 4),
                ("range", 1),
                ("unknown-device", 1)
            ]
        );

        let rows = lake.lines("readings/").await;
        assert_eq!(rows.len(), 1);
        assert!((rows[0].1["value_double"].as_f64().unwrap() - 37.777_777_777_777_78).abs() < 1e-9);

        let letters = lake.lines("dead-letter/").await;
        assert_eq!(letters.len(), 7);
        assert!(
            letters
                .iter()
                .all(|(key, _)| key.starts_with("dead-letter/dt="))
        );
        for (_, l) in &letters {
            assert_eq!(l["kind"], "dead-letter");
            assert_eq!(l["component"], "EnrichmentLambda");
            assert!(l["sequenceNumber"].as_str().unwrap().starts_with("4959"));
        }
        let malformed = rule_of(&letters, "malformed");
        let reasons: Vec<&str> = malformed
            .iter()
            .map(|l| l["reason"].as_str().unwrap())
            .collect();
        assert!(
            reasons.iter().any(|r| r.contains("record is not JSON")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("malformed reading batch")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.contains("message is not JSON")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.contains("not base64")),
            "{reasons:?}"
        );
        let text = malformed
            .iter()
            .find(|l| l["recordId"] == "store-2-6")
            .unwrap();
        assert_eq!(text["payload"], "temp=70");
        let unknown = rule_of(&letters, "unknown-device")[0];
        assert!(
            unknown["reason"]
                .as_str()
                .unwrap()
                .contains("unknown device press-9")
        );
        assert_eq!(unknown["recordId"], "store-2-3");
        assert!(
            unknown["payload"].as_str().unwrap().contains("force"),
            "the batch is kept for replay"
        );
        let range = rule_of(&letters, "range")[0];
        assert!(
            range["reason"]
                .as_str()
                .unwrap()
                .contains("above the maximum 150"),
            "{range}"
        );
        assert_eq!(
            range["reading"]["value"], 400.0,
            "the reading as it arrived"
        );
        assert_eq!(range["sequenceNumber"], seq(4));
        let dup = rule_of(&letters, "duplicate")[0];
        assert_eq!(dup["sequenceNumber"], seq(5));
        assert!(dup["reason"].as_str().unwrap().contains(&seq(4)));

        // The gateway sends two of them again later: duplicates across invocations.
        let (failed, counts) = invoke_counted(
            &handler,
            event(vec![
                kinesis_record(&seq(9), "pump-1", mixed.to_string().as_bytes()),
                kinesis_record(
                    &seq(10),
                    "press-9",
                    envelope("store-2-3", "factory/raw/press-9", batch("press-9", vec![]))
                        .to_string()
                        .as_bytes(),
                ),
            ]),
        )
        .await;
        assert!(failed.is_empty());
        assert_eq!((counts.duplicates, counts.readings_written), (2, 0));
        assert_eq!(lake.lines("readings/").await.len(), 1);
        assert_eq!(
            rule_of(&lake.lines("dead-letter/").await, "duplicate").len(),
            3
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_device_metadata_is_dead_lettered_not_retried() {
    bounded(async {
        let lake = Lake::start().await;
        // A point item but no #device item with a factoryId.
        lake.put_item(
            &[("deviceId", "mixer-2"), ("pointId", "rpm")],
            &[("max", "3000")],
        )
        .await;
        let handler = lake.handler().await;
        let (failed, counts) = invoke_counted(
            &handler,
            event(vec![kinesis_record(
                &seq(1),
                "mixer-2",
                envelope(
                    "store-3-1",
                    "factory/raw/mixer-2",
                    batch(
                        "mixer-2",
                        vec![reading("mixer-2", "rpm", json!(1000), None, T0)],
                    ),
                )
                .to_string()
                .as_bytes(),
            )]),
        )
        .await;
        assert!(failed.is_empty());
        assert_eq!(counts.dead_letters_by_rule.get("device-metadata"), Some(&1));
        let letters = lake.lines("dead-letter/").await;
        assert!(
            letters[0].1["reason"]
                .as_str()
                .unwrap()
                .contains("factoryId"),
            "{:?}",
            letters[0].1
        );
    })
    .await;
}
