//! A token-exchange-service stand-in on loopback: the AWS SDK container-credentials provider
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`) reads
//! configured credentials from it, exactly as it reads them from `aws.greengrass.TokenExchangeService`.

use super::registry::Registry;
use serde::Deserialize;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The path the nucleus serves credentials on.
pub const CREDENTIALS_PATH: &str = "/2016-11-01/credentialprovider/";

/// Credentials handed to components (`credentials` in the runtime configuration).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret key.
    pub secret_access_key: String,
    /// Session token, if any.
    #[serde(default)]
    pub session_token: Option<String>,
}

/// Binds on 127.0.0.1 (port 0 = any) and serves forever; returns the full URI.
pub async fn start(
    port: u16,
    credentials: Option<Credentials>,
    registry: Arc<Registry>,
) -> anyhow::Result<String> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let uri = format!(
        "http://localhost:{}{CREDENTIALS_PATH}",
        listener.local_addr()?.port()
    );
    let credentials = Arc::new(credentials);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let credentials = credentials.clone();
            let registry = registry.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    serve_one(stream, &credentials, &registry),
                )
                .await;
            });
        }
    });
    Ok(uri)
}

async fn serve_one(
    stream: tokio::net::TcpStream,
    credentials: &Option<Credentials>,
    registry: &Registry,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    let mut token = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("authorization")
        {
            token = Some(value.trim().to_owned());
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or_default();
    let (status, body) = match (
        path,
        token.as_deref().and_then(|t| registry.authenticate(t)),
        credentials,
    ) {
        (p, _, _) if p.trim_end_matches('/') != CREDENTIALS_PATH.trim_end_matches('/') => {
            ("404 Not Found", serde_json::json!({"message": "not found"}))
        }
        (_, None, _) => (
            "403 Forbidden",
            serde_json::json!({"message": "Authorization header does not carry a known component token"}),
        ),
        (_, Some(_), None) => (
            "503 Service Unavailable",
            serde_json::json!({"message": "no AWS credentials configured in the local runtime (runtime config key: credentials)"}),
        ),
        (_, Some(_), Some(c)) => {
            let expiration = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
            let secs = expiration
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            (
                "200 OK",
                serde_json::json!({
                    "AccessKeyId": c.access_key_id,
                    "SecretAccessKey": c.secret_access_key,
                    "Token": c.session_token.clone().unwrap_or_default(),
                    "Expiration": edge_model::time::rfc3339(secs),
                }),
            )
        }
    };
    let body = body.to_string();
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = reader.into_inner();
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
