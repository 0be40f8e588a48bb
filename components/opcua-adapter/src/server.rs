//! A validated server: how to reach it, who to log in as, and what to read from it.

use crate::node::{BrowseRule, NodeSpec};
use edge_model::DeviceId;
use opcua::crypto::SecurityPolicy;
use opcua::types::MessageSecurityMode;
use std::path::PathBuf;
use std::time::Duration;

/// One OPC UA server, ready to connect to.
#[derive(Debug, Clone)]
pub struct Server {
    /// Server id (the device id of its readings).
    pub id: DeviceId,
    /// `opc.tcp://…` endpoint URL.
    pub endpoint_url: String,
    /// Security policy of the endpoint to use.
    pub policy: SecurityPolicy,
    /// Message security mode of the endpoint to use.
    pub mode: MessageSecurityMode,
    /// Identity to log in with.
    pub identity: Identity,
    /// Extra trusted server certificates (installed into the trust list at start-up).
    pub trusted_certificates: Vec<PathBuf>,
    /// Trust an unknown server certificate on first contact.
    pub trust_on_first_use: bool,
    /// Check the server certificate's host name, validity period and application URI.
    pub verify_server_certificate: bool,
    /// Which timestamp becomes `deviceTimeMs`.
    pub timestamps: TimestampSource,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// Session timeout asked of the server.
    pub session_timeout: Duration,
    /// Cap of the reconnect backoff.
    pub reconnect_max_delay: Duration,
    /// Publishing interval of the subscription.
    pub publishing_interval: Duration,
    /// Largest number of nodes in one request.
    pub max_items_per_request: usize,
    /// Nodes selected one by one.
    pub nodes: Vec<NodeSpec>,
    /// Browse rules (folders whose variables are all read).
    pub browse: Vec<BrowseRule>,
}

/// Who the adapter logs in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No user.
    Anonymous,
    /// User name; the password comes from a secret.
    UserName {
        /// The user name.
        username: String,
        /// Secret id in Secrets Manager.
        secret_id: String,
        /// Key inside a JSON secret, if any.
        secret_key: Option<String>,
    },
    /// X.509 user certificate and its private key.
    Certificate {
        /// Certificate file (DER or PEM).
        certificate: PathBuf,
        /// Private key file (PEM).
        private_key: PathBuf,
    },
}

/// Which timestamp becomes a reading's `deviceTimeMs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampSource {
    /// The source timestamp, or the server timestamp when the source gave none.
    Source,
    /// The server timestamp.
    Server,
    /// None: readings carry the gateway time only.
    Gateway,
}
