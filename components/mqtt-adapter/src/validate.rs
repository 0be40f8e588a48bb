//! Configuration → what runs. A bad broker or subscription is left out with one error naming
//! it (`brokers.{id}.{key}`, `subscriptions.{id}.{key}`); the rest runs. The configuration is
//! refused only when no subscription is usable.

use crate::config::{BrokerConfig, MqttAdapterConfig, SubscriptionConfig};
use crate::template::Template;
use component_kit::ConfigError;
use edge_model::TopicFilter;
use std::collections::BTreeMap;
use std::time::Duration;

/// A usable broker.
#[derive(Debug, Clone, PartialEq)]
pub struct Broker {
    /// Broker id.
    pub id: String,
    /// Settings as configured (checked).
    pub settings: BrokerConfig,
}

/// How a message's payload becomes readings.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// One value: the whole payload as a number, boolean or text; the point id from a template.
    Plain {
        /// Point id template.
        point: Template,
    },
    /// JSON: one value at a pointer, the point id from a template.
    JsonValue {
        /// Point id template.
        point: Template,
        /// RFC 6901 pointer.
        pointer: String,
    },
    /// JSON: several points, each at its own pointer.
    JsonFields(Vec<(String, String)>),
    /// Sparkplug B metrics (names, aliases from BIRTH messages).
    SparkplugB,
}

/// A usable subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// Mapping id.
    pub id: String,
    /// Broker id.
    pub broker: String,
    /// Topic filter.
    pub filter: TopicFilter,
    /// QoS 0 or 1.
    pub qos: u8,
    /// Device id template.
    pub device: Template,
    /// Payload decoding.
    pub payload: Payload,
    /// JSON pointer to a device timestamp.
    pub timestamp_pointer: Option<String>,
    /// Engineering unit.
    pub unit: Option<String>,
    /// `(scale, offset)` applied to numbers.
    pub scaling: Option<(f64, f64)>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct MqttAdapter {
    /// Brokers with at least one subscription.
    pub brokers: Vec<Broker>,
    /// Usable subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Batch collection time.
    pub batch_interval: Duration,
    /// What was left out and why.
    pub rejected: Vec<ConfigError>,
}

/// Checks `config`.
pub fn validate(config: MqttAdapterConfig) -> Result<MqttAdapter, ConfigError> {
    if config.batch_interval_ms < Duration::from_millis(1) {
        return Err(ConfigError::new("batchIntervalMs", "must be at least 1"));
    }
    let mut rejected = Vec::new();
    let mut brokers = BTreeMap::new();
    for (id, settings) in config.brokers {
        match check_broker(&id, &settings) {
            Ok(()) => {
                brokers.insert(id.clone(), Broker { id, settings });
            }
            Err(e) => rejected.push(e),
        }
    }
    let mut subscriptions = Vec::new();
    for (id, sub) in config.subscriptions {
        match check_subscription(&id, sub, &brokers) {
            Ok(s) => subscriptions.push(s),
            Err(e) => rejected.push(e),
        }
    }
    if subscriptions.is_empty() {
        let mut why = "no usable subscription".to_owned();
        for e in &rejected {
            why.push_str(&format!("; {e}"));
        }
        return Err(ConfigError::new("subscriptions", why));
    }
    let used: Vec<Broker> = brokers
        .into_values()
        .filter(|b| subscriptions.iter().any(|s| s.broker == b.id))
        .collect();
    Ok(MqttAdapter {
        brokers: used,
        subscriptions,
        batch_interval: config.batch_interval_ms,
        rejected,
    })
}

fn check_broker(id: &str, b: &BrokerConfig) -> Result<(), ConfigError> {
    let at = |key: &str| format!("brokers.{id}.{key}");
    if b.host.trim().is_empty() {
        return Err(ConfigError::new(at("host"), "must not be empty"));
    }
    if b.port == 0 {
        return Err(ConfigError::new(at("port"), "must be 1..=65535"));
    }
    if b.keep_alive_secs < Duration::from_secs(5) {
        return Err(ConfigError::new(at("keepAliveSecs"), "must be at least 5"));
    }
    if b.password_secret_id.is_some() && b.username.is_none() {
        return Err(ConfigError::new(
            at("username"),
            "a password secret needs a user name",
        ));
    }
    if let Some(tls) = &b.tls {
        if tls.ca_file.trim().is_empty() {
            return Err(ConfigError::new(at("tls.caFile"), "must name a PEM file"));
        }
        if tls.cert_file.is_some() != tls.key_file.is_some() {
            return Err(ConfigError::new(
                at("tls.keyFile"),
                "certFile and keyFile go together",
            ));
        }
    }
    Ok(())
}

fn check_subscription(
    id: &str,
    s: SubscriptionConfig,
    brokers: &BTreeMap<String, Broker>,
) -> Result<Subscription, ConfigError> {
    let at = |key: &str| format!("subscriptions.{id}.{key}");
    if !brokers.contains_key(&s.broker) {
        return Err(ConfigError::new(
            at("broker"),
            format!("no usable broker {:?}", s.broker),
        ));
    }
    let filter = TopicFilter::new(s.topic.clone())
        .map_err(|e| ConfigError::new(at("topic"), e.to_string()))?;
    if s.qos > 1 {
        return Err(ConfigError::new(at("qos"), "must be 0 or 1"));
    }
    let device = Template::parse(&s.device).map_err(|e| ConfigError::new(at("device"), e))?;
    let point_template = || -> Result<Template, ConfigError> {
        let text = s.point.clone().unwrap_or_else(|| last_level(&s.topic));
        Template::parse(&text).map_err(|e| ConfigError::new(at("point"), e))
    };
    let pointer = |key: &str, p: &str| -> Result<String, ConfigError> {
        if p.is_empty() || p.starts_with('/') {
            Ok(p.to_owned())
        } else {
            Err(ConfigError::new(
                at(key),
                format!("{p:?} is not a JSON pointer (it starts with /)"),
            ))
        }
    };
    let payload = match s.format.as_str() {
        "plain" => Payload::Plain {
            point: point_template()?,
        },
        "json" => match (&s.value_pointer, s.fields.is_empty()) {
            (Some(p), true) => Payload::JsonValue {
                point: point_template()?,
                pointer: pointer("valuePointer", p)?,
            },
            (None, false) => {
                let mut fields = Vec::new();
                for (point, p) in &s.fields {
                    fields.push((point.clone(), pointer(&format!("fields.{point}"), p)?));
                }
                Payload::JsonFields(fields)
            }
            _ => {
                return Err(ConfigError::new(
                    at("valuePointer"),
                    "json needs either valuePointer or fields (not both)",
                ));
            }
        },
        "sparkplugB" => Payload::SparkplugB,
        other => {
            return Err(ConfigError::new(
                at("format"),
                format!("unknown format {other:?} (json, plain or sparkplugB)"),
            ));
        }
    };
    let timestamp_pointer = match &s.timestamp_pointer {
        Some(p) => Some(pointer("timestampPointer", p)?),
        None => None,
    };
    let scaling = match (s.scale, s.offset) {
        (None, None) => None,
        (scale, offset) => {
            let pair = (scale.unwrap_or(1.0), offset.unwrap_or(0.0));
            if !pair.0.is_finite() || !pair.1.is_finite() {
                return Err(ConfigError::new(
                    at("scale"),
                    "scale and offset must be finite",
                ));
            }
            Some(pair)
        }
    };
    Ok(Subscription {
        id: id.to_owned(),
        broker: s.broker,
        filter,
        qos: s.qos,
        device,
        payload,
        timestamp_pointer,
        unit: s.unit.filter(|u| !u.is_empty()),
        scaling,
    })
}

/// `{N}` for the last level of `topic` (the default point id).
fn last_level(topic: &str) -> String {
    format!("{{{}}}", topic.split('/').count())
}

#[cfg(test)]
mod tests;
