//! kill -9 at random moments during a steady stream, 30 trials on one queue: the queue opens
//! every time, no record the producer saw committed is lost, and duplicates stay within the
//! at-least-once window (at most one batch in flight per kill).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TRIALS: u64 = 30;
/// Records per send in the child (its `SEND_BATCH`).
const SEND_BATCH: u64 = 200;
/// Numbering of trial t starts at t × this.
const TRIAL_SPAN: u64 = 10_000_000;

fn child(dir: &std::path::Path, sink: &str, start: u64, drain_only: bool) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stream-uploader-bench"));
    cmd.args(["crash-child", "--dir"])
        .arg(dir)
        .args(["--sink", sink, "--start", &start.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if drain_only {
        cmd.arg("--drain-only");
    }
    cmd.spawn().unwrap()
}

/// Lines of the child's stdout, as they come.
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// The destination: records every `n` of every batch, then acknowledges it.
fn sink() -> (String, Arc<Mutex<HashMap<u64, u32>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen: Arc<Mutex<HashMap<u64, u32>>> = Arc::default();
    let store = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut line = String::new();
            if BufReader::new(&conn).read_line(&mut line).is_err() {
                continue;
            }
            let Ok(batch) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            {
                let mut seen = store.lock().unwrap();
                for n in batch["ns"].as_array().unwrap() {
                    *seen.entry(n.as_u64().unwrap()).or_insert(0) += 1;
                }
            }
            let _ = conn.write_all(b"ok\n");
        }
    });
    (addr, seen)
}

#[test]
fn kill_9_during_a_steady_stream_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, seen) = sink();
    // (first n, last n reported committed) per trial.
    let mut committed = Vec::new();
    for trial in 0..TRIALS {
        let start = trial * TRIAL_SPAN;
        let mut c = child(dir.path(), &addr, start, false);
        let rx = lines(&mut c);
        let open = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
        assert!(
            open.starts_with("OPEN"),
            "trial {trial}: the queue did not open: {open:?}"
        );
        std::thread::sleep(Duration::from_millis(fastrand::u64(50..700)));
        c.kill().unwrap(); // SIGKILL
        c.wait().unwrap();
        let mut last = None;
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(n) = line.strip_prefix("A ") {
                last = Some(n.parse::<u64>().unwrap());
            }
        }
        committed.push((start, last));
    }
    // Deliver the rest.
    let mut c = child(dir.path(), &addr, 0, true);
    let rx = lines(&mut c);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut emptied = false;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(line) if line == "EMPTY" => {
                emptied = true;
                break;
            }
            _ => {}
        }
    }
    let _ = c.kill();
    c.wait().unwrap();
    assert!(emptied, "the backlog drained after the last kill");

    let seen = seen.lock().unwrap();
    let mut lost = Vec::new();
    let mut expected = 0;
    for (start, last) in &committed {
        let Some(last) = last else { continue };
        for n in *start..=*last {
            expected += 1;
            if !seen.contains_key(&n) {
                lost.push(n);
            }
        }
    }
    let duplicates: u64 = seen.values().map(|c| u64::from(*c) - 1).sum();
    let with_commits = committed.iter().filter(|(_, l)| l.is_some()).count();
    eprintln!(
        "kill -9: {TRIALS} trials ({with_commits} with commits), {expected} committed records, {} delivered, {duplicates} duplicates",
        seen.len()
    );
    assert!(
        with_commits >= 25,
        "kills landed after commits in most trials"
    );
    assert!(
        lost.is_empty(),
        "{} committed records lost, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    assert!(
        duplicates <= TRIALS * SEND_BATCH,
        "{duplicates} duplicates: more than one batch in flight per kill"
    );
}
