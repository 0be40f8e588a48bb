//! Data: absolute deadband, polling, node selection by browse path and by a browse filter.

use super::*;

#[tokio::test]
async fn an_absolute_deadband_holds_back_small_changes() {
    let sim = shared_sim();
    let pki = client_pki("deadband");
    // The counter steps by 1 every 100 ms. asyncua 2.1 compares each sample with the previous
    // sample (not with the last reported value, as the spec says), so a deadband of 1.5 lets
    // only the initial value through, and one of 0.5 every step.
    let band = |v: f64| {
        json!({"nodeId": "ns=2;s=Pump1.Counter",
                              "sampling": {"deadbandType": "absolute", "deadbandValue": v}})
    };
    let server = server_config(
        "db",
        &sim.url(),
        json!({"nodes": {"raw": {"nodeId": "ns=2;s=Pump1.Counter"}, "small": band(0.5), "large": band(1.5)}}),
    );
    let mut running = run(server, &pki);
    let mut seen = Seen::default();
    running
        .until(&mut seen, "20 raw and 20 small-deadband changes", |s| {
            s.good("db", "raw") >= 20 && s.good("db", "small") >= 20
        })
        .await;
    assert_eq!(
        seen.good("db", "large"),
        1,
        "only the initial value passes the large deadband"
    );
    running.stop(&mut seen).await;
}

#[tokio::test]
async fn polling_reads_on_its_interval() {
    let sim = shared_sim();
    let pki = client_pki("poll");
    let server = server_config(
        "poller",
        &sim.url(),
        json!({
            "sampling": {"mode": "poll", "pollIntervalMs": 300},
            "nodes": {"counter": {"nodeId": "ns=2;s=Pump1.Counter"},
                      "running": {"nodeId": "ns=2;s=Pump1.Running"}},
        }),
    );
    let mut running = run(server, &pki);
    let mut seen = Seen::default();
    running
        .until(&mut seen, "6 polls", |s| s.good("poller", "counter") >= 6)
        .await;
    let counter: Vec<i64> = seen
        .of("poller", "counter")
        .iter()
        .filter_map(|r| r.value().and_then(|v| v.as_i64()))
        .collect();
    // The counter ticks every 100 ms: polls 300 ms apart see it move by about 3.
    let steps: Vec<i64> = counter.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        steps.iter().all(|d| (1..=12).contains(d)),
        "steps {steps:?}"
    );
    assert!(seen.good("poller", "running") >= 6);
    running.stop(&mut seen).await;
}

#[tokio::test]
async fn nodes_are_selected_by_browse_path_and_by_a_browse_filter() {
    let sim = shared_sim();
    let pki = client_pki("browse");
    let server = server_config(
        "tree",
        &sim.url(),
        json!({
            "nodes": {"pressure": {"browsePath": "Objects/2:Pump1/2:Pressure"}},
            "browse": {
                "pump": {"underBrowsePath": "Objects/2:Pump1", "exclude": "Setpoint", "pointPrefix": "p1."},
                "motor": {"underNodeId": "ns=2;s=Pump1", "include": "Motor.*", "maxDepth": 2},
            },
        }),
    );
    let mut running = run(server, &pki);
    let mut seen = Seen::default();
    let expected = [
        "pressure",
        "p1.Temperature",
        "p1.Pressure",
        "p1.Counter",
        "p1.Running",
        "p1.Motor.Current",
        "p1.Motor.Speed",
        "Motor.Current",
        "Motor.Speed",
    ];
    running
        .until(&mut seen, "every browsed point", |s| {
            expected.iter().all(|p| s.good("tree", p) > 0)
        })
        .await;
    running.during(&mut seen, Duration::from_millis(500)).await;
    assert!(seen.of("tree", "p1.Setpoint").is_empty(), "excluded");
    let points: std::collections::BTreeSet<&str> =
        seen.readings.iter().map(|r| r.source().point()).collect();
    assert_eq!(points.len(), expected.len(), "{points:?}");
    running.stop(&mut seen).await;
}

#[tokio::test]
async fn a_publish_with_thousands_of_notifications_keeps_the_session() {
    // 2,500 tags all change at once every second and the subscription publishes once a
    // second, so Publish responses carry over 1,000 notifications (the library's default
    // array limit, which used to close the connection on every such response).
    let sim = peer::Sim::start(
        &tmp("many-tags-pki"),
        &[
            "--tags",
            "2500",
            "--tags-per-cell",
            "500",
            "--tag-slices",
            "1",
        ],
    );
    let pki = client_pki("many");
    let server = server_config(
        "many",
        &sim.url(),
        json!({
            "publishingIntervalMs": 1000,
            "requestTimeoutMs": 20000,
            "sampling": {"samplingIntervalMs": 1000},
            "browse": {"line": {"underNodeId": "ns=2;s=Line", "include": "Cell*.Tag*", "maxDepth": 2}},
        }),
    );
    let mut running = run(server, &pki);
    let mut seen = Seen::default();
    running
        .until(&mut seen, "three changes of each of 2,500 tags", |s| {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for r in &s.readings {
                *counts.entry(r.source().point()).or_default() += 1;
            }
            counts.len() == 2500 && counts.values().all(|&n| n >= 3)
        })
        .await;
    let lost: Vec<_> = seen
        .statuses
        .iter()
        .filter(|s| s.state() == LinkState::Backoff)
        .map(|s| s.detail().map(str::to_owned))
        .collect();
    assert!(lost.is_empty(), "the session was lost: {lost:?}");
    running.stop(&mut seen).await;
}
