//! The client's own certificate and the server trust list, in one PKI folder under the
//! component's work folder:
//!
//! - `own/cert.der`, `private/private.pem`: generated on first start (RSA 2048, valid
//!   [`CERTIFICATE_DAYS`] days, SANs: the application URI and this host's names), generated again
//!   when expired (the old pair is kept with an `.expired` suffix);
//! - `trusted/`: trusted server certificates. The configured ones are copied in at start-up;
//!   with `trustOnFirstUse` an unknown certificate lands here on first contact;
//! - `rejected/`: unknown server certificates that were refused. Moving one to `trusted/` (or
//!   listing it in `trustedCertificates`) trusts it.

use opcua::crypto::{CertificateStore, X509, X509Data};
use opcua::types::{ApplicationDescription, ApplicationType, LocalizedText, UAString};
use std::path::{Path, PathBuf};

/// Validity of a generated client certificate.
pub const CERTIFICATE_DAYS: u32 = 5 * 365;

/// Who the client is: the URI must match the certificate.
#[derive(Debug, Clone)]
pub struct AppIdentity {
    /// Application name (certificate common name).
    pub name: String,
    /// Application URI (certificate SAN URI).
    pub uri: String,
    /// Product URI.
    pub product_uri: String,
}

impl AppIdentity {
    /// The identity of the adapter on the gateway `thing`.
    pub fn for_thing(thing: &str) -> Self {
        Self {
            name: "OpcUaAdapter".to_owned(),
            uri: format!("urn:{thing}:smartfactory:OpcUaAdapter"),
            product_uri: "urn:smartfactory:OpcUaAdapter".to_owned(),
        }
    }

    fn description(&self) -> ApplicationDescription {
        ApplicationDescription {
            application_uri: UAString::from(self.uri.as_str()),
            application_name: LocalizedText::new("", &self.name),
            application_type: ApplicationType::Client,
            product_uri: UAString::from(self.product_uri.as_str()),
            gateway_server_uri: UAString::null(),
            discovery_profile_uri: UAString::null(),
            discovery_urls: None,
        }
    }
}

/// What [`prepare`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnCertificate {
    /// An existing, valid certificate is used.
    Kept,
    /// A new certificate was generated (first start, or the old one expired).
    Generated,
}

/// Makes sure the PKI folder has a valid client certificate; generates one if needed.
/// Blocking (key generation): call it from `spawn_blocking`.
pub fn prepare(dir: &Path, app: &AppIdentity) -> Result<OwnCertificate, String> {
    let store = CertificateStore::new(dir);
    store
        .ensure_pki_path()
        .map_err(|e| format!("cannot create the PKI folder {}: {e}", dir.display()))?;
    let cert_path = store.own_certificate_path();
    let key_path = store.own_private_key_path();
    match (store.read_own_cert(), store.read_own_pkey()) {
        (Ok(cert), Ok(_)) if !expired(&cert) => return Ok(OwnCertificate::Kept),
        (Ok(_), Ok(_)) => {
            for path in [&cert_path, &key_path] {
                let mut aside = path.clone().into_os_string();
                aside.push(".expired");
                std::fs::rename(path, &aside)
                    .map_err(|e| format!("cannot move aside {}: {e}", path.display()))?;
            }
            tracing::warn!(path = %cert_path.display(), "The client certificate expired; generating a new one (servers must trust it again).");
        }
        _ => {}
    }
    let mut data = X509Data::from(app.description());
    data.certificate_duration_days = CERTIFICATE_DAYS;
    store
        .create_and_store_application_instance_cert(&data, true)
        .map_err(|e| format!("cannot generate the client certificate: {e}"))?;
    tracing::info!(path = %cert_path.display(), uri = %app.uri, "Generated the client certificate.");
    Ok(OwnCertificate::Generated)
}

fn expired(cert: &X509) -> bool {
    let now = opcua::types::DateTime::now().as_chrono();
    cert.not_after().map(|t| t < now).unwrap_or(true)
}

/// Copies `cert` (DER or PEM) into the trust list under the name the library looks for, and
/// removes it from `rejected/`. Returns the path in the trust list.
pub fn trust(dir: &Path, cert: &Path) -> Result<PathBuf, String> {
    let x509 = CertificateStore::read_cert(cert)
        .map_err(|e| format!("trusted certificate {}: {e}", cert.display()))?;
    let store = CertificateStore::new(dir);
    let name = CertificateStore::cert_file_name(&x509);
    let der = x509
        .to_der()
        .map_err(|e| format!("trusted certificate {}: {e}", cert.display()))?;
    let target = store.trusted_certs_dir().join(&name);
    std::fs::create_dir_all(store.trusted_certs_dir())
        .and_then(|()| std::fs::write(&target, der))
        .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    let rejected = store.rejected_certs_dir().join(&name);
    if rejected.exists() {
        let _ = std::fs::remove_file(&rejected);
    }
    Ok(target)
}

/// Certificates in `rejected/` (file names), for the error message of an untrusted server.
pub fn rejected(dir: &Path) -> Vec<String> {
    let store = CertificateStore::new(dir);
    let Ok(entries) = std::fs::read_dir(store.rejected_certs_dir()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
