//! Readable reasons for OPC UA failures, and which of them are configuration problems (the
//! server refuses us until someone changes something) rather than transient faults.

use opcua::types::StatusCode;

/// A status with a hint at what to change, when there is one.
pub fn describe(code: StatusCode) -> String {
    match hint(code) {
        Some(h) => format!("{code}: {h}"),
        None => code.to_string(),
    }
}

fn hint(code: StatusCode) -> Option<&'static str> {
    Some(match code {
        StatusCode::BadUserAccessDenied
        | StatusCode::BadIdentityTokenRejected
        | StatusCode::BadIdentityTokenInvalid => {
            "the server refused the login (check identity.username and the password secret)"
        }
        StatusCode::BadCertificateUntrusted | StatusCode::BadSecurityChecksFailed => {
            "the server certificate is not trusted (add it to trustedCertificates; refused \
             certificates are kept in the PKI folder's rejected/ directory) or the server \
             refused ours"
        }
        StatusCode::BadCertificateTimeInvalid => "a certificate is expired or not yet valid",
        StatusCode::BadCertificateHostNameInvalid => {
            "the server certificate does not name the host of endpointUrl"
        }
        StatusCode::BadCertificateUriInvalid => {
            "the server certificate's URI does not match the server's application URI"
        }
        StatusCode::BadSecurityPolicyRejected => "the server refused the security policy",
        StatusCode::BadTcpEndpointUrlInvalid => {
            "no endpoint with this URL, security policy and mode"
        }
        _ => return None,
    })
}

/// Whether retrying soon is pointless: the configuration (ours or the server's) must change.
pub fn is_configuration(code: StatusCode) -> bool {
    hint(code).is_some()
}

/// The status code named at the start of a failure text, if any (`BadUserAccessDenied: …`).
pub fn status_in(text: &str) -> Option<StatusCode> {
    let name: String = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| w.starts_with("Bad"))?
        .to_owned();
    [
        StatusCode::BadUserAccessDenied,
        StatusCode::BadIdentityTokenRejected,
        StatusCode::BadIdentityTokenInvalid,
        StatusCode::BadCertificateUntrusted,
        StatusCode::BadSecurityChecksFailed,
        StatusCode::BadCertificateTimeInvalid,
        StatusCode::BadCertificateHostNameInvalid,
        StatusCode::BadCertificateUriInvalid,
        StatusCode::BadSecurityPolicyRejected,
        StatusCode::BadTcpEndpointUrlInvalid,
    ]
    .into_iter()
    .find(|c| c.to_string() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_and_trust_failures_are_configuration_problems_with_hints() {
        let text = describe(StatusCode::BadUserAccessDenied);
        assert!(
            text.starts_with("BadUserAccessDenied: ") && text.contains("password"),
            "{text}"
        );
        assert_eq!(status_in(&text), Some(StatusCode::BadUserAccessDenied));
        assert!(is_configuration(StatusCode::BadCertificateUntrusted));
        assert!(!is_configuration(StatusCode::BadCommunicationError));
        assert_eq!(describe(StatusCode::BadTimeout), "BadTimeout");
        assert_eq!(status_in("connection lost: BadTimeout"), None);
    }
}
