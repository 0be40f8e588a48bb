//! rustls client configuration from PEM files: the broker's CA, and optionally a client
//! certificate for brokers that authenticate devices by certificate.

use crate::config::TlsConfig;
use std::sync::Arc;

/// The TLS configuration; the error names the file and what is wrong with it.
pub fn client_config(tls: &TlsConfig) -> Result<rustls::ClientConfig, String> {
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"));
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut read(&tls.ca_file)?.as_slice()) {
        let cert = cert.map_err(|e| format!("bad PEM in {}: {e}", tls.ca_file))?;
        roots
            .add(cert)
            .map_err(|e| format!("unusable CA certificate in {}: {e}", tls.ca_file))?;
    }
    if roots.is_empty() {
        return Err(format!("no certificate in {}", tls.ca_file));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    match (&tls.cert_file, &tls.key_file) {
        (Some(cert_file), Some(key_file)) => {
            let chain = rustls_pemfile::certs(&mut read(cert_file)?.as_slice())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("bad PEM in {cert_file}: {e}"))?;
            let key = rustls_pemfile::private_key(&mut read(key_file)?.as_slice())
                .map_err(|e| format!("bad PEM in {key_file}: {e}"))?
                .ok_or_else(|| format!("no private key in {key_file}"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("{cert_file} and {key_file} do not match: {e}"))
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}
