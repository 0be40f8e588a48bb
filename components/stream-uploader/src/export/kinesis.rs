//! Kinesis Data Streams PutRecords. The call can succeed with some records failed
//! (`FailedRecordCount`): only those are retried. Partition key by device keeps one device's
//! records in order on one shard.

use super::{Exporter, Outcome, classify, envelope};
use crate::store::StoredRecord;
use crate::validate::{KINESIS_MAX_RECORD_BYTES, PartitionKey};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;

/// The Kinesis exporter.
#[derive(Debug, Clone)]
pub struct KinesisExporter {
    client: aws_sdk_kinesis::Client,
    stream_name: String,
    partition_key: PartitionKey,
    thing_name: String,
}

impl KinesisExporter {
    /// An exporter for `stream_name`.
    pub fn new(
        sdk: &aws_config::SdkConfig,
        stream_name: &str,
        partition_key: PartitionKey,
        thing_name: &str,
    ) -> Self {
        Self {
            client: aws_sdk_kinesis::Client::new(sdk),
            stream_name: stream_name.to_owned(),
            partition_key,
            thing_name: thing_name.to_owned(),
        }
    }

    fn key_of(&self, store_id: &str, record: &StoredRecord) -> String {
        let key = match self.partition_key {
            PartitionKey::Device => envelope::device_of(&record.topic).to_owned(),
            PartitionKey::Thing => self.thing_name.clone(),
            PartitionKey::Record => envelope::record_id(store_id, record.seq),
        };
        // Kinesis: 1..=256 Unicode characters.
        if key.is_empty() {
            "-".to_owned()
        } else {
            key.chars().take(256).collect()
        }
    }
}

impl Exporter for KinesisExporter {
    async fn send(&self, store_id: &str, batch: &[StoredRecord]) -> Vec<Outcome> {
        let mut outcomes = vec![Outcome::Delivered; batch.len()];
        let mut sent = Vec::new();
        let mut entries = Vec::new();
        for (i, record) in batch.iter().enumerate() {
            let data = envelope::encode(store_id, record);
            let key = self.key_of(store_id, record);
            if (data.len() + key.len()) as u64 > KINESIS_MAX_RECORD_BYTES {
                outcomes[i] = Outcome::Reject(format!(
                    "record of {} bytes exceeds Kinesis's {} byte record limit",
                    data.len() + key.len(),
                    KINESIS_MAX_RECORD_BYTES
                ));
                continue;
            }
            let entry = PutRecordsRequestEntry::builder()
                .data(Blob::new(data))
                .partition_key(key)
                .build();
            match entry {
                Ok(entry) => {
                    entries.push(entry);
                    sent.push(i);
                }
                Err(e) => outcomes[i] = Outcome::Reject(format!("invalid Kinesis record: {e}")),
            }
        }
        if entries.is_empty() {
            return outcomes;
        }
        let reply = self
            .client
            .put_records()
            .stream_name(&self.stream_name)
            .set_records(Some(entries))
            .send()
            .await;
        let output = match reply {
            Ok(output) => output,
            Err(e) => {
                let outcome = classify::call_failed("Kinesis PutRecords", &e);
                for i in sent {
                    outcomes[i] = outcome.clone();
                }
                return outcomes;
            }
        };
        let results = output.records();
        if results.len() != sent.len() {
            // An answer that does not match the request: the destination is answering garbage.
            let outcome = Outcome::Reject(format!(
                "refused for good: Kinesis PutRecords answered {} results for {} records",
                results.len(),
                sent.len()
            ));
            for i in sent {
                outcomes[i] = outcome.clone();
            }
            return outcomes;
        }
        for (i, result) in sent.into_iter().zip(results) {
            if let Some(code) = result.error_code() {
                let reason = format!(
                    "Kinesis record failed: {code}: {}",
                    result.error_message().unwrap_or_default()
                );
                outcomes[i] = if classify::is_throttling(code) {
                    Outcome::Throttled(reason)
                } else {
                    Outcome::Retry(reason)
                };
            }
        }
        outcomes
    }
}
