//! The server is killed and started again: the adapter re-creates the session, the
//! subscription and its monitored items, and data resumes with no manual step.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_resumes_after_the_server_restarts() {
    let mut sim = peer::Sim::start(&tmp("restart-sim-pki"), &[]);
    let pki = client_pki("restart");
    let server = server_config(
        "plc",
        &sim.url(),
        json!({"nodes": {
            "counter": {"nodeId": "ns=2;s=Pump1.Counter"},
            "pressure": {"browsePath": "Objects/2:Pump1/2:Pressure"},
            "polled": {"nodeId": "ns=2;s=Pump1.Temperature", "sampling": {"mode": "poll", "pollIntervalMs": 200}},
        }}),
    );
    let mut running = run(server, &pki);
    let mut seen = Seen::default();
    running
        .until(&mut seen, "data before the restart", |s| {
            s.good("plc", "counter") >= 5
        })
        .await;
    for round in 0..2 {
        sim.stop();
        // What the old server sent before it died is drained first.
        running.during(&mut seen, Duration::from_secs(1)).await;
        let before = seen.readings.len();
        sim = tokio::task::spawn_blocking(move || {
            sim.start_again();
            sim
        })
        .await
        .unwrap();
        running
            .until(&mut seen, "data after the restart", |s| {
                let after = &s.readings[before.min(s.readings.len())..];
                let good = |p: &str| {
                    after.iter().any(|r| {
                        r.source().point() == p && r.quality() == edge_model::Quality::Good
                    })
                };
                // The old server is dead: good data now comes from the new one.
                good("counter") && good("pressure") && good("polled")
            })
            .await;
        assert!(
            seen.statuses
                .iter()
                .any(|s| s.state() == LinkState::Backoff),
            "round {round}: the loss was reported"
        );
        assert_eq!(
            seen.last_status("plc").map(|s| s.state()),
            Some(LinkState::Online)
        );
    }
    running.stop(&mut seen).await;
}
