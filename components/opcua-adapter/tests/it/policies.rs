//! Every security policy and mode against one asyncua server that offers them all, and an X.509
//! user certificate login.

use super::*;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_policy_and_mode_delivers_data() {
    let sim = tokio::task::spawn_blocking(|| {
        peer::Sim::start(&tmp("policies-sim-pki"), &["--all-policies"])
    })
    .await
    .unwrap();
    let mut combos = vec![("None", "None")];
    for policy in [
        "Basic128Rsa15",
        "Basic256",
        "Basic256Sha256",
        "Aes128_Sha256_RsaOaep",
        "Aes256_Sha256_RsaPss",
    ] {
        combos.push((policy, "Sign"));
        combos.push((policy, "SignAndEncrypt"));
    }
    let mut runs = Vec::new();
    for (n, (policy, mode)) in combos.iter().enumerate() {
        let id = format!("s{n}");
        // Every other one logs in with a user name: both token kinds on every policy family.
        let identity = if n % 2 == 0 {
            json!({"type": "anonymous"})
        } else {
            json!({"type": "username", "username": "operator",
                   "passwordSecretId": "opcua/operator", "passwordSecretKey": "password"})
        };
        let server = server_config(
            &id,
            &sim.url(),
            json!({
                "securityPolicy": policy, "securityMode": mode, "identity": identity,
                "trustedCertificates": {"sim": sim.certificate().display().to_string()},
                "nodes": {"counter": {"nodeId": "ns=2;s=Pump1.Counter"}},
            }),
        );
        runs.push((
            id.clone(),
            format!("{policy}/{mode}"),
            run(server, &client_pki(&id)),
        ));
    }
    for (id, combo, mut running) in runs {
        let mut seen = Seen::default();
        running
            .until(&mut seen, &format!("{combo}: 5 counter changes"), |s| {
                s.good(&id, "counter") >= 5
            })
            .await;
        running.stop(&mut seen).await;
    }
}

#[tokio::test]
async fn an_x509_user_certificate_logs_in() {
    let sim = shared_sim();
    let dir = tmp("x509-user");
    let (cert, key) = (dir.join("user.der"), dir.join("user-key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=line-operator",
            "-outform",
            "DER",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = server_config(
        "x509",
        &sim.url(),
        json!({
            "securityPolicy": "Basic256Sha256", "securityMode": "SignAndEncrypt",
            "identity": {"type": "certificate", "certificatePath": cert.display().to_string(),
                         "privateKeyPath": key.display().to_string()},
            "trustedCertificates": {"sim": sim.certificate().display().to_string()},
            "nodes": {"counter": {"nodeId": "ns=2;s=Pump1.Counter"}},
        }),
    );
    let mut running = run(server, &client_pki("x509"));
    let mut seen = Seen::default();
    running
        .until(&mut seen, "data with a certificate login", |s| {
            s.good("x509", "counter") >= 5
        })
        .await;
    running.stop(&mut seen).await;
}
