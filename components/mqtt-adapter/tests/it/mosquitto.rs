//! A real mosquitto broker on a free loopback port (plain, user/password, or TLS with a fresh
//! test PKI), and `mosquitto_pub` as the sensor. Killed on drop.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How clients authenticate.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Anonymous, plain TCP.
    Open,
    /// User `sensor-gw`, password `pa55word`, plain TCP.
    Password,
    /// TLS; a client certificate signed by the test CA is required.
    MutualTls,
}

pub const USER: &str = "sensor-gw";
pub const PASSWORD: &str = "pa55word";

pub struct Mosquitto {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
    security: Security,
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("address").port()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Mosquitto {
    pub fn start(security: Security) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut broker = Self {
            child: None,
            port: free_port(),
            dir,
            security,
        };
        broker.write_config();
        broker.restart();
        broker
    }

    pub fn pki(&self) -> PathBuf {
        self.dir.path().join("pki")
    }

    fn write_config(&self) {
        let d = self.dir.path();
        let mut conf = format!(
            "per_listener_settings true\npersistence false\nuser root\nlog_dest file {}\nlistener {} 127.0.0.1\n",
            d.join("mosquitto.log").display(),
            self.port
        );
        match self.security {
            Security::Open => conf.push_str("allow_anonymous true\n"),
            Security::Password => {
                let file = d.join("passwd");
                let status = Command::new("mosquitto_passwd")
                    .args(["-b", "-c"])
                    .arg(&file)
                    .args([USER, PASSWORD])
                    .status()
                    .expect("mosquitto_passwd is needed: run scripts/setup-test-env.sh");
                assert!(status.success(), "mosquitto_passwd failed");
                conf.push_str(&format!(
                    "allow_anonymous false\npassword_file {}\n",
                    file.display()
                ));
            }
            Security::MutualTls => {
                let status = Command::new("bash")
                    .arg(repo().join("tests/peers/make-test-pki.sh"))
                    .arg(self.pki())
                    .arg("sensor-gw")
                    .status()
                    .expect("run make-test-pki.sh");
                assert!(status.success(), "make-test-pki.sh failed");
                let p = self.pki();
                conf.push_str(&format!(
                    "cafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\nuse_identity_as_username true\nallow_anonymous false\n",
                    p.join("ca.crt").display(),
                    p.join("server.crt").display(),
                    p.join("server.key").display()
                ));
            }
        }
        std::fs::write(d.join("mosquitto.conf"), conf).expect("write mosquitto.conf");
    }

    /// Starts (or starts again, on the same port) and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is needed: run scripts/setup-test-env.sh");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Publishes `payload` (QoS 1) on `topic` with mosquitto_pub.
    pub fn publish(&self, topic: &str, payload: &[u8]) {
        let file = self.dir.path().join("payload.bin");
        std::fs::write(&file, payload).expect("write payload");
        let mut cmd = Command::new("mosquitto_pub");
        cmd.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-q",
            "1",
            "-t",
            topic,
        ])
        .arg("-f")
        .arg(&file);
        match self.security {
            Security::Open => {}
            Security::Password => {
                cmd.args(["-u", USER, "-P", PASSWORD]);
            }
            Security::MutualTls => {
                let p = self.pki();
                cmd.arg("--cafile").arg(p.join("ca.crt"));
                cmd.arg("--cert").arg(p.join("sensor-gw.crt"));
                cmd.arg("--key").arg(p.join("sensor-gw.key"));
            }
        }
        let out = cmd.output().expect("mosquitto_pub is needed");
        assert!(
            out.status.success(),
            "mosquitto_pub failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A path as an owned string (for configs).
pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}
