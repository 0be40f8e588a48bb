//! GetSecretValue from a local JSON file: `{"<secretId>": "text" | {"secretString": "…"} |
//! {"secretBinary": "<base64>"}}`. It stands in for `aws.greengrass.SecretManager`.

use ggipc::model::{GetSecretValueResponse, SecretValue};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Secrets loaded at start-up.
#[derive(Debug, Default)]
pub struct Secrets {
    values: HashMap<String, SecretValue>,
}

impl Secrets {
    /// Loads the file; a broken file is an error that names it.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read secrets file {}: {e}", path.display()))?;
        let doc: HashMap<String, Value> = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!("secrets file {} is not a JSON object: {e}", path.display())
        })?;
        let mut values = HashMap::new();
        for (id, value) in doc {
            let secret = match value {
                Value::String(s) => SecretValue {
                    secret_string: Some(s),
                    secret_binary: None,
                },
                other => serde_json::from_value(other)
                    .map_err(|e| anyhow::anyhow!("secret {id:?} in {}: {e}", path.display()))?,
            };
            values.insert(id, secret);
        }
        Ok(Self { values })
    }

    /// Looks a secret up by id.
    pub fn get(&self, secret_id: &str) -> Option<GetSecretValueResponse> {
        self.values.get(secret_id).map(|v| GetSecretValueResponse {
            secret_id: secret_id.to_owned(),
            version_id: "local-1".to_owned(),
            version_stage: vec!["AWSCURRENT".to_owned()],
            secret_value: v.clone(),
        })
    }
}
