//! Endpoint selection and identities: anonymous on None, user name on Basic256Sha256
//! SignAndEncrypt with a trust list, an untrusted server refused, trust on first use.

use super::*;

fn pump_nodes() -> Json {
    json!({
        "temperature": {"nodeId": "ns=2;s=Pump1.Temperature", "unit": "degC"},
        "counter": {"nodeId": "ns=2;s=Pump1.Counter"},
    })
}

#[tokio::test]
async fn anonymous_on_security_none_publishes_subscribed_readings() {
    let sim = shared_sim();
    let pki = client_pki("anon-none");
    let server = server_config("anon", &sim.url(), json!({"nodes": pump_nodes()}));
    let mut running = run(server, &pki);
    let mut seen = Seen::default();
    running
        .until(&mut seen, "20 counter changes", |s| {
            s.good("anon", "counter") >= 20
        })
        .await;
    let counter: Vec<i64> = seen
        .of("anon", "counter")
        .iter()
        .filter_map(|r| r.value().and_then(|v| v.as_i64()))
        .collect();
    assert!(
        counter.windows(2).all(|w| w[1] > w[0]),
        "counter rises: {counter:?}"
    );
    let temp = seen.of("anon", "temperature");
    let t = temp.last().expect("temperature readings");
    assert_eq!(t.unit(), Some("degC"));
    let v = t.value().and_then(|v| v.as_f64()).unwrap();
    assert!((54.9..=65.1).contains(&v), "temperature {v}");
    let device = t.device_time_ms().expect("source timestamp kept");
    assert!(
        (t.gateway_time_ms() - device).abs() < 5_000,
        "timestamps near each other"
    );
    assert_eq!(
        seen.last_status("anon").map(|s| s.state()),
        Some(LinkState::Online)
    );
    running.stop(&mut seen).await;
}

#[tokio::test]
async fn username_on_basic256sha256_sign_and_encrypt_with_a_trusted_certificate() {
    let sim = shared_sim();
    let pki = client_pki("user-sae");
    let server = server_config(
        "secure",
        &sim.url(),
        json!({
            "securityPolicy": "Basic256Sha256",
            "securityMode": "SignAndEncrypt",
            "identity": {"type": "username", "username": "operator",
                         "passwordSecretId": "opcua/operator", "passwordSecretKey": "password"},
            "trustedCertificates": {"sim": sim.certificate().display().to_string()},
            "nodes": pump_nodes(),
        }),
    );
    let mut running = run(server, &pki);
    let mut seen = Seen::default();
    running
        .until(&mut seen, "10 counter changes", |s| {
            s.good("secure", "counter") >= 10
        })
        .await;
    assert!(std::fs::read_dir(pki.join("trusted")).unwrap().count() == 1);
    running.stop(&mut seen).await;
}

#[tokio::test]
async fn an_untrusted_server_certificate_is_refused_and_trust_on_first_use_accepts_it() {
    let sim = shared_sim();
    let pki = client_pki("untrusted");
    let secure = |tofu: bool| {
        server_config(
            "plc",
            &sim.url(),
            json!({
                "securityPolicy": "Basic256Sha256",
                "securityMode": "Sign",
                "trustOnFirstUse": tofu,
                "nodes": pump_nodes(),
            }),
        )
    };
    let mut running = run(secure(false), &pki);
    let mut seen = Seen::default();
    running
        .until(&mut seen, "a refusal", |s| {
            s.last_status("plc")
                .is_some_and(|st| st.state() == LinkState::Backoff)
        })
        .await;
    let detail = seen
        .last_status("plc")
        .and_then(|s| s.detail())
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("BadCertificateUntrusted") || detail.contains("BadSecurityChecksFailed"),
        "{detail}"
    );
    assert!(
        detail.contains("trustedCertificates"),
        "the hint names the key: {detail}"
    );
    running.during(&mut seen, Duration::from_secs(2)).await;
    assert_eq!(
        seen.good("plc", "counter"),
        0,
        "no data from an untrusted server"
    );
    assert_eq!(
        opcua_adapter::pki::rejected(&pki).len(),
        1,
        "the refused certificate is kept"
    );
    running.stop(&mut seen).await;

    // Commissioning: trust on first use stores it in the trust list and data flows.
    let pki = client_pki("tofu");
    let mut running = run(secure(true), &pki);
    let mut seen = Seen::default();
    running
        .until(&mut seen, "data with TOFU", |s| {
            s.good("plc", "counter") >= 5
        })
        .await;
    assert_eq!(std::fs::read_dir(pki.join("trusted")).unwrap().count(), 1);
    running.stop(&mut seen).await;
}
