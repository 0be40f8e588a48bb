//! Bad input: a wrong password, node ids, browse paths and browse folders that do not exist, a
//! browse rule that selects nothing. Each is named in a clear error, and the rest keeps flowing.

use super::*;

#[tokio::test]
async fn missing_nodes_are_named_and_the_other_nodes_keep_flowing() {
    let sim = shared_sim();
    let pki = client_pki("missing");
    let server = server_config(
        "plc",
        &sim.url(),
        json!({"nodes": {
            "counter": {"nodeId": "ns=2;s=Pump1.Counter"},
            "ghost": {"nodeId": "ns=2;s=Pump1.DoesNotExist"},
            "lost": {"browsePath": "Objects/2:Pump1/2:Nowhere"},
            "polledGhost": {"nodeId": "ns=2;s=Nope", "sampling": {"mode": "poll", "pollIntervalMs": 200}},
        },
        "browse": {
            "gone": {"underNodeId": "ns=2;s=NoSuchFolder"},
            "typo": {"underNodeId": "ns=2;s=Pump1", "include": "Temprature"},
        }}),
    );
    let mut running = run(server, &pki);
    let mut seen = Seen::default();
    running
        .until(&mut seen, "counter data and every error", |s| {
            s.good("plc", "counter") >= 10
                && ["ghost", "lost", "polledGhost", "browse.gone", "browse.typo"]
                    .iter()
                    .all(|p| !s.of("plc", p).is_empty())
        })
        .await;
    let detail = |point: &str| {
        seen.of("plc", point)[0]
            .quality_detail()
            .unwrap()
            .to_owned()
    };
    let ghost = detail("ghost");
    assert!(
        ghost.contains("BadNodeIdUnknown") && ghost.contains("Pump1.DoesNotExist"),
        "{ghost}"
    );
    let lost = detail("lost");
    assert!(
        lost.contains("Bad") && lost.contains("Objects/2:Pump1/2:Nowhere"),
        "{lost}"
    );
    assert!(detail("polledGhost").contains("BadNodeIdUnknown"));
    let gone = detail("browse.gone");
    assert!(
        gone.contains("Bad") && gone.contains("NoSuchFolder"),
        "{gone}"
    );
    let typo = detail("browse.typo");
    assert!(
        typo.contains("no variable") && typo.contains("Temprature") && typo.contains("Pump1"),
        "{typo}"
    );
    assert_eq!(
        seen.last_status("plc").map(|s| s.state()),
        Some(LinkState::Online)
    );
    running.stop(&mut seen).await;
}

#[tokio::test]
async fn a_wrong_password_is_named_while_another_server_keeps_flowing() {
    let sim = shared_sim();
    let pki = client_pki("wrong-password");
    let nodes = json!({"counter": {"nodeId": "ns=2;s=Pump1.Counter"}});
    let bad = server_config(
        "locked",
        &sim.url(),
        json!({
            "identity": {"type": "username", "username": "operator", "passwordSecretId": "opcua/wrong"},
            "nodes": nodes,
        }),
    );
    let good = server_config("open", &sim.url(), json!({"nodes": nodes}));
    let mut locked = run(bad, &pki);
    let mut open = run(good, &pki);
    let mut seen_locked = Seen::default();
    locked
        .until(&mut seen_locked, "a refused login", |s| {
            s.last_status("locked")
                .is_some_and(|st| st.state() == LinkState::Backoff)
        })
        .await;
    let detail = seen_locked
        .last_status("locked")
        .and_then(|s| s.detail())
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("BadUserAccessDenied") || detail.contains("BadIdentityTokenRejected"),
        "{detail}"
    );
    assert!(
        !detail.contains("not-the-password"),
        "the password never appears: {detail}"
    );
    let mut seen_open = Seen::default();
    open.until(&mut seen_open, "data from the other server", |s| {
        s.good("open", "counter") >= 10
    })
    .await;
    assert!(seen_locked.readings.is_empty());
    locked.stop(&mut seen_locked).await;
    open.stop(&mut seen_open).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_server_certificate_is_refused_even_when_trusted() {
    let sim = tokio::task::spawn_blocking(|| {
        peer::Sim::start(&tmp("expired-sim-pki"), &["--expired-cert"])
    })
    .await
    .unwrap();
    let server = server_config(
        "old",
        &sim.url(),
        json!({
            "securityPolicy": "Basic256Sha256", "securityMode": "SignAndEncrypt",
            "trustedCertificates": {"sim": sim.certificate().display().to_string()},
            "nodes": {"counter": {"nodeId": "ns=2;s=Pump1.Counter"}},
        }),
    );
    let mut running = run(server, &client_pki("expired"));
    let mut seen = Seen::default();
    running
        .until(&mut seen, "a refusal", |s| {
            s.last_status("old")
                .is_some_and(|st| st.state() == LinkState::Backoff)
        })
        .await;
    let detail = seen
        .last_status("old")
        .and_then(|s| s.detail())
        .unwrap()
        .to_owned();
    assert!(detail.contains("BadCertificateTimeInvalid"), "{detail}");
    assert!(detail.contains("expired"), "the hint says so: {detail}");
    assert!(seen.readings.is_empty());
    running.stop(&mut seen).await;
}
