//! moto in server mode on a loopback port. Python comes from the repository's peers venv
//! (`<repo>/.peers`, made by `scripts/setup-test-env.sh`) or `PEERS_PYTHON`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long moto may take to accept connections on a loaded machine.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A running moto server; killed when dropped.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The peers venv's Python (or `PEERS_PYTHON`).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PEERS_PYTHON") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers/bin/python")
}

/// A loopback port nothing listens on right now.
///
/// # Panics
/// When no port can be bound (tests only).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

impl Moto {
    /// Starts moto on a free port and waits until it accepts connections.
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Starts moto on `port` and waits until it accepts connections.
    ///
    /// # Panics
    /// When moto is not installed or does not start in time (tests only).
    pub fn start_on(port: u16) -> Self {
        let child = Command::new(python())
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("start moto ({e}); run scripts/setup-test-env.sh to make the peers venv")
            });
        let moto = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + START_LIMIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }
}

/// SDK configuration for a local endpoint with dummy credentials.
pub async fn sdk(url: &str) -> aws_config::SdkConfig {
    sdk_with_key(url, "testing", "testing").await
}

/// SDK configuration for a local endpoint with the given access key, on [`crate::http_client`].
pub async fn sdk_with_key(url: &str, key: &str, secret: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(aws_credential_types::Credentials::new(
            key, secret, None, None, "test",
        ))
        .http_client(crate::http_client())
        .load()
        .await
}
