//! The control port: a line-based text protocol on loopback to inject and clear faults, start
//! and stop the motor, and read the current state. One command per line, one reply per line:
//!
//! ```text
//! fault <kind> [severity 0..1] [duration, e.g. 30s]   inject now (until cleared without duration)
//! clear [<kind>|all]                                  end faults
//! start | stop                                        the motor's run command
//! status                                              the latest snapshot as JSON
//! faults                                              scheduled and injected faults as JSON
//! help
//! ```
//!
//! Replies start with `ok`, `error` or are a JSON document (`status`, `faults`).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::fault::{FaultKind, parse_duration, parse_severity};
use crate::listen;
use crate::plant::SharedPlant;

/// Longest command line accepted, bytes.
const MAX_LINE: usize = 256;

/// A parsed control command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Inject a fault now.
    Fault {
        /// What.
        kind: FaultKind,
        /// How badly.
        severity: f64,
        /// How long; until cleared when `None`.
        duration: Option<Duration>,
    },
    /// End faults of one kind, or all.
    Clear(Option<FaultKind>),
    /// Run command on/off.
    Run(bool),
    /// The latest snapshot.
    Status,
    /// The fault list.
    Faults,
    /// The command list.
    Help,
}

/// Reads one command line.
pub fn parse(line: &str) -> Result<Command, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["fault", kind, rest @ ..] => {
            let kind: FaultKind = kind.parse().map_err(|e| format!("{e}"))?;
            let mut severity = 1.0;
            let mut duration = None;
            for w in rest {
                if w.ends_with(|c: char| c.is_ascii_alphabetic()) {
                    duration = Some(parse_duration(w).map_err(|e| e.to_string())?);
                } else {
                    severity = parse_severity(w).map_err(|e| e.to_string())?;
                }
            }
            Ok(Command::Fault {
                kind,
                severity,
                duration,
            })
        }
        ["clear"] | ["clear", "all"] => Ok(Command::Clear(None)),
        ["clear", kind] => Ok(Command::Clear(Some(
            kind.parse()
                .map_err(|e: crate::fault::FaultError| e.to_string())?,
        ))),
        ["start"] => Ok(Command::Run(true)),
        ["stop"] => Ok(Command::Run(false)),
        ["status"] => Ok(Command::Status),
        ["faults"] => Ok(Command::Faults),
        ["help"] => Ok(Command::Help),
        [] => Err("empty command; try `help`".into()),
        [other, ..] => Err(format!("unknown command `{other}`; try `help`")),
    }
}

/// Carries out `cmd` on `plant` and returns the reply line.
pub fn execute(plant: &SharedPlant, cmd: Command) -> String {
    let mut p = plant.lock();
    match cmd {
        Command::Fault {
            kind,
            severity,
            duration,
        } => {
            p.inject(kind, severity, duration);
            let how_long = duration.map_or("until cleared".to_owned(), |d| {
                format!("for {:.1}s", d.as_secs_f64())
            });
            format!("ok {kind} severity {severity} injected {how_long}")
        }
        Command::Clear(kind) => {
            p.clear(kind);
            format!(
                "ok cleared {}",
                kind.map_or("all".to_owned(), |k| k.to_string())
            )
        }
        Command::Run(run) => {
            p.line_mut().set_run(run);
            format!("ok motor {}", if run { "started" } else { "stopped" })
        }
        Command::Status => {
            let mut v = json!(p.snapshot());
            v["modbusRequests"] = json!(p.modbus_requests());
            v.to_string()
        }
        Command::Faults => {
            let list: Vec<_> = p
                .fault_specs()
                .iter()
                .map(|s| {
                    json!({
                        "kind": s.kind,
                        "severity": s.severity,
                        "startMs": s.start.as_millis() as u64,
                        "durationMs": s.duration.map(|d| d.as_millis() as u64),
                    })
                })
                .collect();
            json!(list).to_string()
        }
        Command::Help => "ok commands: fault <kind> [severity] [duration] | clear [kind|all] | \
                          start | stop | status | faults | help; kinds: valve-closure, \
                          imbalance, cavitation, drift, offline"
            .to_owned(),
    }
}

/// Binds the control port, naming the address when it is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    listen::bind(addr, "control", "--control-port").await
}

/// Accepts control connections until `cancel`.
pub async fn serve(listener: TcpListener, plant: SharedPlant, cancel: CancellationToken) {
    listen::accept_until(listener, cancel, "factory-sim control", move |stream| {
        let plant = plant.clone();
        async move {
            if let Err(e) = session(stream, plant).await {
                eprintln!("factory-sim: control connection: {e}");
            }
        }
    })
    .await;
}

async fn session(stream: TcpStream, plant: SharedPlant) -> io::Result<()> {
    let (rd, mut wr) = stream.into_split();
    let mut lines = BufReader::new(rd.take(1 << 20)).lines();
    while let Some(line) = lines.next_line().await? {
        let reply = if line.len() > MAX_LINE {
            format!("error line longer than {MAX_LINE} bytes")
        } else {
            match parse(&line) {
                Ok(cmd) => execute(&plant, cmd),
                Err(e) => format!("error {e}"),
            }
        };
        wr.write_all(reply.as_bytes()).await?;
        wr.write_all(b"\n").await?;
    }
    Ok(())
}

/// Sends one command line to a running simulator and returns its reply.
pub async fn send(addr: SocketAddr, line: &str) -> anyhow::Result<String> {
    let stream = tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(addr))
        .await
        .map_err(|_| {
            anyhow::anyhow!("timed out connecting to the simulator's control port {addr}")
        })?
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot reach the simulator's control port {addr}: {e} (is factory-sim running?)"
            )
        })?;
    let (rd, mut wr) = stream.into_split();
    wr.write_all(format!("{line}\n").as_bytes()).await?;
    let mut reply = String::new();
    tokio::time::timeout(
        Duration::from_secs(3),
        BufReader::new(rd).read_line(&mut reply),
    )
    .await
    .map_err(|_| anyhow::anyhow!("no reply from the simulator within 3 s"))??;
    Ok(reply.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_names_bad_ones() {
        assert_eq!(
            parse("fault cavitation 0.5 30s"),
            Ok(Command::Fault {
                kind: FaultKind::Cavitation,
                severity: 0.5,
                duration: Some(Duration::from_secs(30))
            })
        );
        assert_eq!(
            parse("fault offline"),
            Ok(Command::Fault {
                kind: FaultKind::DeviceOffline,
                severity: 1.0,
                duration: None
            })
        );
        assert_eq!(parse("clear all"), Ok(Command::Clear(None)));
        assert_eq!(
            parse("clear imbalance"),
            Ok(Command::Clear(Some(FaultKind::Imbalance)))
        );
        assert!(parse("fault melt").is_err_and(|e| e.contains("unknown fault `melt`")));
        assert!(parse("fault drift 3").is_err_and(|e| e.contains("severity")));
        assert!(parse("explode").is_err_and(|e| e.contains("unknown command `explode`")));
    }
}
