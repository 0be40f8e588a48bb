//! Configuration as deployed: servers and nodes in maps keyed by id, units in names, lenient
//! numbers. Validation is in `validate.rs`: a server with a bad setting is left out with one
//! error naming the server (and node); the other servers still run.

use component_kit::lenient::{self, option};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The component configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct OpcUaAdapterConfig {
    /// OPC UA servers keyed by server id (the device id in topics and readings).
    pub servers: BTreeMap<String, ServerConfig>,
    /// Folder of the client certificate, its key and the trust lists, relative to the work
    /// folder unless absolute. Default `pki`.
    pub pki_dir: String,
}

impl Default for OpcUaAdapterConfig {
    /// One server on `opc.tcp://localhost:4840/factory/` (the asyncua test peer) with its pump
    /// variables; the recipe's DefaultConfiguration is the same.
    fn default() -> Self {
        let node = |id: &str, unit: Option<&str>| NodeConfig {
            node_id: Some(format!("ns=2;s=Pump1.{id}")),
            unit: unit.map(str::to_owned),
            ..NodeConfig::default()
        };
        let nodes = BTreeMap::from([
            ("temperature".to_owned(), node("Temperature", Some("degC"))),
            ("pressure".to_owned(), node("Pressure", Some("bar"))),
            ("counter".to_owned(), node("Counter", None)),
            ("running".to_owned(), node("Running", None)),
        ]);
        Self {
            servers: BTreeMap::from([(
                "sim-opcua1".to_owned(),
                ServerConfig {
                    nodes,
                    ..ServerConfig::default()
                },
            )]),
            pki_dir: "pki".to_owned(),
        }
    }
}

/// One OPC UA server.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ServerConfig {
    /// `opc.tcp://host:port/path`. The host must be named in the server certificate (or set
    /// `verifyServerCertificate` false).
    pub endpoint_url: String,
    /// `None`, `Basic128Rsa15`, `Basic256`, `Basic256Sha256`, `Aes128_Sha256_RsaOaep` or
    /// `Aes256_Sha256_RsaPss`. Default `None`.
    pub security_policy: String,
    /// `None`, `Sign` or `SignAndEncrypt`. Default `None`.
    pub security_mode: String,
    /// Who the adapter logs in as.
    pub identity: IdentityConfig,
    /// Server certificates (DER or PEM files) trusted in addition to those already in
    /// `<pkiDir>/trusted`, keyed by any name.
    pub trusted_certificates: BTreeMap<String, String>,
    /// Trust an unknown server certificate on first contact and store it in the trust list
    /// (commissioning only; off by default).
    #[serde(deserialize_with = "lenient::bool")]
    pub trust_on_first_use: bool,
    /// Whether the server certificate's host name, validity period and application URI are
    /// checked. Default true; false skips those checks (the trust list still applies).
    #[serde(deserialize_with = "lenient::bool")]
    pub verify_server_certificate: bool,
    /// Which time becomes the reading's `deviceTimeMs`: `source` (default; the server time
    /// when the source has none), `server`, or `gateway` (none: only the gateway time).
    pub timestamp_source: String,
    /// Timeout of one request, ms (≥ 100). Default 10000.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub request_timeout_ms: Duration,
    /// Session timeout asked of the server, ms (≥ 1000). Default 60000.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub session_timeout_ms: Duration,
    /// Longest wait between reconnect attempts, ms (≥ 100). Default 30000.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub reconnect_max_delay_ms: Duration,
    /// Publishing interval of the subscription, ms (≥ 10). Default 1000.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub publishing_interval_ms: Duration,
    /// Largest number of nodes in one Read, CreateMonitoredItems or Browse request. Default 1000.
    #[serde(deserialize_with = "lenient::usize")]
    pub max_items_per_request: usize,
    /// Default sampling settings of every node of this server.
    pub sampling: SamplingConfig,
    /// Nodes keyed by point id.
    pub nodes: BTreeMap<String, NodeConfig>,
    /// Browse rules keyed by rule id: every variable under a folder whose name matches.
    pub browse: BTreeMap<String, BrowseConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            endpoint_url: "opc.tcp://localhost:4840/factory/".to_owned(),
            security_policy: "None".to_owned(),
            security_mode: "None".to_owned(),
            identity: IdentityConfig::default(),
            trusted_certificates: BTreeMap::new(),
            trust_on_first_use: false,
            verify_server_certificate: true,
            timestamp_source: "source".to_owned(),
            request_timeout_ms: Duration::from_secs(10),
            session_timeout_ms: Duration::from_secs(60),
            reconnect_max_delay_ms: Duration::from_secs(30),
            publishing_interval_ms: Duration::from_secs(1),
            max_items_per_request: 1000,
            sampling: SamplingConfig::default(),
            nodes: BTreeMap::new(),
            browse: BTreeMap::new(),
        }
    }
}

/// How the adapter authenticates.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct IdentityConfig {
    /// `anonymous` (default), `username` or `certificate`.
    #[serde(rename = "type")]
    pub kind: String,
    /// User name (`username`).
    pub username: String,
    /// Secrets Manager secret holding the password (`username`), read through
    /// `aws.greengrass.SecretManager`. Never put the password itself in the configuration.
    pub password_secret_id: String,
    /// When the secret is a JSON object, the key holding the password (such as `password`);
    /// empty: the whole secret string is the password.
    pub password_secret_key: String,
    /// User certificate, DER or PEM (`certificate`).
    pub certificate_path: String,
    /// Its private key, PEM (`certificate`).
    pub private_key_path: String,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            kind: "anonymous".to_owned(),
            username: String::new(),
            password_secret_id: String::new(),
            password_secret_key: String::new(),
            certificate_path: String::new(),
            private_key_path: String::new(),
        }
    }
}

/// Sampling settings; every field falls back to the server's `sampling`, then to the default.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct SamplingConfig {
    /// `subscribe` (default) or `poll` (servers that cannot subscribe).
    pub mode: Option<String>,
    /// Sampling interval asked of the server, ms (0: as fast as the publishing interval).
    /// Default 1000.
    #[serde(deserialize_with = "option::u64")]
    pub sampling_interval_ms: Option<u64>,
    /// Server-side queue size of a monitored item (≥ 1). Default 10.
    #[serde(deserialize_with = "option::u32")]
    pub queue_size: Option<u32>,
    /// `none` (default), `absolute` or `percent` (of the item's EURange).
    pub deadband_type: Option<String>,
    /// The deadband: an absolute change, or a percentage 0..=100.
    #[serde(deserialize_with = "option::f64")]
    pub deadband_value: Option<f64>,
    /// Poll interval, ms (≥ 10; `poll` mode). Default 1000.
    #[serde(deserialize_with = "option::u64")]
    pub poll_interval_ms: Option<u64>,
}

/// One node, selected by node id or by browse path (exactly one of the two).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeConfig {
    /// Node id in the standard notation: `ns=2;s=Pump1.Temperature`, `i=2258`.
    pub node_id: Option<String>,
    /// Browse path from the root folder: `Objects/2:Pump1/2:Temperature` (segments
    /// `nsIndex:BrowseName`, namespace 0 when the index is left out).
    pub browse_path: Option<String>,
    /// Engineering unit, such as `degC`.
    pub unit: Option<String>,
    /// Sampling settings of this node.
    pub sampling: SamplingConfig,
}

/// Every variable under a folder (a PLC's whole tag tree in one rule).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct BrowseConfig {
    /// The folder, by node id (`ns=2;s=Pump1`) …
    pub under_node_id: Option<String>,
    /// … or by browse path (`Objects/2:Pump1`).
    pub under_browse_path: Option<String>,
    /// Pattern on the point id (the browse names below the folder joined by `.`): `*` matches
    /// any run of characters, `?` one character. Default `*`.
    pub include: String,
    /// Pattern of point ids left out, applied after `include`. Default: none.
    pub exclude: Option<String>,
    /// How many levels below the folder are searched (1: its direct children). Default 8.
    #[serde(deserialize_with = "lenient::u32")]
    pub max_depth: u32,
    /// Prefix put before each point id. Default: none.
    pub point_prefix: String,
    /// Sampling settings of the nodes found.
    pub sampling: SamplingConfig,
}

impl Default for BrowseConfig {
    fn default() -> Self {
        Self {
            under_node_id: None,
            under_browse_path: None,
            include: "*".to_owned(),
            exclude: None,
            max_depth: 8,
            point_prefix: String::new(),
            sampling: SamplingConfig::default(),
        }
    }
}

pub use crate::validate::{OpcUaAdapter, validate, validate_server};
