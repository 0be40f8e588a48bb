//! Record ids already processed, in a DynamoDB table (`recordId` key, `sequenceNumber`, and
//! `expiresAt` for DynamoDB's TTL).
//!
//! Check first, mark after the outputs succeeded: a record whose output failed is never marked,
//! so its retry is not mistaken for a duplicate. The stored sequence number tells a Kinesis
//! redelivery (same sequence number: a retry of the batch after another record failed, skipped
//! silently) from a gateway duplicate (another sequence number, dead-lettered). Records of one
//! device share a partition key and so a shard, which Lambda processes in order: two
//! invocations never race on one record id.

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Keys per BatchGetItem call (the API's limit).
const GET_CHUNK: usize = 100;
/// Items per BatchWriteItem call (the API's limit).
const PUT_CHUNK: usize = 25;
/// Rounds for unprocessed keys or items before giving up.
const ROUNDS: u32 = 5;

/// The table of processed record ids.
#[derive(Debug, Clone)]
pub struct DedupTable {
    client: aws_sdk_dynamodb::Client,
    table: String,
    ttl: Duration,
}

impl DedupTable {
    /// Record ids in `table`, remembered for `ttl`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: &str, ttl: Duration) -> Self {
        Self {
            client,
            table: table.to_owned(),
            ttl,
        }
    }

    /// Which of `ids` were processed before, with the sequence number they were processed at.
    ///
    /// # Errors
    ///
    /// The DynamoDB error text.
    pub async fn seen(&self, ids: &[String]) -> Result<HashMap<String, String>, String> {
        let unique: Vec<&String> = ids.iter().collect::<HashSet<_>>().into_iter().collect();
        let mut found = HashMap::new();
        for chunk in unique.chunks(GET_CHUNK) {
            let keys: Vec<_> = chunk
                .iter()
                .map(|id| {
                    HashMap::from([("recordId".to_owned(), AttributeValue::S((*id).clone()))])
                })
                .collect();
            let mut request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .projection_expression("recordId, sequenceNumber")
                .build()
                .map_err(|e| e.to_string())?;
            for round in 0..ROUNDS {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "dedup lookup on {} failed: {}",
                            self.table,
                            aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                        )
                    })?;
                for item in out
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    if let Some(AttributeValue::S(id)) = item.get("recordId") {
                        let seq = match item.get("sequenceNumber") {
                            Some(AttributeValue::S(s)) => s.clone(),
                            _ => String::new(),
                        };
                        found.insert(id.clone(), seq);
                    }
                }
                match out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                    Some(rest) if !rest.keys.is_empty() => request = rest,
                    _ => break,
                }
                if round + 1 == ROUNDS {
                    return Err(format!(
                        "dedup lookup on {} left keys unprocessed",
                        self.table
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50 << round)).await;
            }
        }
        Ok(found)
    }

    /// Remembers `(record id, sequence number)` pairs as processed at `now_s` (epoch seconds).
    ///
    /// # Errors
    ///
    /// The DynamoDB error text. The outputs are already written then; the caller only logs it
    /// (a later duplicate of these ids would be processed again).
    pub async fn mark(&self, entries: &[(String, String)], now_s: u64) -> Result<(), String> {
        let expires = (now_s + self.ttl.as_secs()).to_string();
        let unique: HashMap<&String, &String> = entries.iter().map(|(id, seq)| (id, seq)).collect();
        let requests: Vec<WriteRequest> = unique
            .into_iter()
            .filter_map(|(id, seq)| {
                let put = PutRequest::builder()
                    .item("recordId", AttributeValue::S(id.clone()))
                    .item("sequenceNumber", AttributeValue::S(seq.clone()))
                    .item("expiresAt", AttributeValue::N(expires.clone()))
                    .build()
                    .ok()?;
                Some(WriteRequest::builder().put_request(put).build())
            })
            .collect();
        for chunk in requests.chunks(PUT_CHUNK) {
            let mut pending = chunk.to_vec();
            for round in 0..ROUNDS {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "dedup mark on {} failed: {}",
                            self.table,
                            aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                        )
                    })?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if round + 1 == ROUNDS {
                    return Err(format!(
                        "dedup mark on {} left items unprocessed",
                        self.table
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50 << round)).await;
            }
        }
        Ok(())
    }
}
