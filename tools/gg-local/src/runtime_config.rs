//! The runtime's own settings (`--config runtime.json`): who this device is and where IoT Core,
//! secrets and credentials come from. Unknown keys are refused: a typo here silently changes
//! where data goes.

use crate::services::iot_core::BrokerConfig;
use crate::services::tes::Credentials;
use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Runtime settings with defaults for a laptop.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimeConfig {
    /// The core device's thing name.
    #[serde(default = "default_thing")]
    pub thing_name: String,
    /// AWS region handed to components.
    #[serde(default = "default_region")]
    pub region: String,
    /// MQTT broker standing in for IoT Core; absent = local file sink.
    #[serde(default)]
    pub iot_core: Option<BrokerConfig>,
    /// Local secrets file for GetSecretValue.
    #[serde(default)]
    pub secrets_file: Option<PathBuf>,
    /// Credentials served on the TES endpoint.
    #[serde(default)]
    pub credentials: Option<Credentials>,
    /// TES port; 0 picks a free one.
    #[serde(default)]
    pub tes_port: u16,
}

fn default_thing() -> String {
    "gateway1".to_owned()
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            thing_name: default_thing(),
            region: default_region(),
            iot_core: None,
            secrets_file: None,
            credentials: None,
            tes_port: 0,
        }
    }
}

impl RuntimeConfig {
    /// Reads the file; relative paths inside it are relative to the file's folder.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read runtime config {}", path.display()))?;
        let mut cfg: Self = serde_json::from_str(&text)
            .with_context(|| format!("runtime config {} is invalid", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(b) = cfg.iot_core.as_mut() {
            fix(&mut b.ca_file);
            fix(&mut b.cert_file);
            fix(&mut b.key_file);
        }
        if let Some(s) = cfg.secrets_file.as_mut() {
            fix(s);
        }
        Ok(cfg)
    }
}
