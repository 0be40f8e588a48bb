//! The identity token of a session. Passwords come from Secrets Manager through IPC
//! `GetSecretValue` (`aws.greengrass.SecretManager`) at every connect, so a rotated password is
//! picked up on the next reconnect; they are never logged.

use crate::server::Identity;
use component_kit::Ctx;
use opcua::client::{IdentityToken, Password};
use opcua::crypto::CertificateStore;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// Where secret strings come from.
pub trait Secrets: Clone + Send + Sync + 'static {
    /// The secret string of `secret_id`; the error is a readable reason.
    fn secret_string(&self, secret_id: &str)
    -> impl Future<Output = Result<String, String>> + Send;
}

/// Secrets through Greengrass IPC.
#[derive(Debug, Clone)]
pub struct IpcSecrets(pub Ctx);

impl Secrets for IpcSecrets {
    async fn secret_string(&self, secret_id: &str) -> Result<String, String> {
        let response = self
            .0
            .ipc()
            .get_secret_value(secret_id)
            .await
            .map_err(|e| format!("GetSecretValue {secret_id:?}: {e}"))?;
        response
            .secret_value
            .secret_string
            .ok_or_else(|| format!("secret {secret_id:?} has no secret string"))
    }
}

/// Fixed secrets (tests, the benchmark).
#[derive(Debug, Clone, Default)]
pub struct StaticSecrets(pub Arc<HashMap<String, String>>);

impl Secrets for StaticSecrets {
    async fn secret_string(&self, secret_id: &str) -> Result<String, String> {
        self.0
            .get(secret_id)
            .cloned()
            .ok_or_else(|| format!("no secret {secret_id:?}"))
    }
}

/// Builds the token for `identity`; the error names the secret or file, never the password.
pub async fn token<S: Secrets>(identity: &Identity, secrets: &S) -> Result<IdentityToken, String> {
    match identity {
        Identity::Anonymous => Ok(IdentityToken::Anonymous),
        Identity::UserName {
            username,
            secret_id,
            secret_key,
        } => {
            let secret = secrets.secret_string(secret_id).await?;
            let password = match secret_key {
                None => secret,
                Some(key) => password_in_json(&secret, key)
                    .ok_or_else(|| format!("secret {secret_id:?} has no string key {key:?}"))?,
            };
            Ok(IdentityToken::UserName(
                username.clone(),
                Password::new(password),
            ))
        }
        Identity::Certificate {
            certificate,
            private_key,
        } => {
            let cert = CertificateStore::read_cert(certificate)
                .map_err(|e| format!("user certificate {}: {e}", certificate.display()))?;
            let key = CertificateStore::read_pkey(private_key)
                .map_err(|e| format!("user private key {}: {e}", private_key.display()))?;
            Ok(IdentityToken::X509(Box::new(cert), Box::new(key)))
        }
    }
}

/// `key` of a JSON object secret (`{"username": "...", "password": "..."}`).
fn password_in_json(secret: &str, key: &str) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_str(secret).ok()?;
    doc.get(key)?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> StaticSecrets {
        StaticSecrets(Arc::new(HashMap::from([
            ("plain".to_owned(), "pw-1".to_owned()),
            (
                "json".to_owned(),
                r#"{"username":"operator","password":"pw-2"}"#.to_owned(),
            ),
        ])))
    }

    fn user(secret_id: &str, key: Option<&str>) -> Identity {
        Identity::UserName {
            username: "operator".to_owned(),
            secret_id: secret_id.to_owned(),
            secret_key: key.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn passwords_come_from_plain_or_json_secrets() {
        for (id, key) in [("plain", None), ("json", Some("password"))] {
            match token(&user(id, key), &secrets()).await {
                Ok(IdentityToken::UserName(name, _)) => assert_eq!(name, "operator"),
                other => panic!("{id}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_missing_secret_or_key_is_named_without_the_password() {
        let err = token(&user("absent", None), &secrets()).await.unwrap_err();
        assert!(err.contains("absent"), "{err}");
        let err = token(&user("json", Some("pw")), &secrets())
            .await
            .unwrap_err();
        assert!(err.contains("\"pw\"") && !err.contains("pw-2"), "{err}");
    }
}
