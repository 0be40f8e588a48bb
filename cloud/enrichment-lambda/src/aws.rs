//! AWS clients on one TLS stack (rustls + ring, no aws-lc), credentials and region from the
//! Lambda environment.

use crate::handler::Clients;
use aws_config::BehaviorVersion;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use std::net::IpAddr;

/// The HTTPS client of every AWS client.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_with_resolver(IpPrefixResolver)
}

/// The SDK configuration from the environment (`AWS_ENDPOINT_URL` and friends apply).
pub async fn load() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .load()
        .await
}

/// The clients of `sdk`.
pub fn clients(sdk: &aws_config::SdkConfig) -> Clients {
    Clients {
        dynamodb: aws_sdk_dynamodb::Client::new(sdk),
        s3: aws_sdk_s3::Client::new(sdk),
        sitewise: aws_sdk_iotsitewise::Client::new(sdk),
    }
}

/// System DNS, except that `<label>.<IP literal>` resolves to the literal: SiteWise's data plane
/// puts `data.` in front of the endpoint host, which breaks an endpoint given as an IP address
/// (a VPC endpoint address, a local test peer).
#[derive(Debug, Clone, Copy)]
pub struct IpPrefixResolver;

impl ResolveDns for IpPrefixResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        if let Some(ip) = literal_after_label(name) {
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

fn literal_after_label(name: &str) -> Option<IpAddr> {
    name.parse()
        .ok()
        .or_else(|| name.split_once('.')?.1.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ip_behind_one_label_resolves_to_the_ip() {
        assert_eq!(
            literal_after_label("data.127.0.0.1"),
            Some([127, 0, 0, 1].into())
        );
        assert_eq!(
            literal_after_label("iotsitewise.eu-west-1.amazonaws.com"),
            None
        );
    }
}
