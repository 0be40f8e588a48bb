//! AWS clients on one TLS stack (`aws_edge::http_client`: rustls + ring, no aws-lc), credentials and region from the
//! Lambda environment.

use crate::handler::Clients;
use aws_config::BehaviorVersion;

/// The SDK configuration from the environment (`AWS_ENDPOINT_URL` and friends apply).
pub async fn load() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(aws_edge::http_client())
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
