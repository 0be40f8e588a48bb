//! Configuration as deployed: maps keyed by id, lenient numbers. Validation is in
//! `validate.rs`: a bad broker or subscription is left out with an error naming it; the rest
//! runs.

use component_kit::lenient::{self, option};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The component configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct MqttAdapterConfig {
    /// Brokers keyed by broker id.
    pub brokers: BTreeMap<String, BrokerConfig>,
    /// Topic mappings keyed by mapping id.
    pub subscriptions: BTreeMap<String, SubscriptionConfig>,
    /// How long readings of one device are collected before a batch is published, ms.
    /// Default 100.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub batch_interval_ms: Duration,
}

/// One broker on the factory network.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct BrokerConfig {
    /// Host name or IP. Default `127.0.0.1`.
    pub host: String,
    /// Port. Default 1883 (8883 is usual with TLS).
    #[serde(deserialize_with = "lenient::u16")]
    pub port: u16,
    /// MQTT client id. Default `{thingName}-mqtt-adapter-{brokerId}`.
    pub client_id: Option<String>,
    /// Keep-alive, s (≥ 5). Default 30.
    #[serde(deserialize_with = "lenient::duration_secs")]
    pub keep_alive_secs: Duration,
    /// User name, if the broker wants one.
    pub username: Option<String>,
    /// Secrets Manager secret (id or ARN) holding the password, read through IPC
    /// GetSecretValue: the secret string itself, or a JSON object with a `password` key. Never
    /// put the password in the configuration.
    pub password_secret_id: Option<String>,
    /// TLS; absent means plain TCP.
    pub tls: Option<TlsConfig>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 1883,
            client_id: None,
            keep_alive_secs: Duration::from_secs(30),
            username: None,
            password_secret_id: None,
            tls: None,
        }
    }
}

/// TLS settings (PEM files on the gateway).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct TlsConfig {
    /// CA certificate(s) that sign the broker's certificate.
    pub ca_file: String,
    /// Client certificate, for brokers that authenticate clients by certificate.
    pub cert_file: Option<String>,
    /// The client certificate's private key.
    pub key_file: Option<String>,
}

/// One topic filter and how its messages become readings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct SubscriptionConfig {
    /// Broker id.
    pub broker: String,
    /// MQTT topic filter (`+` and `#` allowed). For `sparkplugB`, e.g. `spBv1.0/plant1/#`.
    pub topic: String,
    /// 0 or 1. Default 1.
    #[serde(deserialize_with = "lenient::u8")]
    pub qos: u8,
    /// `json`, `plain` (the payload is one number, boolean or text) or `sparkplugB`.
    pub format: String,
    /// Device id of the readings: a template over the topic levels, `{1}` is the first level.
    /// Default `{1}`. (Sparkplug B: the device id, or the edge node id for node metrics.)
    pub device: String,
    /// Point id for `plain` and for `json` with `valuePointer`: a template like `device`.
    /// Default: the last topic level.
    pub point: Option<String>,
    /// `json`: JSON pointer (RFC 6901) to the value, e.g. `/value`.
    pub value_pointer: Option<String>,
    /// `json`: several points from one message, point id → JSON pointer.
    pub fields: BTreeMap<String, String>,
    /// `json`: JSON pointer to the device timestamp, epoch milliseconds (a number or a numeric
    /// string).
    pub timestamp_pointer: Option<String>,
    /// Engineering unit of the points of this subscription.
    pub unit: Option<String>,
    /// Multiplier applied to numbers (then `offset` is added).
    #[serde(deserialize_with = "option::f64")]
    pub scale: Option<f64>,
    /// Added after `scale`.
    #[serde(deserialize_with = "option::f64")]
    pub offset: Option<f64>,
}

impl Default for SubscriptionConfig {
    fn default() -> Self {
        Self {
            broker: String::new(),
            topic: String::new(),
            qos: 1,
            format: "json".to_owned(),
            device: "{1}".to_owned(),
            point: None,
            value_pointer: None,
            fields: BTreeMap::new(),
            timestamp_pointer: None,
            unit: None,
            scale: None,
            offset: None,
        }
    }
}

impl Default for MqttAdapterConfig {
    /// A local broker with sensors publishing JSON on `sensors/{device}/{point}` as
    /// `{"value": .., "ts": ..}`; the recipe's DefaultConfiguration is the same.
    fn default() -> Self {
        let sensors = SubscriptionConfig {
            broker: "local".to_owned(),
            topic: "sensors/+/+".to_owned(),
            device: "{2}".to_owned(),
            point: Some("{3}".to_owned()),
            value_pointer: Some("/value".to_owned()),
            timestamp_pointer: Some("/ts".to_owned()),
            ..SubscriptionConfig::default()
        };
        Self {
            brokers: BTreeMap::from([("local".to_owned(), BrokerConfig::default())]),
            subscriptions: BTreeMap::from([("sensors".to_owned(), sensors)]),
            batch_interval_ms: Duration::from_millis(100),
        }
    }
}

pub use crate::validate::{MqttAdapter, validate};
