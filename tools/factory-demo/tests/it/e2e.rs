//! The demo end to end, headless, with a scheduled cavitation fault.

use std::time::Duration;

use serde_json::Value;

use crate::demo::{self, Ports};

/// Fault start, simulator time: after the AnomalyDetector's 30 s baseline and its first 15 s
/// window (as the demo deployment configures them), with 20 s to spare for a slow start-up of
/// the runtime and the components on a loaded machine.
const FAULT_AT_S: u64 = 65;
/// The bound within which an alarm must follow the fault (cavitation reaches full severity in
/// 3 s, the alarm needs 3 s over threshold).
const ALARM_BOUND_MS: i64 = 20_000;
/// Windows the detector must have scored before the fault (one per 250 ms step): proof that
/// "no alarm before the fault" was judged on normal data, not on a detector still fitting.
const SCORED_BEFORE_FAULT: f64 = 20.0;
/// How long the demo runs.
const RUN_S: u64 = 100;

#[test]
fn data_reaches_every_deployed_stage_and_the_fault_raises_an_alarm() {
    demo::require_binaries();
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let summary = dir.path().join("summary.json");
    let fault = format!("cavitation@{FAULT_AT_S}s+40s");
    let child = demo::start(
        &run,
        Ports::free(),
        RUN_S,
        &[
            "--fault",
            &fault,
            "--summary-json",
            summary.to_str().unwrap(),
        ],
    );
    let out = demo::finish(child, Duration::from_secs(RUN_S + 90));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed\n{stdout}\n{stderr}");
    assert!(stdout.contains("Demo summary"), "{stdout}");
    assert!(stdout.contains("factory-sim stopped after"), "{stdout}");

    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let state = |c: &str| {
        s["components"][format!("com.smartfactory.{c}")]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let deployed = |c: &str| state(c) != "not deployed";
    let n = |k: &str| s[k].as_f64().unwrap_or(0.0);

    // Adapter: 20 points every 500 ms for most of the run.
    assert_eq!(state("ModbusAdapter"), "RUNNING", "{s:#}");
    assert!(
        n("rawReadings") >= 20.0 * 2.0 * (RUN_S as f64 - 30.0),
        "raw readings {s:#}"
    );
    // Every device is attributed to its adapter, even one that went online before the view
    // subscribed (the adapters publish their link status only when it changes).
    let by_adapter = &s["readingsByAdapter"];
    assert!(
        by_adapter.get("?").is_none(),
        "readings of no adapter: {s:#}"
    );
    assert!(
        by_adapter["ModbusAdapter"].as_f64().unwrap_or(0.0) >= 20.0 * 2.0 * (RUN_S as f64 - 30.0),
        "Modbus readings attributed to the ModbusAdapter: {s:#}"
    );
    assert_eq!(n("unreadableMessages"), 0.0, "{s:#}");
    assert!(
        s["firstFaultMs"].is_i64(),
        "the view saw the fault act: {s:#}"
    );
    let sim = &s["simulator"];
    assert!(sim["modbusRequests"].as_u64().unwrap() > 50, "{s:#}");

    let mut unchecked = Vec::new();
    if deployed("OpcUaAdapter") {
        // Six nodes subscribed at 500 ms sampling from the simulator's OPC UA server; the
        // vibration and flow change on every sample.
        assert_eq!(state("OpcUaAdapter"), "RUNNING", "{s:#}");
        let opcua = s["readingsByAdapter"]["OpcUaAdapter"].as_u64().unwrap_or(0);
        assert!(
            opcua as f64 >= 2.0 * (RUN_S as f64 - 40.0),
            "OPC UA readings from the simulator: {s:#}"
        );
    } else {
        unchecked.push("OpcUaAdapter");
    }
    if deployed("FilterAggregator") {
        assert!(n("filteredReadings") > 0.0, "filter stage: {s:#}");
        assert!(n("aggregateMessages") > 0.0, "aggregate stage: {s:#}");
    } else {
        unchecked.push("FilterAggregator");
    }
    if deployed("AnomalyDetector") {
        assert!(n("anomalyEvents") > 0.0, "anomaly stage: {s:#}");
        assert!(
            n("anomalyEventsBeforeFault") >= SCORED_BEFORE_FAULT,
            "the detector scored too little normal data before the fault: {s:#}"
        );
        assert_eq!(n("alarmsBeforeFault"), 0.0, "false alarm: {s:#}");
        assert!(n("alarmsRaised") >= 1.0, "the fault raised no alarm: {s:#}");
        let latency = s["faultToAlarmMs"].as_i64().unwrap();
        assert!(
            latency <= ALARM_BOUND_MS,
            "alarm {latency} ms after the fault: {s:#}"
        );
    } else {
        unchecked.push("AnomalyDetector (alarm bound)");
    }
    if deployed("StreamUploader") {
        assert!(n("uploaderSent") > 0.0, "uploader stage: {s:#}");
        assert_eq!(
            n("uploaderDropped"),
            0.0,
            "the uploader dropped records: {s:#}"
        );
        assert!(
            n("cloudRecords") > 0.0,
            "nothing reached the local IoT Core: {s:#}"
        );
        // The local Kinesis/S3 folder: filtered readings and alarms as Kinesis records,
        // 10 s aggregates as S3 objects of JSON lines.
        let cloud = run.join("cloud");
        assert!(
            n("kinesisRecords") > 0.0,
            "nothing in the local Kinesis: {s:#}"
        );
        assert!(
            n("s3Objects") > 0.0 && n("s3Records") > 0.0,
            "nothing in the local S3: {s:#}"
        );
        assert_eq!(n("s3UploadFailures"), 0.0, "{s:#}");
        let kinesis =
            std::fs::read_to_string(cloud.join("kinesis/factory-telemetry/records.jsonl")).unwrap();
        let first: Value = serde_json::from_str(kinesis.lines().next().unwrap()).unwrap();
        assert!(
            first["data"]["topic"]
                .as_str()
                .is_some_and(|t| t.starts_with("factory/")),
            "a Kinesis record is the uploader's envelope: {first}"
        );
        assert!(
            stdout.contains(&format!("under {}", cloud.display())),
            "the summary says where the uploads landed: {stdout}"
        );
    } else {
        unchecked.push("StreamUploader");
    }
    if !unchecked.is_empty() {
        eprintln!(
            "NOTE: not deployed in this tree, so not checked: {}",
            unchecked.join(", ")
        );
    }

    let left = demo::processes_mentioning(run.to_str().unwrap());
    assert!(left.is_empty(), "processes left behind: {left:#?}");
    eprintln!(
        "{}",
        stdout
            .lines()
            .skip_while(|l| !l.contains("Demo summary"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_taken_port_stops_the_demo_before_anything_starts() {
    demo::require_binaries();
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut ports = Ports::free();
    ports.web = taken.local_addr().unwrap().port();
    let child = demo::start(&dir.path().join("run"), ports, 5, &[]);
    let out = demo::finish(child, Duration::from_secs(30));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("port {} (web view) is already in use", ports.web)),
        "{stderr}"
    );
    assert!(!dir.path().join("run/gg-local").exists(), "nothing started");
}

#[test]
fn sigint_mid_run_stops_everything_and_prints_the_summary() {
    demo::require_binaries();
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let child = demo::start(&run, Ports::free(), 0, &["--no-fault"]);
    // Wait until the view runs, then interrupt as Ctrl-C would.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !run.join("gg-local/cli.token").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the demo did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(4));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = demo::finish(child, Duration::from_secs(40));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Demo summary"), "{stdout}");
    assert!(stdout.contains("Stopped. Logs:"), "{stdout}");
    let left = demo::processes_mentioning(run.to_str().unwrap());
    assert!(left.is_empty(), "processes left behind: {left:#?}");
}

#[test]
fn sigint_during_start_up_stops_what_already_runs() {
    demo::require_binaries();
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let child = demo::start(&run, Ports::free(), 0, &["--no-fault"]);
    // Interrupt while gg-local is starting the components: the simulator and the local cloud
    // run, the runtime is half up, the view has not started.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !run.join("gg-local.out").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the demo never started gg-local"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = demo::finish(child, Duration::from_secs(40));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(130),
        "exit status of an interrupted demo: {stdout}"
    );
    assert!(stdout.contains("Stopped. Logs:"), "{stdout}");
    let left = demo::processes_mentioning(run.to_str().unwrap());
    assert!(left.is_empty(), "processes left behind: {left:#?}");
}
