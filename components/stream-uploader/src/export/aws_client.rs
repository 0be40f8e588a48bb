//! One AWS SDK configuration per export: credentials from the default chain (under Greengrass:
//! the token exchange service through `AWS_CONTAINER_CREDENTIALS_FULL_URI`), one TLS stack
//! (rustls + ring), optional region and endpoint overrides.

use crate::validate::AwsSettings;
use aws_config::BehaviorVersion;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use std::net::IpAddr;

/// Loads the SDK configuration for `settings` from the environment.
pub async fn load(settings: &AwsSettings) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client());
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url.clone());
    }
    loader.load().await
}

/// The HTTPS client every export uses.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_with_resolver(PrefixedIpResolver)
}

/// System DNS, except that `<label>.<IP literal>` resolves to the IP literal. SiteWise's data
/// plane puts `data.` in front of any endpoint host, so an endpoint override given as an IP
/// address (a VPC endpoint address, a local test peer) would otherwise never resolve.
#[derive(Debug, Clone, Copy)]
pub struct PrefixedIpResolver;

impl ResolveDns for PrefixedIpResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        if let Some(ip) = prefixed_ip(name) {
            return DnsFuture::ready(Ok(vec![ip]));
        }
        let name = name.to_owned();
        DnsFuture::new(async move {
            let addrs = tokio::net::lookup_host((name.as_str(), 0))
                .await
                .map_err(ResolveDnsError::new)?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

fn prefixed_ip(name: &str) -> Option<IpAddr> {
    if let Ok(ip) = name.parse() {
        return Some(ip);
    }
    let (_, rest) = name.split_once('.')?;
    rest.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefixed_ip_literal_resolves_to_the_ip() {
        assert_eq!(prefixed_ip("data.127.0.0.1"), Some([127, 0, 0, 1].into()));
        assert_eq!(prefixed_ip("127.0.0.1"), Some([127, 0, 0, 1].into()));
        assert_eq!(
            prefixed_ip("data.iotsitewise.eu-west-1.amazonaws.com"),
            None
        );
    }
}
