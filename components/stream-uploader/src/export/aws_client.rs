//! One AWS SDK configuration per export: credentials from the default chain (under Greengrass:
//! the token exchange service through `AWS_CONTAINER_CREDENTIALS_FULL_URI`), one TLS stack
//! (rustls + ring, `aws_edge::http_client`), optional region and endpoint overrides.

use crate::validate::AwsSettings;
use aws_config::BehaviorVersion;

/// Loads the SDK configuration for `settings` from the environment.
pub async fn load(settings: &AwsSettings) -> aws_config::SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(aws_edge::http_client());
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url.clone());
    }
    loader.load().await
}
