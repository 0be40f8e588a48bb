//! Sparkplug B through mosquitto: BIRTH declares names and aliases, DATA carries aliases only;
//! signed types, a payload that does not parse, and an alias nobody declared.

use crate::mosquitto::{Mosquitto, Security};
use crate::sparkplug_wire::{V, metric, payload};
use crate::{Rig, bounded, broker_config};
use edge_model::{Quality, Value};
use serde_json::json;

#[tokio::test]
async fn birth_aliases_resolve_data_metrics_and_bad_payloads_are_skipped() {
    let b = Mosquitto::start(Security::Open);
    let mut rig = Rig::start(
        json!({
            "brokers": {"scada": broker_config(&b, json!({}))},
            "subscriptions": {"spb": {"broker": "scada", "topic": "spBv1.0/plant1/#", "format": "sparkplugB"}},
        }),
        None,
    );
    let nbirth = payload(
        1_700_000_000_000,
        &[
            metric(Some("Line/Speed"), Some(1), 10, V::Double(0.0)),
            metric(Some("Line/Running"), Some(2), 11, V::Bool(false)),
        ],
        0,
    );
    let dbirth = payload(
        1_700_000_000_001,
        &[
            metric(Some("Temp"), Some(10), 9, V::Float(0.0)),
            metric(Some("Offset"), Some(11), 1, V::Int(0)),
            metric(Some("Count"), Some(12), 4, V::Long(0)),
            metric(Some("Mode"), Some(13), 12, V::Str("IDLE")),
        ],
        1,
    );
    bounded(async {
        // BIRTH metrics publish too; repeat until the subscription is in place.
        let r = rig
            .publish_until("Line/Speed", || {
                b.publish("spBv1.0/plant1/NBIRTH/edge1", &nbirth);
            })
            .await;
        assert_eq!(r.source().device().as_str(), "edge1");
        b.publish("spBv1.0/plant1/DBIRTH/edge1/filler", &dbirth);

        let ndata = payload(
            1_700_000_000_100,
            &[metric(None, Some(1), 10, V::Double(1.25))],
            2,
        );
        let r = rig
            .publish_until("Line/Speed", || {
                b.publish("spBv1.0/plant1/NDATA/edge1", &ndata)
            })
            .await;
        assert_eq!(r.value(), Some(&Value::Float(1.25)));
        assert_eq!(r.device_time_ms(), Some(1_700_000_000_100));

        // Aliases only, datatypes from the BIRTH: Int8 -3 sent as 32-bit two's complement,
        // Int64 -5 as 64-bit two's complement.
        let ddata = payload(
            1_700_000_000_200,
            &[
                metric(None, Some(10), 9, V::Float(71.5)),
                metric(None, Some(11), 1, V::Int((-3i32) as u32)),
                metric(None, Some(12), 4, V::Long((-5i64) as u64)),
                metric(None, Some(13), 12, V::Str("RUN")),
                metric(None, Some(99), 9, V::Float(1.0)),
            ],
            3,
        );
        let mut got = std::collections::BTreeMap::new();
        while got.len() < 4 {
            b.publish("spBv1.0/plant1/DDATA/edge1/filler", &ddata);
            let deadline = tokio::time::sleep(std::time::Duration::from_millis(300));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    r = rig.readings.recv() => {
                        let r = r.expect("running");
                        if r.source().device().as_str() == "filler" {
                            got.insert(r.source().point().to_owned(), r);
                        }
                    }
                    () = &mut deadline => break,
                }
            }
        }
        assert_eq!(got["Temp"].value(), Some(&Value::Float(71.5)));
        assert_eq!(got["Offset"].value(), Some(&Value::Int(-3)));
        assert_eq!(got["Count"].value(), Some(&Value::Int(-5)));
        assert_eq!(got["Mode"].value(), Some(&Value::from("RUN")));
        assert!(got.values().all(|r| r.quality() == Quality::Good));
        assert!(
            !got.contains_key("99"),
            "an undeclared alias gives no reading"
        );
        assert!(
            rig.counter("DecodeErrors") >= 1,
            "the undeclared alias is counted"
        );

        // A payload that does not parse is counted; the next good one still flows.
        let before = rig.counter("DecodeErrors");
        b.publish("spBv1.0/plant1/NDATA/edge1", &[0x0a, 0xff, 0xff]);
        let ndata2 = payload(
            1_700_000_000_300,
            &[metric(None, Some(2), 11, V::Bool(true))],
            4,
        );
        let r = rig
            .publish_until("Line/Running", || {
                b.publish("spBv1.0/plant1/NDATA/edge1", &ndata2)
            })
            .await;
        assert_eq!(r.value(), Some(&Value::Bool(true)));
        assert!(rig.counter("DecodeErrors") > before);
    })
    .await;
}
