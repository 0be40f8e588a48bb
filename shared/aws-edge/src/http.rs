//! The HTTPS client of every AWS SDK client on the gateway and in the cloud.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use std::net::IpAddr;

/// The HTTPS client: rustls with ring (the one TLS stack of the workspace) and
/// [`PrefixedIpResolver`].
pub fn http_client() -> SharedHttpClient {
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
    use super::prefixed_ip;

    #[test]
    fn an_ip_literal_alone_or_behind_one_label_resolves_to_the_ip() {
        assert_eq!(prefixed_ip("data.127.0.0.1"), Some([127, 0, 0, 1].into()));
        assert_eq!(prefixed_ip("127.0.0.1"), Some([127, 0, 0, 1].into()));
        assert_eq!(
            prefixed_ip("::1"),
            Some(std::net::Ipv6Addr::LOCALHOST.into())
        );
        assert_eq!(
            prefixed_ip("data.iotsitewise.eu-west-1.amazonaws.com"),
            None
        );
    }
}
