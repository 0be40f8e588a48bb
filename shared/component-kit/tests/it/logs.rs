//! What the operator reads: one clear error per bad configuration, warnings for unknown keys,
//! Greengrass-friendly lines.

use crate::probe::{NAME, Rig, started};
use component_kit::logging::GreengrassFormat;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs a capturing subscriber for this thread. `#[tokio::test]` runs every task on the
/// test's thread, so the harness's tasks log into it too.
fn capture() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .event_format(GreengrassFormat::new(NAME))
        .with_writer(capture.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (capture, guard)
}

fn looks_like_a_greengrass_line(line: &str, level: &str) -> bool {
    let bytes = line.as_bytes();
    let stamp_ok = line.len() > 24
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && bytes[19] == b'.'
        && bytes[23] == b'Z'
        && bytes[..4].iter().all(u8::is_ascii_digit);
    stamp_ok && line[24..].starts_with(&format!(" [{level}] component={NAME} "))
}

#[tokio::test]
async fn a_bad_config_is_logged_once_naming_the_key_and_reason() {
    let (logs, _guard) = capture();
    let rig = Rig::start(json!({"devices": {}, "intervalMs": "fast"}));
    rig.nucleus.gg.wait_states(&["ERRORED"]).await;
    // The same bad configuration read again (another event) is not logged again.
    rig.nucleus.gg.notify();
    rig.nucleus
        .gg
        .wait_until("the second read", |gg| gg.reads() == 2)
        .await;
    rig.stop().await.unwrap();

    let errors: Vec<String> = logs
        .lines()
        .into_iter()
        .filter(|l| l.contains("[ERROR]"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let line = &errors[0];
    assert!(looks_like_a_greengrass_line(line, "ERROR"), "{line}");
    assert!(
        line.contains(
            "configuration key intervalMs: invalid value: string \"fast\", expected a number; waiting for a valid configuration."
        ),
        "{line}"
    );
    assert!(line.ends_with(" key=intervalMs"), "{line}");
}

#[tokio::test]
async fn unknown_keys_are_warnings_and_access_control_is_silent() {
    let (logs, _guard) = capture();
    let mut rig = Rig::start(json!({
        "intervalMs": 3,
        "staleKey": true,
        "accessControl": {"aws.greengrass.ipc.pubsub": {}},
        "logLevel": "INFO",
    }));
    assert_eq!(rig.next_seen().await, started(3));
    rig.nucleus.gg.wait_states(&["RUNNING"]).await;
    rig.stop().await.unwrap();

    let warnings: Vec<String> = logs
        .lines()
        .into_iter()
        .filter(|l| l.contains("[WARN]"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        looks_like_a_greengrass_line(&warnings[0], "WARN"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[0].ends_with("Ignoring an unknown configuration key. key=staleKey"),
        "{}",
        warnings[0]
    );
    assert!(logs.lines().iter().all(|l| !l.contains("accessControl")));
}
