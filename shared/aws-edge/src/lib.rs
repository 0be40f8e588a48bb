//! What every crate that talks to AWS shares: the SDK's HTTP client on one TLS stack (rustls +
//! ring, no aws-lc) with a resolver that accepts IP-literal endpoints behind a host prefix, and,
//! with the `testing` feature, the peers their tests run against (moto server, an HTTP stub for
//! the services moto lacks, and a SiteWise stub on it). With the `sitewise` feature: SiteWise
//! entries and their per-entry failures, as the uploader and the enrichment Lambda send them.

mod http;
#[cfg(feature = "sitewise")]
pub mod sitewise;
#[cfg(feature = "testing")]
pub mod testing;

pub use http::{PrefixedIpResolver, http_client};
