//! Security policies and modes as written in the configuration, and the endpoint tuple the
//! client matches against the server's endpoints.

use opcua::crypto::SecurityPolicy;
use opcua::types::{EndpointDescription, MessageSecurityMode, UserTokenPolicy};

/// The six policies, as the configuration names them (the spec's URI fragments; the `-` forms
/// of async-opcua are accepted too).
pub const POLICIES: [(&str, SecurityPolicy); 6] = [
    ("None", SecurityPolicy::None),
    ("Basic128Rsa15", SecurityPolicy::Basic128Rsa15),
    ("Basic256", SecurityPolicy::Basic256),
    ("Basic256Sha256", SecurityPolicy::Basic256Sha256),
    ("Aes128_Sha256_RsaOaep", SecurityPolicy::Aes128Sha256RsaOaep),
    ("Aes256_Sha256_RsaPss", SecurityPolicy::Aes256Sha256RsaPss),
];

/// Parses a policy name.
pub fn parse_policy(text: &str) -> Result<SecurityPolicy, String> {
    let wanted = text.trim().replace('-', "_");
    POLICIES
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, p)| *p)
        .ok_or_else(|| {
            let names: Vec<&str> = POLICIES.iter().map(|(n, _)| *n).collect();
            format!("{text:?} is not one of {}", names.join(", "))
        })
}

/// Parses a message security mode.
pub fn parse_mode(text: &str) -> Result<MessageSecurityMode, String> {
    match text.trim() {
        "None" => Ok(MessageSecurityMode::None),
        "Sign" => Ok(MessageSecurityMode::Sign),
        "SignAndEncrypt" => Ok(MessageSecurityMode::SignAndEncrypt),
        other => Err(format!("{other:?} is not None, Sign or SignAndEncrypt")),
    }
}

/// The endpoint to match: URL, policy and mode. The user-token policy does not pick the
/// endpoint (the identity token kind does).
pub fn wanted_endpoint(
    url: &str,
    policy: SecurityPolicy,
    mode: MessageSecurityMode,
) -> EndpointDescription {
    EndpointDescription::from((url, policy.to_uri(), mode, UserTokenPolicy::anonymous()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_six_policies_and_three_modes_parse() {
        for (name, policy) in POLICIES {
            assert_eq!(parse_policy(name), Ok(policy));
        }
        assert_eq!(
            parse_policy("Aes128-Sha256-RsaOaep"),
            Ok(SecurityPolicy::Aes128Sha256RsaOaep)
        );
        let err = parse_policy("Basic512").unwrap_err();
        assert!(
            err.contains("Basic512") && err.contains("Basic256Sha256"),
            "{err}"
        );
        for (name, mode) in [
            ("None", MessageSecurityMode::None),
            ("Sign", MessageSecurityMode::Sign),
            ("SignAndEncrypt", MessageSecurityMode::SignAndEncrypt),
        ] {
            assert_eq!(parse_mode(name), Ok(mode));
        }
        assert!(parse_mode("Encrypt").is_err());
    }
}
