//! The function's surroundings on moto: device-metadata and dedup tables, processed bucket,
//! and a handler wired to them; plus Kinesis events in the documented Lambda shape.

use crate::moto::{Moto, sdk};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use base64::Engine;
use enrichment_lambda::event::KinesisEvent;
use enrichment_lambda::handler::Clients;
use enrichment_lambda::summary::Summary;
use enrichment_lambda::{Handler, Settings};
use serde_json::{Value, json};
use std::collections::HashMap;

pub const DEVICE_TABLE: &str = "smart-factory-Development-device-metadata";
pub const DEDUP_TABLE: &str = "smart-factory-Development-enrichment-dedup";
pub const BUCKET: &str = "smart-factory-development-processed";
/// 2025-11-26T08:00:00Z.
pub const T0: i64 = 1_764_144_000_000;

pub struct Lake {
    pub moto: Moto,
    pub sdk: aws_config::SdkConfig,
}

impl Lake {
    /// moto with both tables, the bucket, and pump-1 (factory-1, centrifugal pump; `temp`
    /// arrives in degF and is stored in degC within -20..150; `state` 0..3) registered.
    pub async fn start() -> Self {
        let moto = Moto::start();
        let sdk = sdk(&moto.url).await;
        let ddb = aws_sdk_dynamodb::Client::new(&sdk);
        create_table(&ddb, DEVICE_TABLE, &["deviceId", "pointId"]).await;
        create_table(&ddb, DEDUP_TABLE, &["recordId"]).await;
        aws_sdk_s3::Client::new(&sdk)
            .create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap();
        let lake = Self { moto, sdk };
        lake.put_item(
            &[
                ("deviceId", "pump-1"),
                ("pointId", "#device"),
                ("factoryId", "factory-1"),
                ("lineId", "factory-1-line-1"),
                ("machineType", "centrifugal-pump"),
            ],
            &[],
        )
        .await;
        lake.put_item(
            &[
                ("deviceId", "pump-1"),
                ("pointId", "temp"),
                ("unit", "degC"),
                ("sourceUnit", "degF"),
            ],
            &[
                ("scale", "0.5555555555555556"),
                ("offset", "-17.77777777777778"),
                ("min", "-20"),
                ("max", "150"),
            ],
        )
        .await;
        lake.put_item(
            &[("deviceId", "pump-1"), ("pointId", "state")],
            &[("min", "0"), ("max", "3")],
        )
        .await;
        lake
    }

    pub async fn put_item(&self, strings: &[(&str, &str)], numbers: &[(&str, &str)]) {
        let mut item: HashMap<String, AttributeValue> = HashMap::new();
        for (k, v) in strings {
            item.insert((*k).into(), AttributeValue::S((*v).into()));
        }
        for (k, v) in numbers {
            item.insert((*k).into(), AttributeValue::N((*v).into()));
        }
        aws_sdk_dynamodb::Client::new(&self.sdk)
            .put_item()
            .table_name(DEVICE_TABLE)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }

    pub fn settings(&self, sitewise: bool) -> Settings {
        let mut env: HashMap<&str, &str> = HashMap::from([
            ("DEVICE_TABLE", DEVICE_TABLE),
            ("DEDUP_TABLE", DEDUP_TABLE),
            ("PROCESSED_BUCKET", BUCKET),
        ]);
        if sitewise {
            env.insert("SITEWISE_ALIAS_TEMPLATE", "/factory/{device}/{point}");
        }
        Settings::from_lookup(|k| env.get(k).map(|v| (*v).to_owned())).unwrap()
    }

    /// A handler on moto, without SiteWise.
    pub async fn handler(&self) -> Handler {
        self.handler_at(&self.moto.url, &self.moto.url, None).await
    }

    /// A handler whose DynamoDB and S3 are at the given endpoints, with SiteWise at
    /// `sitewise` if given.
    pub async fn handler_at(&self, dynamodb: &str, s3: &str, sitewise: Option<&str>) -> Handler {
        Handler::new(
            self.settings(sitewise.is_some()),
            Clients {
                dynamodb: aws_sdk_dynamodb::Client::new(&sdk(dynamodb).await),
                s3: aws_sdk_s3::Client::new(&sdk(s3).await),
                sitewise: aws_sdk_iotsitewise::Client::new(&sdk(sitewise.unwrap_or(s3)).await),
            },
        )
    }

    /// Every JSON line under `prefix`, with the key it was in.
    pub async fn lines(&self, prefix: &str) -> Vec<(String, Value)> {
        let s3 = aws_sdk_s3::Client::new(&self.sdk);
        let listed = s3
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix(prefix)
            .send()
            .await
            .unwrap();
        let mut out = Vec::new();
        for object in listed.contents() {
            let key = object.key().unwrap().to_owned();
            let body = s3
                .get_object()
                .bucket(BUCKET)
                .key(&key)
                .send()
                .await
                .unwrap();
            let bytes = body.body.collect().await.unwrap().into_bytes();
            for line in std::str::from_utf8(&bytes).unwrap().lines() {
                out.push((key.clone(), serde_json::from_str(line).unwrap()));
            }
        }
        out
    }
}

async fn create_table(ddb: &aws_sdk_dynamodb::Client, name: &str, keys: &[&str]) {
    let mut request = ddb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for (i, key) in keys.iter().enumerate() {
        request = request
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(*key)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(*key)
                    .key_type(if i == 0 {
                        KeyType::Hash
                    } else {
                        KeyType::Range
                    })
                    .build()
                    .unwrap(),
            );
    }
    request.send().await.unwrap();
}

/// A reading in the edge model's JSON.
pub fn reading(device: &str, point: &str, value: Value, unit: Option<&str>, t: i64) -> Value {
    let mut r = json!({"source": {"device": device, "point": point}, "value": value,
                       "quality": "good", "gatewayTimeMs": t});
    if let Some(u) = unit {
        r["unit"] = json!(u);
    }
    r
}

/// A reading batch in the edge model's JSON.
pub fn batch(device: &str, readings: Vec<Value>) -> Value {
    json!({"schemaVersion": 1, "kind": "readings", "gatewayId": "gw-1", "device": device,
           "sequence": 0, "readings": readings})
}

/// The StreamUploader envelope of a message (its `kinesis` export's record data).
pub fn envelope(record_id: &str, topic: &str, message: Value) -> Value {
    json!({"recordId": record_id, "topic": topic, "createdMs": T0, "message": message})
}

/// One record of a Kinesis event, in the shape Lambda's event source mapping delivers.
pub fn kinesis_record(sequence: &str, partition_key: &str, data: &[u8]) -> Value {
    json!({
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence,
            "data": base64::engine::general_purpose::STANDARD.encode(data),
            "approximateArrivalTimestamp": 1_764_144_000.123
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": format!("shardId-000000000000:{sequence}"),
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/smart-factory-enrichment",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/smart-factory-Development-telemetry"
    })
}

pub fn event(records: Vec<Value>) -> Value {
    json!({"Records": records})
}

/// Runs the handler as the runtime does and returns the sequence numbers it asks to retry.
pub async fn invoke(handler: &Handler, event: Value) -> Vec<String> {
    let response = handler.handle(event, "req-1").await.unwrap();
    response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs the handler on a Kinesis event and returns the records to retry and the counts.
pub async fn invoke_counted(handler: &Handler, event: Value) -> (Vec<String>, Summary) {
    let event: KinesisEvent = serde_json::from_value(event).unwrap();
    let (response, summary) = handler.handle_kinesis(&event).await;
    let failed = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    (failed, summary)
}

/// Sequence numbers as Kinesis writes them (56 digits, increasing).
pub fn seq(n: u32) -> String {
    format!("4959033827149025660855969253836157109592157598913658{n:04}")
}
