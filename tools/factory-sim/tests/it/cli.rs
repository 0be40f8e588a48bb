//! Bad input on the command line and taken ports: one clear message, exit status 1.

use std::net::TcpListener;
use std::process::Stdio;

use crate::sim::{bin, wait_bounded};

fn stderr_of(args: &[&str]) -> (bool, String) {
    let child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_bounded(child);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_taken_modbus_port_is_named() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (ok, err) = stderr_of(&["--no-mqtt", "--control-port", "0", "--modbus-port", &port]);
    assert!(!ok);
    assert!(
        err.contains(&format!("Modbus port 127.0.0.1:{port} is already in use")),
        "{err}"
    );
}

#[test]
fn a_taken_control_port_is_named() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (ok, err) = stderr_of(&["--no-mqtt", "--modbus-port", "0", "--control-port", &port]);
    assert!(!ok);
    assert!(
        err.contains(&format!("control port 127.0.0.1:{port} is already in use")),
        "{err}"
    );
}

#[test]
fn a_taken_opcua_port_is_named() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (ok, err) = stderr_of(&[
        "--no-mqtt",
        "--modbus-port",
        "0",
        "--control-port",
        "0",
        "--opcua-port",
        &port,
    ]);
    assert!(!ok);
    assert!(
        err.contains(&format!(
            "OPC UA port 127.0.0.1:{port} is already in use; stop whatever listens there or pick another with --opcua-port"
        )),
        "{err}"
    );
}

#[test]
fn a_bad_fault_schedule_is_refused_before_anything_starts() {
    let (ok, err) = stderr_of(&["--fault", "cavitation@soon"]);
    assert!(!ok);
    assert!(err.contains("duration `soon`"), "{err}");
}

#[test]
fn a_missing_broker_is_reported_and_the_simulator_runs_on() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap().to_string();
    drop(free);
    let child = bin()
        .args([
            "--modbus-port",
            "0",
            "--control-port",
            "0",
            "--opcua-port",
            "0",
            "--seconds",
            "1",
            "--mqtt",
            &addr,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_bounded(child);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("no MQTT broker at {addr}")),
        "{stdout}"
    );
    assert!(stdout.contains("factory-sim stopped after"), "{stdout}");
}

#[test]
fn ctl_without_a_running_simulator_says_so() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port().to_string();
    drop(free);
    let (ok, err) = stderr_of(&["ctl", "--control-port", &port, "status"]);
    assert!(!ok);
    assert!(err.contains("is factory-sim running?"), "{err}");
}
