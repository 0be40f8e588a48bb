//! Device metadata from DynamoDB, cached across invocations (a warm Lambda keeps its memory).
//! Unknown devices are cached too, so a gateway sending for an unregistered device does not
//! cost one query per record.

use crate::metadata::{self, DeviceMeta};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The answer for one device.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Known, with its metadata.
    Known(Arc<DeviceMeta>),
    /// No items for this device.
    Unknown,
    /// Items that do not make usable metadata.
    Invalid(String),
}

/// Device metadata reader with a time-bounded cache.
#[derive(Debug)]
pub struct Directory {
    client: aws_sdk_dynamodb::Client,
    table: String,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Lookup)>>,
}

impl Directory {
    /// A directory over `table`; entries are re-read after `ttl`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: &str, ttl: Duration) -> Self {
        Self {
            client,
            table: table.to_owned(),
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The metadata of `device`.
    ///
    /// # Errors
    ///
    /// The DynamoDB error text when the table cannot be read (the caller retries the record).
    pub async fn lookup(&self, device: &str) -> Result<Lookup, String> {
        if let Some(hit) = self.cached(device) {
            return Ok(hit);
        }
        let items = self.query(device).await?;
        let found = match metadata::from_items(&items) {
            Ok(Some(meta)) => Lookup::Known(Arc::new(meta)),
            Ok(None) => Lookup::Unknown,
            Err(e) => Lookup::Invalid(e.to_string()),
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(device.to_owned(), (Instant::now(), found.clone()));
        }
        Ok(found)
    }

    fn cached(&self, device: &str) -> Option<Lookup> {
        let cache = self.cache.lock().ok()?;
        let (at, hit) = cache.get(device)?;
        (at.elapsed() < self.ttl).then(|| hit.clone())
    }

    async fn query(&self, device: &str) -> Result<Vec<HashMap<String, AttributeValue>>, String> {
        let mut items = Vec::new();
        let mut start = None;
        // A device has one item per point: a few pages at most; the bound guards a bad table.
        for _ in 0..100 {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("deviceId = :d")
                .expression_attribute_values(":d", AttributeValue::S(device.to_owned()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "device metadata query on {} failed: {}",
                        self.table,
                        aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                    )
                })?;
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(items);
            }
        }
        Err(format!(
            "device {device} has more than 100 pages of metadata"
        ))
    }
}
