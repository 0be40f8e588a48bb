//! The invocation payloads, as documented for Lambda's Kinesis event source and for an IoT rule's
//! Lambda action, and the `ReportBatchItemFailures` response.
//!
//! Own structs rather than `aws_lambda_events`: every field is optional and `data` stays text,
//! so one odd record becomes one dead letter instead of failing the whole invocation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Kinesis event (`{"Records":[{"kinesis":{…},"eventID":…}]}`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KinesisEvent {
    /// The records, oldest first.
    #[serde(rename = "Records", default)]
    pub records: Vec<KinesisEventRecord>,
}

/// One record of a [`KinesisEvent`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KinesisEventRecord {
    /// `shardId-…:sequenceNumber`.
    #[serde(rename = "eventID", default)]
    pub event_id: String,
    /// The stream's ARN.
    #[serde(rename = "eventSourceARN", default)]
    pub event_source_arn: String,
    /// The Kinesis part.
    #[serde(default)]
    pub kinesis: KinesisData,
}

/// The `kinesis` object of a record.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisData {
    /// The record's bytes, base64.
    #[serde(default)]
    pub data: String,
    /// Identifies the record in the batch response.
    #[serde(default)]
    pub sequence_number: String,
    /// The key the producer chose (the device).
    #[serde(default)]
    pub partition_key: String,
    /// When Kinesis took the record, epoch seconds.
    #[serde(default)]
    pub approximate_arrival_timestamp: f64,
}

impl KinesisEventRecord {
    /// The shard the record came from (`eventID` up to the colon).
    pub fn shard_id(&self) -> &str {
        self.event_id
            .split_once(':')
            .map_or("shard", |(shard, _)| shard)
    }
}

/// The response that tells Lambda which records to retry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    /// Records that failed, by sequence number.
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<BatchItemFailure>,
}

/// One failed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItemFailure {
    /// The record's sequence number.
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// What the function was invoked with.
#[derive(Debug, Clone)]
pub enum Invocation {
    /// A batch from the Kinesis event source mapping.
    Kinesis(KinesisEvent),
    /// The IoT alarm rule's `SELECT *, …` of one uploader message (`{"records":[…],…}`),
    /// invoked directly.
    IotRule(Value),
    /// Anything else.
    Unknown(String),
}

impl Invocation {
    /// Tells the two documented shapes apart.
    pub fn classify(payload: Value) -> Self {
        if payload.get("Records").is_some() {
            return match serde_json::from_value(payload) {
                Ok(event) => Self::Kinesis(event),
                Err(e) => Self::Unknown(format!("a Records event that is not Kinesis's: {e}")),
            };
        }
        if payload.get("records").is_some_and(Value::is_array) {
            return Self::IotRule(payload);
        }
        let start: String = payload.to_string().chars().take(200).collect();
        Self::Unknown(format!(
            "neither a Kinesis event nor an IoT rule message: {start}"
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_documented_kinesis_shape() {
        let event = json!({"Records": [{
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "pump-1",
                "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
                "data": "eyJhIjoxfQ==", "approximateArrivalTimestamp": 1545084650.987},
            "eventSource": "aws:kinesis", "eventVersion": "1.0",
            "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
            "eventName": "aws:kinesis:record", "invokeIdentityArn": "arn:aws:iam::123456789012:role/r",
            "awsRegion": "us-east-2", "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/s"}]});
        let Invocation::Kinesis(event) = Invocation::classify(event) else {
            panic!("not Kinesis")
        };
        let r = &event.records[0];
        assert_eq!(r.shard_id(), "shardId-000000000006");
        assert_eq!(r.kinesis.partition_key, "pump-1");
        assert_eq!(r.kinesis.data, "eyJhIjoxfQ==");
    }

    #[test]
    fn the_response_uses_lambdas_field_names() {
        let r = BatchResponse {
            batch_item_failures: vec![BatchItemFailure {
                item_identifier: "42".into(),
            }],
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"batchItemFailures": [{"itemIdentifier": "42"}]})
        );
    }

    #[test]
    fn other_payloads_are_told_apart() {
        assert!(matches!(
            Invocation::classify(json!({"records": [], "device": "d"})),
            Invocation::IotRule(_)
        ));
        assert!(matches!(
            Invocation::classify(json!({"hello": 1})),
            Invocation::Unknown(_)
        ));
        assert!(matches!(
            Invocation::classify(json!({"Records": 5})),
            Invocation::Unknown(_)
        ));
    }
}
