//! Checks the configuration and builds the form the component runs with. Every error names
//! its key (`exports.lake.bucket`).

use crate::config::{ExportConfig, StreamUploaderConfig};
use crate::store::{DrainOrder, FullPolicy, QueuePolicy};
use component_kit::ConfigError;
use edge_model::{Topic, TopicFilter};
use std::path::PathBuf;
use std::time::Duration;

/// IoT Core's payload limit (AWS IoT quotas: 128 KB per publish).
pub const IOT_CORE_MAX_PAYLOAD: u64 = 128 * 1024;
/// Kinesis PutRecords limits: 500 records, 5 MiB per call, 1 MiB per record.
pub const KINESIS_MAX_RECORDS: usize = 500;
/// Bytes per PutRecords call.
pub const KINESIS_MAX_CALL_BYTES: u64 = 5 << 20;
/// Bytes per Kinesis record (data + partition key).
pub const KINESIS_MAX_RECORD_BYTES: u64 = 1 << 20;
/// SiteWise BatchPutAssetPropertyValue: at most 10 entries per call.
pub const SITEWISE_MAX_ENTRIES: usize = aws_edge::sitewise::MAX_ENTRIES;
/// S3's smallest multipart part (except the last).
pub const S3_MIN_PART_BYTES: u64 = 5 << 20;

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamUploader {
    /// Queue folder (relative to the work folder unless absolute).
    pub store_dir: PathBuf,
    /// Routes.
    pub routes: Vec<Route>,
    /// Exports, sorted by priority then id.
    pub exports: Vec<Export>,
    /// Bandwidth cap over all exports, bytes/s.
    pub max_bandwidth: Option<u64>,
    /// Most records per append transaction.
    pub max_append_batch: usize,
    /// Period of TTL enforcement and queue metrics.
    pub housekeeping_interval: Duration,
    /// Whether component updates wait for batches in flight.
    pub defer_updates_while_sending: bool,
}

/// A route.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Route id.
    pub id: String,
    /// Topics it takes.
    pub filter: TopicFilter,
    /// Export ids it feeds.
    pub exports: Vec<String>,
}

/// An export.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    /// Export id (also its queue's name).
    pub id: String,
    /// Where records go.
    pub destination: Destination,
    /// 1 (first) to 10.
    pub priority: u8,
    /// Queue but do not send.
    pub disabled: bool,
    /// Queue limits.
    pub queue: QueuePolicy,
    /// Which end drains first.
    pub order: DrainOrder,
    /// Records older than this are dead-lettered instead of sent.
    pub stale_cutoff: Option<Duration>,
    /// Batch limits.
    pub batch: BatchLimits,
    /// Retry delays.
    pub retry: RetryPolicy,
    /// Time limit of one send.
    pub send_timeout: Duration,
    /// Largest single record the destination takes (bytes of the envelope).
    pub max_record_bytes: u64,
}

/// When a batch is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Records per send.
    pub max_records: usize,
    /// Bytes per send (queue size of the records).
    pub max_bytes: u64,
    /// Longest wait of the oldest record for a batch to fill.
    pub interval: Duration,
}

/// Capped exponential retry delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First delay.
    pub initial: Duration,
    /// Largest delay.
    pub max: Duration,
}

/// AWS client settings of one export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// Region override.
    pub region: Option<String>,
    /// Endpoint override.
    pub endpoint_url: Option<String>,
    /// S3 path-style addressing.
    pub force_path_style: bool,
}

/// Which Kinesis partition key a record gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionKey {
    /// The device (last level of the local topic): one device's records stay in order.
    Device,
    /// The thing name.
    Thing,
    /// The record id (spreads evenly).
    Record,
}

/// Destination settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    /// IPC PublishToIoTCore, QoS 1.
    IotCore {
        /// Topic template.
        topic_template: String,
    },
    /// Kinesis Data Streams PutRecords.
    Kinesis {
        /// Stream name.
        stream_name: String,
        /// Partition key choice.
        partition_key: PartitionKey,
        /// Client settings.
        aws: AwsSettings,
    },
    /// S3 batch files.
    S3 {
        /// Bucket.
        bucket: String,
        /// Key prefix.
        key_prefix: String,
        /// Gzip the files.
        gzip: bool,
        /// Multipart from this size.
        multipart_threshold: u64,
        /// Part size.
        part_bytes: u64,
        /// Where upload reports go.
        status_topic: Option<Topic>,
        /// Client settings.
        aws: AwsSettings,
    },
    /// SiteWise BatchPutAssetPropertyValue.
    SiteWise {
        /// Property alias template.
        alias_template: String,
        /// Client settings.
        aws: AwsSettings,
    },
}

/// Checks `config`.
pub fn validate(config: StreamUploaderConfig) -> Result<StreamUploader, ConfigError> {
    if config.store_dir.trim().is_empty() {
        return Err(ConfigError::new("storeDir", "must not be empty"));
    }
    if config.max_append_batch == 0 {
        return Err(ConfigError::new("maxAppendBatch", "must be at least 1"));
    }
    if config.housekeeping_interval_ms < Duration::from_millis(100) {
        return Err(ConfigError::new(
            "housekeepingIntervalMs",
            "must be at least 100",
        ));
    }
    let mut exports = Vec::new();
    for (id, export) in &config.exports {
        exports.push(export_of(id, export).map_err(|e| e.at(&format!("exports.{id}")))?);
    }
    exports.sort_by(|a, b| (a.priority, &a.id).cmp(&(b.priority, &b.id)));
    let mut routes = Vec::new();
    for (id, route) in &config.routes {
        let key = format!("routes.{id}");
        let filter = TopicFilter::new(route.topic_filter.clone())
            .map_err(|e| ConfigError::new(format!("{key}.topicFilter"), e.to_string()))?;
        let mut targets = Vec::new();
        for (export, on) in &route.exports {
            if !on.0 {
                continue;
            }
            if !config.exports.contains_key(export) {
                return Err(ConfigError::new(
                    format!("{key}.exports.{export}"),
                    "no export with this id",
                ));
            }
            targets.push(export.clone());
        }
        if targets.is_empty() {
            return Err(ConfigError::new(
                format!("{key}.exports"),
                "names no export",
            ));
        }
        routes.push(Route {
            id: id.clone(),
            filter,
            exports: targets,
        });
    }
    Ok(StreamUploader {
        store_dir: PathBuf::from(config.store_dir),
        routes,
        exports,
        max_bandwidth: (config.max_bandwidth_bytes_per_sec > 0)
            .then_some(config.max_bandwidth_bytes_per_sec),
        max_append_batch: config.max_append_batch,
        housekeeping_interval: config.housekeeping_interval_ms,
        defer_updates_while_sending: config.defer_updates_while_sending,
    })
}

fn export_of(id: &str, c: &ExportConfig) -> Result<Export, ConfigError> {
    if !(1..=10).contains(&c.priority) {
        return Err(ConfigError::new("priority", "must be 1..=10"));
    }
    let on_full = match c.on_full.as_str() {
        "RejectNewData" => FullPolicy::RejectNewData,
        "OverwriteOldestData" => FullPolicy::OverwriteOldestData,
        other => {
            return Err(ConfigError::new(
                "onFull",
                format!("{other:?} is neither RejectNewData nor OverwriteOldestData"),
            ));
        }
    };
    let order = match c.drain_order.as_str() {
        "oldestFirst" => DrainOrder::OldestFirst,
        "newestFirst" => DrainOrder::NewestFirst,
        other => {
            return Err(ConfigError::new(
                "drainOrder",
                format!("{other:?} is neither oldestFirst nor newestFirst"),
            ));
        }
    };
    if c.max_queue_bytes < 1024 {
        return Err(ConfigError::new("maxQueueBytes", "must be at least 1024"));
    }
    let aws = AwsSettings {
        region: non_empty(&c.region),
        endpoint_url: non_empty(&c.endpoint_url),
        force_path_style: c.force_path_style,
    };
    // (destination, default records, hard max records, default bytes, hard max bytes,
    //  default interval, max record bytes)
    let (destination, records, max_records, bytes, max_bytes, interval, record_max) =
        match c.kind.as_str() {
            "iotCore" => {
                if c.topic_template.is_empty() || c.topic_template.contains(['+', '#']) {
                    return Err(ConfigError::new(
                        "topicTemplate",
                        "must be a topic without wildcards",
                    ));
                }
                let d = Destination::IotCore {
                    topic_template: c.topic_template.clone(),
                };
                let payload = IOT_CORE_MAX_PAYLOAD - 1024;
                (d, 100, 1000, payload, payload, 1000, payload)
            }
            "kinesis" => {
                let stream_name = required("streamName", &c.stream_name)?;
                let partition_key = match c.partition_key.as_str() {
                    "device" => PartitionKey::Device,
                    "thing" => PartitionKey::Thing,
                    "record" => PartitionKey::Record,
                    other => {
                        return Err(ConfigError::new(
                            "partitionKey",
                            format!("{other:?} is not one of device, thing, record"),
                        ));
                    }
                };
                let d = Destination::Kinesis {
                    stream_name,
                    partition_key,
                    aws: aws.clone(),
                };
                let call = KINESIS_MAX_CALL_BYTES - (64 << 10);
                (
                    d,
                    KINESIS_MAX_RECORDS,
                    KINESIS_MAX_RECORDS,
                    call,
                    call,
                    1000,
                    KINESIS_MAX_RECORD_BYTES - 512,
                )
            }
            "s3" => {
                let bucket = required("bucket", &c.bucket)?;
                if c.multipart_part_bytes < S3_MIN_PART_BYTES {
                    return Err(ConfigError::new(
                        "multipartPartBytes",
                        "must be at least 5242880 (S3 minimum part size)",
                    ));
                }
                let status_topic = match non_empty(&c.status_topic) {
                    None => None,
                    Some(t) => Some(
                        Topic::new(t)
                            .map_err(|e| ConfigError::new("statusTopic", e.to_string()))?,
                    ),
                };
                let d = Destination::S3 {
                    bucket,
                    key_prefix: c.key_prefix.clone(),
                    gzip: c.gzip,
                    multipart_threshold: c.multipart_threshold_bytes.max(c.multipart_part_bytes),
                    part_bytes: c.multipart_part_bytes,
                    status_topic,
                    aws: aws.clone(),
                };
                (d, 10_000, 1_000_000, 16 << 20, 1 << 30, 60_000, 1 << 30)
            }
            "siteWise" => {
                if !c.property_alias_template.contains("{point}") {
                    return Err(ConfigError::new(
                        "propertyAliasTemplate",
                        "must contain {point}",
                    ));
                }
                let d = Destination::SiteWise {
                    alias_template: c.property_alias_template.clone(),
                    aws: aws.clone(),
                };
                (
                    d,
                    SITEWISE_MAX_ENTRIES,
                    100,
                    1 << 20,
                    4 << 20,
                    1000,
                    1 << 20,
                )
            }
            other => {
                return Err(ConfigError::new(
                    "type",
                    format!("{other:?} is not one of iotCore, kinesis, s3, siteWise"),
                ));
            }
        };
    let batch_records = c.batch_max_records.unwrap_or(records);
    if batch_records == 0 || batch_records > max_records {
        return Err(ConfigError::new(
            "batchMaxRecords",
            format!("must be 1..={max_records} for this destination"),
        ));
    }
    let batch_bytes = c.batch_max_bytes.unwrap_or(bytes);
    if batch_bytes == 0 || batch_bytes > max_bytes {
        return Err(ConfigError::new(
            "batchMaxBytes",
            format!("must be 1..={max_bytes} for this destination"),
        ));
    }
    if c.retry_initial_ms == 0 || c.retry_max_ms < c.retry_initial_ms {
        return Err(ConfigError::new(
            "retryMaxMs",
            "retryInitialMs must be at least 1 and retryMaxMs at least retryInitialMs",
        ));
    }
    if c.send_timeout_ms < 100 {
        return Err(ConfigError::new("sendTimeoutMs", "must be at least 100"));
    }
    Ok(Export {
        id: id.to_owned(),
        destination,
        priority: c.priority,
        disabled: c.disabled,
        queue: QueuePolicy {
            max_bytes: c.max_queue_bytes,
            max_records: if c.max_queue_records == 0 {
                u64::MAX
            } else {
                c.max_queue_records
            },
            on_full,
            ttl: (c.ttl_ms > 0).then(|| Duration::from_millis(c.ttl_ms)),
        },
        order,
        stale_cutoff: (c.stale_cutoff_ms > 0).then(|| Duration::from_millis(c.stale_cutoff_ms)),
        batch: BatchLimits {
            max_records: batch_records,
            max_bytes: batch_bytes,
            interval: Duration::from_millis(c.batch_interval_ms.unwrap_or(interval)),
        },
        retry: RetryPolicy {
            initial: Duration::from_millis(c.retry_initial_ms),
            max: Duration::from_millis(c.retry_max_ms),
        },
        send_timeout: Duration::from_millis(c.send_timeout_ms),
        max_record_bytes: record_max,
    })
}

fn required(key: &str, value: &str) -> Result<String, ConfigError> {
    non_empty(value).ok_or_else(|| ConfigError::new(key, "is required"))
}

fn non_empty(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}
