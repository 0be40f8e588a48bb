//! Log files: one per component for its processes' output, and the runtime's own
//! `greengrass.log` for state changes. Lines follow the nucleus's text format:
//! `2026-11-25T21:00:00.123Z [INFO] (Run) com.x.Y: stdout. <line>`.

use std::path::{Path, PathBuf};

use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

use edge_model::time::{now_ms, rfc3339_millis};

/// Which pipe a line came from. The nucleus logs stderr at WARN.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn level_and_name(self) -> (&'static str, &'static str) {
        match self {
            Self::Stdout => ("INFO", "stdout"),
            Self::Stderr => ("WARN", "stderr"),
        }
    }
}

/// One log line, with the current time.
pub(crate) fn format_line(level: &str, source: &str, component: &str, message: &str) -> String {
    format!(
        "{} [{level}] ({source}) {component}: {message}\n",
        rfc3339_millis(now_ms())
    )
}

async fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await
}

/// Appends each line of `reader` to `path` until the pipe closes. Invalid UTF-8 is kept, lossily,
/// rather than ending the copy.
pub(crate) async fn copy_lines(
    reader: impl AsyncRead + Unpin,
    path: PathBuf,
    component: String,
    step: &'static str,
    stream: Stream,
) {
    let mut file = match open_append(&path).await {
        Ok(file) => file,
        Err(error) => {
            tracing::warn!(%error, log = %path.display(), "Cannot open component log.");
            return;
        }
    };
    let (level, name) = stream.level_and_name();
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) => return,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, %component, "Reading process output failed.");
                return;
            }
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_end_matches(['\n', '\r']);
        let line = format_line(level, step, &component, &format!("{name}. {text}"));
        // Flushed per line so that the file is current while the process runs.
        if let Err(error) = write_line(&mut file, &line).await {
            tracing::warn!(%error, log = %path.display(), "Writing component log failed.");
            return;
        }
    }
}

async fn write_line(file: &mut File, line: &str) -> std::io::Result<()> {
    file.write_all(line.as_bytes()).await?;
    file.flush().await
}

/// `<root>/logs/greengrass.log`, shared by every component's runner.
#[derive(Debug)]
pub(crate) struct RuntimeLog {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl RuntimeLog {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            file: Mutex::new(None),
        }
    }

    /// Appends one line; failures are reported through tracing and otherwise ignored, since a
    /// log problem must not stop components.
    pub(crate) async fn write(&self, level: &str, component: &str, message: &str) {
        let line = format_line(level, "gg-local", component, message);
        let mut guard = self.file.lock().await;
        if guard.is_none() {
            match open_append(&self.path).await {
                Ok(file) => *guard = Some(file),
                Err(error) => {
                    tracing::warn!(%error, log = %self.path.display(), "Cannot open runtime log.");
                    return;
                }
            }
        }
        if let Some(file) = guard.as_mut()
            && let Err(error) = write_line(file, &line).await
        {
            tracing::warn!(%error, log = %self.path.display(), "Writing runtime log failed.");
            *guard = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_follow_the_nucleus_format() {
        let line = format_line("INFO", "Run", "com.x.Y", "stdout. hello");
        let (ts, rest) = line.split_once(' ').unwrap();
        assert_eq!(ts.len(), "2026-11-25T21:00:00.123Z".len());
        assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T');
        assert_eq!(rest, "[INFO] (Run) com.x.Y: stdout. hello\n");
    }

    #[tokio::test]
    async fn copied_lines_are_prefixed_and_appended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.log");
        let input: &[u8] = b"one\ntwo\r\nno newline";
        copy_lines(input, path.clone(), "c".into(), "Install", Stream::Stderr).await;
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].ends_with("[WARN] (Install) c: stderr. one"),
            "{}",
            lines[0]
        );
        assert!(lines[1].ends_with("stderr. two"));
        assert!(lines[2].ends_with("stderr. no newline"));
    }
}
