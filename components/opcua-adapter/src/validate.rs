//! Validation of the configuration: each server on its own, so one bad server never stops the
//! others. Every error names the server and, where it applies, the node or browse rule.

use crate::config::{
    BrowseConfig, IdentityConfig, NodeConfig, OpcUaAdapterConfig, SamplingConfig, ServerConfig,
};
use crate::node::{BrowsePath, BrowseRule, Deadband, Mode, NodeSpec, Sampling, Selector};
use crate::security::{parse_mode, parse_policy};
use crate::server::{Identity, Server, TimestampSource};
use component_kit::ConfigError;
use component_kit::Glob;
use edge_model::DeviceId;
use opcua::types::NodeId;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The validated configuration: the usable servers, and one error per server left out.
#[derive(Debug, Clone)]
pub struct OpcUaAdapter {
    /// Servers that passed validation.
    pub servers: Vec<Server>,
    /// Servers left out, with the reason (key path and why).
    pub rejected: Vec<ConfigError>,
    /// The PKI folder as configured (relative to the work folder unless absolute).
    pub pki_dir: PathBuf,
}

/// Validates every server on its own; fails only if none is usable.
pub fn validate(config: OpcUaAdapterConfig) -> Result<OpcUaAdapter, ConfigError> {
    if config.servers.is_empty() {
        return Err(ConfigError::new("servers", "no server configured"));
    }
    if config.pki_dir.trim().is_empty() {
        return Err(ConfigError::new("pkiDir", "must not be empty"));
    }
    let mut servers = Vec::new();
    let mut rejected = Vec::new();
    for (id, server) in config.servers {
        match validate_server(&id, server) {
            Ok(s) => servers.push(s),
            Err(e) => rejected.push(e),
        }
    }
    if servers.is_empty() {
        let reasons: Vec<String> = rejected.iter().map(ToString::to_string).collect();
        return Err(ConfigError::new(
            "servers",
            format!("no usable server: {}", reasons.join("; ")),
        ));
    }
    Ok(OpcUaAdapter {
        servers,
        rejected,
        pki_dir: PathBuf::from(config.pki_dir),
    })
}

/// Validates one server, its nodes and browse rules.
pub fn validate_server(id: &str, config: ServerConfig) -> Result<Server, ConfigError> {
    let at = |key: &str| format!("servers.{id}.{key}");
    let server_id =
        DeviceId::new(id).map_err(|e| ConfigError::new(format!("servers.{id}"), e.to_string()))?;
    if !config.endpoint_url.starts_with("opc.tcp://") {
        return Err(ConfigError::new(
            at("endpointUrl"),
            format!("{:?} is not an opc.tcp:// URL", config.endpoint_url),
        ));
    }
    let policy = parse_policy(&config.security_policy)
        .map_err(|why| ConfigError::new(at("securityPolicy"), why))?;
    let mode = parse_mode(&config.security_mode)
        .map_err(|why| ConfigError::new(at("securityMode"), why))?;
    let policy_is_none = policy == opcua::crypto::SecurityPolicy::None;
    let mode_is_none = mode == opcua::types::MessageSecurityMode::None;
    if policy_is_none != mode_is_none {
        return Err(ConfigError::new(
            at("securityMode"),
            format!(
                "security policy {} needs mode {}",
                config.security_policy,
                if policy_is_none {
                    "None"
                } else {
                    "Sign or SignAndEncrypt"
                }
            ),
        ));
    }
    let identity = validate_identity(&config.identity)
        .map_err(|(key, why)| ConfigError::new(at(&format!("identity.{key}")), why))?;
    let timestamps = match config.timestamp_source.as_str() {
        "source" => TimestampSource::Source,
        "server" => TimestampSource::Server,
        "gateway" => TimestampSource::Gateway,
        other => {
            return Err(ConfigError::new(
                at("timestampSource"),
                format!("{other:?} is not source, server or gateway"),
            ));
        }
    };
    for (key, value, min) in [
        ("requestTimeoutMs", config.request_timeout_ms, 100),
        ("sessionTimeoutMs", config.session_timeout_ms, 1000),
        ("reconnectMaxDelayMs", config.reconnect_max_delay_ms, 100),
        ("publishingIntervalMs", config.publishing_interval_ms, 10),
    ] {
        if value < Duration::from_millis(min) {
            return Err(ConfigError::new(at(key), format!("must be at least {min}")));
        }
    }
    if config.max_items_per_request == 0 {
        return Err(ConfigError::new(
            at("maxItemsPerRequest"),
            "must be at least 1",
        ));
    }
    let defaults = sampling(&config.sampling, &Sampling::default())
        .map_err(|(key, why)| ConfigError::new(at(&format!("sampling.{key}")), why))?;
    if config.nodes.is_empty() && config.browse.is_empty() {
        return Err(ConfigError::new(
            at("nodes"),
            "no node and no browse rule configured",
        ));
    }
    let mut nodes = Vec::with_capacity(config.nodes.len());
    for (point, node) in config.nodes {
        let spec = validate_node(&point, &node, &defaults)
            .map_err(|(key, why)| ConfigError::new(at(&format!("nodes.{point}{key}")), why))?;
        nodes.push(spec);
    }
    let mut browse = Vec::with_capacity(config.browse.len());
    for (rule, b) in config.browse {
        let r = validate_browse(&rule, &b, &defaults)
            .map_err(|(key, why)| ConfigError::new(at(&format!("browse.{rule}{key}")), why))?;
        browse.push(r);
    }
    Ok(Server {
        id: server_id,
        endpoint_url: config.endpoint_url,
        policy,
        mode,
        identity,
        trusted_certificates: config
            .trusted_certificates
            .into_values()
            .map(PathBuf::from)
            .collect(),
        trust_on_first_use: config.trust_on_first_use,
        verify_server_certificate: config.verify_server_certificate,
        timestamps,
        request_timeout: config.request_timeout_ms,
        session_timeout: config.session_timeout_ms,
        reconnect_max_delay: config.reconnect_max_delay_ms,
        publishing_interval: config.publishing_interval_ms,
        max_items_per_request: config.max_items_per_request,
        nodes,
        browse,
    })
}

type KeyError = (String, String);

fn validate_identity(config: &IdentityConfig) -> Result<Identity, KeyError> {
    let required = |key: &str, value: &str| {
        if value.trim().is_empty() {
            Err((key.to_owned(), format!("required for type {}", config.kind)))
        } else {
            Ok(value.to_owned())
        }
    };
    match config.kind.as_str() {
        "anonymous" => Ok(Identity::Anonymous),
        "username" => Ok(Identity::UserName {
            username: required("username", &config.username)?,
            secret_id: required("passwordSecretId", &config.password_secret_id)?,
            secret_key: Some(config.password_secret_key.clone()).filter(|k| !k.is_empty()),
        }),
        "certificate" => Ok(Identity::Certificate {
            certificate: PathBuf::from(required("certificatePath", &config.certificate_path)?),
            private_key: PathBuf::from(required("privateKeyPath", &config.private_key_path)?),
        }),
        other => Err((
            "type".to_owned(),
            format!("{other:?} is not anonymous, username or certificate"),
        )),
    }
}

/// `config` over `base`; errors name the key inside `sampling`.
fn sampling(config: &SamplingConfig, base: &Sampling) -> Result<Sampling, KeyError> {
    let err = |key: &str, why: String| (key.to_owned(), why);
    let mode = match config.mode.as_deref() {
        None => base.mode,
        Some("subscribe") => Mode::Subscribe,
        Some("poll") => Mode::Poll,
        Some(other) => return Err(err("mode", format!("{other:?} is not subscribe or poll"))),
    };
    let queue_size = config.queue_size.unwrap_or(base.queue_size);
    if queue_size == 0 {
        return Err(err("queueSize", "must be at least 1".to_owned()));
    }
    let poll_interval = config
        .poll_interval_ms
        .map(Duration::from_millis)
        .unwrap_or(base.poll_interval);
    if poll_interval < Duration::from_millis(10) {
        return Err(err("pollIntervalMs", "must be at least 10".to_owned()));
    }
    let deadband = match (config.deadband_type.as_deref(), config.deadband_value) {
        (None, None) => base.deadband,
        (None | Some("none"), _) => Deadband::None,
        (Some("absolute"), Some(v)) if v.is_finite() && v >= 0.0 => Deadband::Absolute(v),
        (Some("percent"), Some(v)) if (0.0..=100.0).contains(&v) => Deadband::Percent(v),
        (Some("absolute" | "percent"), None) => {
            return Err(err(
                "deadbandValue",
                "required with a deadband type".to_owned(),
            ));
        }
        (Some("absolute"), Some(_)) => {
            return Err(err("deadbandValue", "must be a number ≥ 0".to_owned()));
        }
        (Some("percent"), Some(_)) => {
            return Err(err("deadbandValue", "must be 0..=100".to_owned()));
        }
        (Some(other), _) => {
            return Err(err(
                "deadbandType",
                format!("{other:?} is not none, absolute or percent"),
            ));
        }
    };
    Ok(Sampling {
        mode,
        sampling_interval_ms: config
            .sampling_interval_ms
            .map(|ms| ms as f64)
            .unwrap_or(base.sampling_interval_ms),
        queue_size,
        deadband,
        poll_interval,
    })
}

/// Parses exactly one of a node id and a browse path; `key_prefix` names the two keys.
fn selector(
    node_id: Option<&str>,
    browse_path: Option<&str>,
    keys: (&str, &str),
) -> Result<Selector, KeyError> {
    match (node_id, browse_path) {
        (Some(id), None) => NodeId::from_str(id.trim())
            .map(Selector::NodeId)
            .map_err(|_| {
                (
                    keys.0.to_owned(),
                    format!("{id:?} is not a node id (such as ns=2;s=Pump1.Temperature)"),
                )
            }),
        (None, Some(path)) => BrowsePath::parse(path)
            .map(Selector::BrowsePath)
            .map_err(|why| (keys.1.to_owned(), why)),
        (Some(_), Some(_)) => Err((
            String::new(),
            format!("set {} or {}, not both", keys.0, keys.1),
        )),
        (None, None) => Err((String::new(), format!("set {} or {}", keys.0, keys.1))),
    }
}

/// A key error under the current map entry: `.key` (or the entry itself when the key is empty).
fn dotted((key, why): KeyError) -> KeyError {
    if key.is_empty() {
        (key, why)
    } else {
        (format!(".{key}"), why)
    }
}

fn validate_node(
    point: &str,
    node: &NodeConfig,
    defaults: &Sampling,
) -> Result<NodeSpec, KeyError> {
    if point.is_empty() {
        return Err((String::new(), "empty point id".to_owned()));
    }
    let selector = selector(
        node.node_id.as_deref(),
        node.browse_path.as_deref(),
        ("nodeId", "browsePath"),
    )
    .map_err(dotted)?;
    let sampling = sampling(&node.sampling, defaults)
        .map_err(|(key, why)| (format!(".sampling.{key}"), why))?;
    Ok(NodeSpec {
        point: point.to_owned(),
        selector,
        unit: node.unit.clone(),
        sampling,
    })
}

fn validate_browse(
    rule: &str,
    config: &BrowseConfig,
    defaults: &Sampling,
) -> Result<BrowseRule, KeyError> {
    let under = selector(
        config.under_node_id.as_deref(),
        config.under_browse_path.as_deref(),
        ("underNodeId", "underBrowsePath"),
    )
    .map_err(dotted)?;
    if config.include.is_empty() {
        return Err((".include".to_owned(), "must not be empty".to_owned()));
    }
    if !(1..=32).contains(&config.max_depth) {
        return Err((".maxDepth".to_owned(), "must be 1..=32".to_owned()));
    }
    let sampling = sampling(&config.sampling, defaults)
        .map_err(|(key, why)| (format!(".sampling.{key}"), why))?;
    Ok(BrowseRule {
        id: rule.to_owned(),
        under,
        include: Glob::new(&config.include),
        exclude: config.exclude.as_deref().map(Glob::new),
        max_depth: config.max_depth,
        point_prefix: config.point_prefix.clone(),
        sampling,
    })
}

#[cfg(test)]
mod tests;
