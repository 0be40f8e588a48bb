//! moto in server mode (Kinesis, S3, STS) on an ephemeral loopback port. Python comes from the
//! repository's peers venv (`<repo>/.peers`) or `PEERS_PYTHON`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PEERS_PYTHON") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers/bin/python")
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Moto {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Starts moto on `port` and waits until it answers (15 s at most).
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
            .expect("start moto (install it: .peers/bin/pip install 'moto[server]==5.2.5')");
        let moto = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
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

/// SDK configuration for a local endpoint with the given access key.
pub async fn sdk_with_key(url: &str, key: &str, secret: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_kinesis::config::Credentials::new(
            key, secret, None, None, "test",
        ))
        .http_client(stream_uploader::export::aws_client::http_client())
        .load()
        .await
}
