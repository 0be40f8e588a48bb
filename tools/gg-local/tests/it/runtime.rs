//! The gg-local binary end to end: a component gets the nucleus environment, the credentials
//! endpoint serves only component tokens, IPC calls are authorized by the recipe, and the CLI
//! reports states.

use ggipc::model::PublishMessage;
use ggipc::{ConnectOptions, ErrorKind, IpcClient};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Runtime {
    child: Child,
    _dir: tempfile::TempDir,
    root: PathBuf,
    work: PathBuf,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

const RECIPE: &str = r#"{
  "RecipeFormatVersion": "2020-01-25",
  "ComponentName": "test.EnvDump",
  "ComponentVersion": "1.0.0",
  "ComponentConfiguration": {"DefaultConfiguration": {
    "accessControl": {"aws.greengrass.ipc.pubsub": {"test.EnvDump:pubsub:1": {
      "operations": ["aws.greengrass#PublishToTopic"], "resources": ["allowed/*"]}}}}},
  "Manifests": [{"Platform": {"os": "linux", "runtime": "*"},
    "Lifecycle": {"Run": "env > env.txt.tmp && mv env.txt.tmp env.txt && exec sleep 60"}}]
}"#;

fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn start() -> Runtime {
    let dir = tempfile::Builder::new()
        .prefix("ggt")
        .tempdir_in("/tmp")
        .unwrap();
    let recipes = dir.path().join("recipes");
    std::fs::create_dir_all(&recipes).unwrap();
    std::fs::write(recipes.join("env-dump.json"), RECIPE).unwrap();
    let deployment = dir.path().join("deployment.json");
    std::fs::write(
        &deployment,
        r#"{"components": {"test.EnvDump": {"componentVersion": "1.0.0"}}}"#,
    )
    .unwrap();
    let config = dir.path().join("runtime.json");
    std::fs::write(
        &config,
        r#"{"thingName": "it-thing", "region": "eu-west-1",
            "credentials": {"accessKeyId": "AKIDTEST", "secretAccessKey": "secret", "sessionToken": "tok"}}"#,
    )
    .unwrap();
    let root = dir.path().join("root");
    let child = Command::new(env!("CARGO_BIN_EXE_gg-local"))
        .arg("run")
        .arg("--root")
        .arg(&root)
        .arg("--recipes")
        .arg(&recipes)
        .arg("--artifacts")
        .arg(dir.path().join("artifacts"))
        .arg("--deployment")
        .arg(&deployment)
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let work = root.join("work").join("test.EnvDump");
    Runtime {
        child,
        _dir: dir,
        root,
        work,
    }
}

fn component_env(work: &Path) -> std::collections::HashMap<String, String> {
    let text = wait_for("the component's env dump", || {
        std::fs::read_to_string(work.join("env.txt")).ok()
    });
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A minimal HTTP GET; returns the status line and the body.
fn http_get(uri: &str, token: &str) -> (String, String) {
    let rest = uri.strip_prefix("http://localhost:").unwrap();
    let (port, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {token}\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    let status = response.lines().next().unwrap_or_default().to_owned();
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

#[test]
fn component_gets_the_nucleus_environment_and_credentials_for_its_token_only() {
    let rt = start();
    let env = component_env(&rt.work);
    let token = &env["SVCUID"];
    assert_eq!(token.len(), 16);
    assert_eq!(&env["AWS_CONTAINER_AUTHORIZATION_TOKEN"], token);
    assert_eq!(env["AWS_IOT_THING_NAME"], "it-thing");
    assert_eq!(env["AWS_REGION"], "eu-west-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "eu-west-1");
    assert!(env["AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT"].ends_with("ipc.socket"));
    let uri = &env["AWS_CONTAINER_CREDENTIALS_FULL_URI"];
    let (status, body) = http_get(uri, token);
    assert!(status.contains("200"), "{status}");
    let creds: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(creds["AccessKeyId"], "AKIDTEST");
    assert_eq!(creds["Token"], "tok");
    assert!(creds["Expiration"].as_str().unwrap().ends_with('Z'));
    let (status, _) = http_get(uri, "NOTATOKEN");
    assert!(status.contains("403"), "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ipc_calls_are_authorized_by_the_callers_recipe() {
    let rt = start();
    let env = tokio::task::block_in_place(|| component_env(&rt.work));
    let socket = &env["AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT"];
    let client = IpcClient::connect(ConnectOptions::new(socket, env["SVCUID"].clone()))
        .await
        .unwrap();
    client
        .publish_to_topic(
            "allowed/x",
            PublishMessage::json(serde_json::json!({"ok": true})),
        )
        .await
        .unwrap();
    let err = client
        .publish_to_topic("denied/x", PublishMessage::json(serde_json::json!({})))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::UnauthorizedError));
    assert!(
        err.to_string().contains(
            "Principal test.EnvDump is not authorized to perform aws.greengrass.ipc.pubsub:aws.greengrass#PublishToTopic on resource denied/x"
        ),
        "{err}"
    );
    let err = client
        .subscribe_to_topic("allowed/x", None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::UnauthorizedError));
    // Reading its own configuration needs no policy; the whole tree includes accessControl.
    let cfg = client.get_configuration(None, &[]).await.unwrap();
    assert!(cfg.value["accessControl"].is_object());
}

#[test]
fn cli_status_lists_the_deployed_component_as_running() {
    let rt = start();
    let _ = component_env(&rt.work);
    let listing = wait_for("RUNNING in gg-local status", || {
        let out = Command::new(env!("CARGO_BIN_EXE_gg-local"))
            .args(["status", "--json", "--root"])
            .arg(&rt.root)
            .output()
            .ok()?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        (v["components"][0]["state"] == "RUNNING").then_some(v)
    });
    assert_eq!(listing["components"][0]["componentName"], "test.EnvDump");
    assert_eq!(listing["components"][0]["version"], "1.0.0");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_can_reject_a_deployments_configuration_and_nothing_changes() {
    let rt = start();
    let env = tokio::task::block_in_place(|| component_env(&rt.work));
    let socket = &env["AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT"];
    let client = IpcClient::connect(ConnectOptions::new(socket, env["SVCUID"].clone()))
        .await
        .unwrap();
    let mut checks = client
        .subscribe_to_validate_configuration_updates()
        .await
        .unwrap();
    // The component (played by this test) refuses any threshold above 10.
    let answer = {
        let client = client.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(Ok(event)) = checks.next().await {
                let proposal = event.validate_configuration_update_event.unwrap();
                let threshold = proposal.configuration["threshold"].as_i64().unwrap_or(0);
                seen.push(threshold);
                let verdict = if threshold > 10 {
                    Err(format!("threshold {threshold} is above 10"))
                } else {
                    Ok(())
                };
                client
                    .send_configuration_validity_report(&proposal.deployment_id, verdict)
                    .await
                    .unwrap();
                if seen.len() == 2 {
                    return seen;
                }
            }
            seen
        })
    };
    let deploy = |threshold: u32| {
        let doc = rt.root.parent().unwrap().join(format!("d{threshold}.json"));
        std::fs::write(
            &doc,
            format!(r#"{{"components": {{"test.EnvDump": {{"componentVersion": "1.0.0", "configurationUpdate": {{"merge": {{"threshold": {threshold}}}}}}}}}}}"#),
        )
        .unwrap();
        Command::new(env!("CARGO_BIN_EXE_gg-local"))
            .args(["deploy", "--root"])
            .arg(&rt.root)
            .arg(&doc)
            .output()
            .unwrap()
    };
    let refused = tokio::task::block_in_place(|| deploy(50));
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("threshold 50 is above 10"), "{stderr}");
    let cfg = client.get_configuration(None, &[]).await.unwrap();
    assert!(
        cfg.value.get("threshold").is_none(),
        "a rejected configuration must not be applied"
    );

    let accepted = tokio::task::block_in_place(|| deploy(7));
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    let cfg = client
        .get_configuration(None, &["threshold"])
        .await
        .unwrap();
    assert_eq!(cfg.value, serde_json::json!({"threshold": 7}));
    assert_eq!(answer.await.unwrap(), [50, 7]);
}
