//! Configuration, state reporting and shutdown.

use crate::gg::WAIT;
use crate::probe::{Rig, Seen, started};
use component_kit::{Exit, HarnessError};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_valid_config_reports_running_and_calls_run() {
    let mut rig = Rig::start(json!({
        "intervalMs": "5.0",
        "logLevel": "DEBUG",
        "accessControl": {"aws.greengrass.ipc.pubsub": {}},
    }));
    assert_eq!(rig.next_seen().await, started(5));
    rig.nucleus.gg.wait_states(&["RUNNING"]).await;
    assert_eq!(rig.stop().await.unwrap(), Exit::Stopped);
}

#[tokio::test]
async fn an_invalid_first_config_reports_errored_and_waits_for_a_good_one() {
    let mut rig = Rig::start(json!({"intervalMs": "fast"}));
    rig.nucleus.gg.wait_states(&["ERRORED"]).await;
    assert!(
        !rig.harness.is_finished(),
        "the harness must not exit on a bad config"
    );

    rig.nucleus.gg.update_config(json!({"intervalMs": 7}));
    assert_eq!(rig.next_seen().await, started(7));
    rig.nucleus.gg.wait_states(&["ERRORED", "RUNNING"]).await;
    assert_eq!(rig.stop().await.unwrap(), Exit::Stopped);
}

#[tokio::test]
async fn a_bad_update_keeps_the_last_good_config_running_without_a_restart_loop() {
    let mut rig = Rig::start(json!({"intervalMs": 5}));
    assert_eq!(rig.next_seen().await, started(5));
    rig.nucleus.gg.wait_states(&["RUNNING"]).await;

    // Fails validate(): the run with 5 goes on, and no ERRORED is reported, because on the
    // nucleus ERRORED restarts the process and the third time marks it BROKEN.
    rig.nucleus.gg.update_config(json!({"intervalMs": 0}));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rig.next_seen())
            .await
            .is_err(),
        "the good run must not be stopped by a bad update"
    );
    assert_eq!(rig.nucleus.gg.states(), ["RUNNING"]);

    // A good one replaces it: the first thing the probe sees is the old run stopping.
    rig.nucleus.gg.update_config(json!({"intervalMs": 9}));
    assert_eq!(rig.next_seen().await, Seen::Stopped { interval_ms: 5 });
    assert_eq!(rig.next_seen().await, started(9));
    rig.nucleus.gg.wait_states(&["RUNNING"]).await;
    assert_eq!(rig.stop().await.unwrap(), Exit::Stopped);
}

#[tokio::test]
async fn a_restart_with_a_bad_config_runs_the_last_good_one_saved_in_the_work_folder() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().to_owned();
    let mut rig = Rig::start_with(json!({"intervalMs": 5}), |h| h.work_dir(dir.clone()));
    assert_eq!(rig.next_seen().await, started(5));
    rig.nucleus.gg.wait_states(&["RUNNING"]).await;
    assert!(dir.join(".last-good-config.json").exists());
    assert_eq!(rig.stop().await.unwrap(), Exit::Stopped);

    // A new process (same work folder) whose configuration is bad keeps collecting.
    let mut again = Rig::start_with(json!({"intervalMs": "fast"}), |h| h.work_dir(dir.clone()));
    assert_eq!(again.next_seen().await, started(5));
    again.nucleus.gg.wait_states(&["RUNNING"]).await;
    assert_eq!(again.stop().await.unwrap(), Exit::Stopped);
}

#[tokio::test]
async fn an_update_that_changes_only_kit_keys_does_not_restart() {
    let mut rig = Rig::start(json!({"intervalMs": 5, "logLevel": "INFO"}));
    assert_eq!(rig.next_seen().await, started(5));
    rig.nucleus.gg.wait_states(&["RUNNING"]).await;

    // 5.0 is 5 as Greengrass may hand it back; only kit keys really change.
    rig.nucleus
        .gg
        .update_config(json!({"intervalMs": 5.0, "logLevel": "DEBUG", "metricsIntervalMs": 0}));
    rig.nucleus
        .gg
        .wait_until("the update to be read", |gg| gg.reads() == 2)
        .await;
    rig.nucleus.gg.update_config(json!({"intervalMs": 6}));
    // Had the first update restarted the run, the probe would see `Stopped { 5 }`, `Started(5)`.
    assert_eq!(rig.next_seen().await, Seen::Stopped { interval_ms: 5 });
    assert_eq!(rig.next_seen().await, started(6));
    assert_eq!(rig.stop().await.unwrap(), Exit::Stopped);
}

#[tokio::test]
async fn a_burst_of_update_events_is_applied_once() {
    let mut rig = Rig::start_with(json!({"intervalMs": 5}), |h| {
        h.update_debounce(Duration::from_millis(100))
    });
    assert_eq!(rig.next_seen().await, started(5));
    rig.nucleus.gg.wait_states(&["RUNNING"]).await;
    for i in 10..15 {
        rig.nucleus.gg.update_config(json!({"intervalMs": i}));
    }
    assert_eq!(rig.next_seen().await, Seen::Stopped { interval_ms: 5 });
    assert_eq!(rig.next_seen().await, started(14));
    assert_eq!(rig.stop().await.unwrap(), Exit::Stopped);
}

#[tokio::test]
async fn shutdown_stops_run_within_the_grace_period() {
    let mut rig = Rig::start(json!({"intervalMs": 5}));
    assert_eq!(rig.next_seen().await, started(5));
    rig.nucleus.gg.wait_states(&["RUNNING"]).await;
    let began = Instant::now();
    rig.shutdown.cancel();
    assert_eq!(rig.next_seen().await, Seen::Stopped { interval_ms: 5 });
    let exit = tokio::time::timeout(WAIT, &mut rig.harness)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit.unwrap(), Exit::Stopped);
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "took {:?}",
        began.elapsed()
    );
}

#[tokio::test]
async fn a_run_that_ignores_shutdown_is_abandoned_after_the_grace_period() {
    let grace = Duration::from_millis(300);
    let mut rig = Rig::start_with(json!({"intervalMs": 5, "ignoreShutdown": true}), |h| {
        h.grace_period(grace)
    });
    assert_eq!(rig.next_seen().await, started(5));
    rig.nucleus.gg.wait_states(&["RUNNING"]).await;
    let began = Instant::now();
    assert_eq!(rig.stop().await.unwrap(), Exit::GraceExpired);
    let took = began.elapsed();
    assert!(
        took >= grace && took < grace + Duration::from_secs(2),
        "took {took:?}"
    );
}

#[tokio::test]
async fn a_failing_run_reports_errored_and_ends_with_an_error() {
    let mut rig = Rig::start(json!({"intervalMs": 5, "fail": "true"}));
    assert_eq!(rig.next_seen().await, started(5));
    let result = tokio::time::timeout(WAIT, &mut rig.harness)
        .await
        .unwrap()
        .unwrap();
    match result {
        Err(HarnessError::Component(e)) => assert_eq!(e.to_string(), "the probe was told to fail"),
        other => panic!("expected a component error, got {other:?}"),
    }
    assert_eq!(
        rig.nucleus.gg.states().last().map(String::as_str),
        Some("ERRORED")
    );
}

#[tokio::test]
async fn shutdown_before_any_valid_config_exits_cleanly() {
    let rig = Rig::start(json!({"intervalMs": -3}));
    rig.nucleus.gg.wait_states(&["ERRORED"]).await;
    assert_eq!(rig.stop().await.unwrap(), Exit::Stopped);
}

#[tokio::test]
async fn outside_greengrass_the_error_names_the_missing_variable() {
    if std::env::var_os("AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT").is_some() {
        return;
    }
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let err = component_kit::Harness::new(crate::probe::Probe::new(tx))
        .signals(false)
        .tracing(false)
        .serve()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "not running under Greengrass: AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT is not set"
    );
}
