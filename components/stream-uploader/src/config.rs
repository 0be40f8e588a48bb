//! Configuration as deployed (recipe `DefaultConfiguration`, merged per deployment): maps keyed
//! by id, camelCase keys, units in the names, lenient numbers. `validate.rs` turns it into the
//! checked form the component runs with.

use component_kit::lenient::{self, option};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The component configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct StreamUploaderConfig {
    /// Folder of the queue file; relative paths are under the component's work folder.
    /// Default `queue`.
    pub store_dir: String,
    /// Routes keyed by id: which local topics go to which exports.
    pub routes: BTreeMap<String, RouteConfig>,
    /// Exports (destinations) keyed by id.
    pub exports: BTreeMap<String, ExportConfig>,
    /// Cap on the bytes sent per second over all exports (0: no cap). Exports with a better
    /// (lower) `priority` get the budget first. Default 0.
    #[serde(deserialize_with = "lenient::u64")]
    pub max_bandwidth_bytes_per_sec: u64,
    /// Most records appended per transaction (one fsync each). Default 1000.
    #[serde(deserialize_with = "lenient::usize")]
    pub max_append_batch: usize,
    /// How often TTLs are enforced and queue metrics refreshed, ms. Default 5000.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub housekeeping_interval_ms: Duration,
    /// Defer a component update (SubscribeToComponentUpdates) while a batch is in flight.
    /// Default true.
    #[serde(deserialize_with = "lenient::bool")]
    pub defer_updates_while_sending: bool,
}

impl Default for StreamUploaderConfig {
    fn default() -> Self {
        Self {
            store_dir: "queue".into(),
            routes: BTreeMap::new(),
            exports: BTreeMap::new(),
            max_bandwidth_bytes_per_sec: 0,
            max_append_batch: 1000,
            housekeeping_interval_ms: Duration::from_secs(5),
            defer_updates_while_sending: true,
        }
    }
}

/// One route: messages on `topicFilter` are queued for every export in `exports`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct RouteConfig {
    /// Local topic filter (MQTT wildcards), e.g. `factory/agg/+`.
    pub topic_filter: String,
    /// Export ids, keyed by export id with value `true` (a map, so deployments can merge).
    pub exports: BTreeMap<String, lenient::Lenient<bool>>,
}

/// One export: where records go, and the limits of its queue.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ExportConfig {
    /// Destination: `iotCore`, `kinesis`, `s3` or `siteWise`.
    #[serde(rename = "type")]
    pub kind: String,
    /// 1 (first) to 10 (last): order in which exports get the bandwidth budget. Default 5.
    #[serde(deserialize_with = "lenient::u8")]
    pub priority: u8,
    /// Disables sending (records still queue). Default false.
    #[serde(deserialize_with = "lenient::bool")]
    pub disabled: bool,
    /// Queue cap in bytes (topic + payload). Default 256 MiB.
    #[serde(deserialize_with = "lenient::u64")]
    pub max_queue_bytes: u64,
    /// Queue cap in records (0: none). Default 0.
    #[serde(deserialize_with = "lenient::u64")]
    pub max_queue_records: u64,
    /// `RejectNewData` or `OverwriteOldestData`. Default `RejectNewData`.
    pub on_full: String,
    /// Records older than this are deleted unsent (0: keep). Default 0.
    #[serde(deserialize_with = "lenient::u64")]
    pub ttl_ms: u64,
    /// Records older than this when their turn comes are not sent but dead-lettered as
    /// `stale` (0: no cutoff). Default 0.
    #[serde(deserialize_with = "lenient::u64")]
    pub stale_cutoff_ms: u64,
    /// `oldestFirst` or `newestFirst`. Default `oldestFirst`.
    pub drain_order: String,
    /// Most records per send. Default per destination (IoT Core 100, Kinesis 500, S3 10000,
    /// SiteWise 10).
    #[serde(deserialize_with = "option::usize")]
    pub batch_max_records: Option<usize>,
    /// Most bytes per send. Default per destination.
    #[serde(deserialize_with = "option::u64")]
    pub batch_max_bytes: Option<u64>,
    /// A batch that is not full is sent once its oldest record waited this long, ms.
    /// Default 1000 (S3: 60000).
    #[serde(deserialize_with = "option::u64")]
    pub batch_interval_ms: Option<u64>,
    /// First retry delay, ms. Default 500.
    #[serde(deserialize_with = "lenient::u64")]
    pub retry_initial_ms: u64,
    /// Longest retry delay, ms (Stream Manager: 5 min). Default 300000.
    #[serde(deserialize_with = "lenient::u64")]
    pub retry_max_ms: u64,
    /// Time limit of one send, ms. Default 30000.
    #[serde(deserialize_with = "lenient::u64")]
    pub send_timeout_ms: u64,
    /// IoT Core: topic template; `{thingName}`, `{topic}` (local topic), `{device}` (its last
    /// level) and `{export}` are replaced. Default `dt/{thingName}/{topic}`.
    pub topic_template: String,
    /// Kinesis: stream name.
    pub stream_name: String,
    /// Kinesis: partition key, `device` (last topic level), `thing` or `record`. Default
    /// `device`.
    pub partition_key: String,
    /// S3: bucket (must exist).
    pub bucket: String,
    /// S3: key prefix; the key is `<prefix>year=YYYY/month=MM/day=DD/hour=HH/<thing>-<first>-<last>.jsonl[.gz]`.
    pub key_prefix: String,
    /// S3: gzip the batch file. Default true.
    #[serde(deserialize_with = "lenient::bool")]
    pub gzip: bool,
    /// S3: files at least this large go up in parts. Default 8 MiB.
    #[serde(deserialize_with = "lenient::u64")]
    pub multipart_threshold_bytes: u64,
    /// S3: part size (S3 minimum 5 MiB). Default 5 MiB.
    #[serde(deserialize_with = "lenient::u64")]
    pub multipart_part_bytes: u64,
    /// S3: local topic that gets a status report after each upload (empty: none).
    /// Default `factory/status/com.smartfactory.StreamUploader`.
    pub status_topic: String,
    /// SiteWise: property alias template; `{device}` and `{point}` are replaced. Default
    /// `/factory/{device}/{point}`.
    pub property_alias_template: String,
    /// AWS region (default: from the environment, as the nucleus sets it).
    pub region: String,
    /// Endpoint override (VPC endpoints, tests).
    pub endpoint_url: String,
    /// S3: path-style addressing (needed by most S3-compatible endpoints). Default false.
    #[serde(deserialize_with = "lenient::bool")]
    pub force_path_style: bool,
}

impl Default for ExportConfig {
    fn default() -> Self {
        Self {
            kind: String::new(),
            priority: 5,
            disabled: false,
            max_queue_bytes: 256 << 20,
            max_queue_records: 0,
            on_full: "RejectNewData".into(),
            ttl_ms: 0,
            stale_cutoff_ms: 0,
            drain_order: "oldestFirst".into(),
            batch_max_records: None,
            batch_max_bytes: None,
            batch_interval_ms: None,
            retry_initial_ms: 500,
            retry_max_ms: 300_000,
            send_timeout_ms: 30_000,
            topic_template: "dt/{thingName}/{topic}".into(),
            stream_name: String::new(),
            partition_key: "device".into(),
            bucket: String::new(),
            key_prefix: String::new(),
            gzip: true,
            multipart_threshold_bytes: 8 << 20,
            multipart_part_bytes: 5 << 20,
            status_topic: "factory/status/com.smartfactory.StreamUploader".into(),
            property_alias_template: "/factory/{device}/{point}".into(),
            region: String::new(),
            endpoint_url: String::new(),
            force_path_style: false,
        }
    }
}
