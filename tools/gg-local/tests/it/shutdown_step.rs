//! The repository recipes' Shutdown step (`<binary> --stop`, component_kit::stop_command) stops
//! the running component itself under gg-local, as it would before the nucleus's 5 s SIGTERM.

use gg_local::testing::{Deployment, gg_local_bin};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SENSOR: &str = "com.smartfactory.ExampleSensor";

/// Polls `runtime`'s log of `component` until it contains `needle`, for at most `within`.
fn log_contains(runtime: &gg_local::testing::LocalRuntime, needle: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if runtime.log(SENSOR).contains(needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn removing_a_component_runs_its_shutdown_step_which_stops_the_process() {
    // The workspace build puts every binary next to gg-local.
    let sensor = gg_local_bin().with_file_name("example-sensor");
    assert!(
        sensor.exists(),
        "{} missing: build the workspace binaries first (cargo build --workspace)",
        sensor.display()
    );
    let runtime = Deployment::new()
        .component(SENSOR, &sensor, "example-sensor", Value::Null)
        .start();
    assert!(
        log_contains(&runtime, "Connected to Greengrass", Duration::from_secs(60)),
        "the sensor never started:\n{}",
        runtime.log(SENSOR)
    );
    let pid_file = runtime
        .root()
        .join("work")
        .join(SENSOR)
        .join("component.pid"); // component_kit::stop_command::PID_FILE
    assert!(pid_file.exists(), "no pid file at {}", pid_file.display());

    runtime.deploy(&json!({"components": {}}));
    let log = runtime.log(SENSOR);
    assert!(
        log.contains("(Shutdown)") && log.contains("stopped."),
        "the Shutdown step did not stop the process:\n{log}"
    );
    assert!(
        log.contains("SIGTERM"),
        "the component saw SIGTERM from the step:\n{log}"
    );
    assert!(!pid_file.exists(), "the pid file is removed on exit");
}
