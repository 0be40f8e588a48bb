//! onnxruntime (PyPI) as a long-lived peer process (`tests/peers/ort_peer.py serve`), so the
//! benchmark can interleave its rounds with tract's: both engines then see the same load on a
//! shared machine instead of one running while another build is busy.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

/// A running peer with one model loaded on one thread.
pub struct OrtPeer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Session creation time, ms.
    pub load_ms: f64,
    /// The onnxruntime version.
    pub version: String,
    dir: PathBuf,
}

impl OrtPeer {
    /// Starts the peer on `model` with `input` ([n, w, f] values) as its window set.
    pub fn start(
        python: &Path,
        script: &Path,
        model: &Path,
        input: &[f32],
        (n, w, f): (usize, usize, usize),
    ) -> Result<Self, String> {
        let name = model
            .parent()
            .and_then(Path::file_name)
            .map_or_else(|| "model".into(), |n| n.to_string_lossy());
        let dir = std::env::temp_dir().join(format!("anomaly-bench-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let data = dir.join("input.f32");
        let bytes: Vec<u8> = input.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&data, bytes).map_err(|e| e.to_string())?;
        let mut child = Command::new(python)
            .arg(script)
            .arg("serve")
            .arg(model)
            .arg(&data)
            .args([n.to_string(), w.to_string(), f.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!(
                    "{}: {e} (create the venv: scripts/setup-test-env.sh)",
                    python.display()
                )
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the onnxruntime peer has no pipes".into());
        };
        let mut peer = Self {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            load_ms: 0.0,
            version: String::new(),
            dir,
        };
        let hello = peer.read()?;
        peer.load_ms = hello["loadMs"].as_f64().unwrap_or(f64::NAN);
        peer.version = hello["onnxruntime"].as_str().unwrap_or("?").to_owned();
        Ok(peer)
    }

    /// Durations of `count` single-window `session.run` calls on windows `start`, `start + 1`, …
    pub fn single(&mut self, start: usize, count: usize) -> Result<Vec<Duration>, String> {
        let answer = self.ask(&format!("single {start} {count}"))?;
        let ns = answer["ns"]
            .as_array()
            .ok_or_else(|| format!("onnxruntime peer answered {answer}"))?;
        Ok(ns
            .iter()
            .filter_map(serde_json::Value::as_u64)
            .map(Duration::from_nanos)
            .collect())
    }

    /// (windows, seconds) of whole-set calls repeated for `secs`.
    pub fn batch(&mut self, secs: f64) -> Result<(f64, f64), String> {
        let answer = self.ask(&format!("batch {secs}"))?;
        match (answer["windows"].as_f64(), answer["seconds"].as_f64()) {
            (Some(w), Some(s)) => Ok((w, s)),
            _ => Err(format!("onnxruntime peer answered {answer}")),
        }
    }

    fn ask(&mut self, command: &str) -> Result<serde_json::Value, String> {
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("onnxruntime peer: {e}"))?;
        self.read()
    }

    fn read(&mut self) -> Result<serde_json::Value, String> {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| format!("onnxruntime peer: {e}"))?;
        if line.is_empty() {
            return Err("the onnxruntime peer exited (see its stderr above)".into());
        }
        serde_json::from_str(line.trim())
            .map_err(|e| format!("onnxruntime peer output {line:?}: {e}"))
    }
}

impl Drop for OrtPeer {
    fn drop(&mut self) {
        let _ignored = writeln!(self.stdin, "quit");
        let _ignored = self.child.wait();
        let _ignored = std::fs::remove_dir_all(&self.dir);
    }
}
