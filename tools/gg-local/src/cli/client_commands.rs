//! Commands that talk to a running runtime over its own IPC socket, authenticated with the
//! token the runtime writes to `<root>/cli.token` (as greengrass-cli does with its IPC info).

use anyhow::Context;
use ggipc::model::{PublishMessage, ReceiveMode};
use ggipc::operation::Operation;
use ggipc::{ConnectOptions, IpcClient};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Socket file name under the root.
pub const SOCKET_FILE: &str = "ipc.socket";
/// CLI token file name under the root.
pub const TOKEN_FILE: &str = "cli.token";

struct ListComponents;
impl Operation for ListComponents {
    const NAME: &'static str = "ListComponents";
    type Request = Value;
    type Response = Value;
}

struct CreateLocalDeployment;
impl Operation for CreateLocalDeployment {
    const NAME: &'static str = "CreateLocalDeployment";
    type Request = Value;
    type Response = Value;
}

async fn connect(root: &Path) -> anyhow::Result<IpcClient> {
    let token_path = root.join(TOKEN_FILE);
    let token = std::fs::read_to_string(&token_path).with_context(|| {
        format!(
            "cannot read {}: is `gg-local run --root {}` running?",
            token_path.display(),
            root.display()
        )
    })?;
    let mut opts = ConnectOptions::new(root.join(SOCKET_FILE), token.trim());
    opts.call_timeout = Duration::from_secs(300);
    IpcClient::connect(opts)
        .await
        .with_context(|| format!("cannot connect to the runtime in {}", root.display()))
}

/// `gg-local status`.
pub async fn status(root: &Path, json: bool) -> anyhow::Result<()> {
    let client = connect(root).await?;
    let list = client
        .call::<ListComponents>(&Value::Object(Default::default()))
        .await?;
    if json {
        println!("{list}");
        return Ok(());
    }
    println!("{:<40} {:<10} {:<10}", "COMPONENT", "VERSION", "STATE");
    for c in list["components"].as_array().into_iter().flatten() {
        println!(
            "{:<40} {:<10} {:<10}",
            c["componentName"].as_str().unwrap_or("?"),
            c["version"].as_str().unwrap_or("?"),
            c["state"].as_str().unwrap_or("?"),
        );
    }
    Ok(())
}

/// `gg-local deploy`.
pub async fn deploy(root: &Path, document: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(document)
        .with_context(|| format!("cannot read {}", document.display()))?;
    let doc: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", document.display()))?;
    println!("Deploying {} ...", document.display());
    let result = create_deployment(root, doc).await?;
    println!("{result}");
    Ok(())
}

/// Sends a deployment document to the running runtime and waits until it is applied.
pub async fn create_deployment(root: &Path, document: Value) -> anyhow::Result<Value> {
    let client = connect(root).await?;
    Ok(client
        .call::<CreateLocalDeployment>(&serde_json::json!({ "deploymentDocument": document }))
        .await?)
}

/// `gg-local pub`.
pub async fn publish(root: &Path, topic: &str, message: &str) -> anyhow::Result<()> {
    let value: Value =
        serde_json::from_str(message).context("the message must be a JSON document")?;
    connect(root)
        .await?
        .publish_to_topic(topic, PublishMessage::json(value))
        .await?;
    Ok(())
}

/// `gg-local sub`.
pub async fn subscribe(
    root: &Path,
    filter: &str,
    count: u64,
    timeout_secs: u64,
) -> anyhow::Result<()> {
    let client = connect(root).await?;
    let mut sub = client
        .subscribe_to_topic(filter, Some(ReceiveMode::ReceiveAllMessages))
        .await?;
    let deadline =
        (timeout_secs > 0).then(|| tokio::time::Instant::now() + Duration::from_secs(timeout_secs));
    let mut seen = 0;
    while count == 0 || seen < count {
        let next = match deadline {
            Some(d) => match tokio::time::timeout_at(d, sub.next()).await {
                Ok(n) => n,
                Err(_) => break,
            },
            None => sub.next().await,
        };
        let Some(event) = next else { break };
        let event = event?;
        let topic = event.topic().unwrap_or_default().to_owned();
        let body = match (event.json_message, event.binary_message) {
            (Some(j), _) => j.message,
            (_, Some(b)) => Value::String(String::from_utf8_lossy(&b.message).into_owned()),
            _ => Value::Null,
        };
        println!("{}", serde_json::json!({"topic": topic, "message": body}));
        seen += 1;
    }
    Ok(())
}

/// `gg-local logs`.
pub async fn logs(root: &Path, component: &str, follow: bool) -> anyhow::Result<()> {
    use tokio::io::AsyncBufReadExt;
    let path = root.join("logs").join(format!("{component}.log"));
    let file = tokio::fs::File::open(&path)
        .await
        .with_context(|| format!("no log at {}", path.display()))?;
    let mut lines = tokio::io::BufReader::new(file).lines();
    loop {
        match lines.next_line().await? {
            Some(line) => println!("{line}"),
            None if follow => tokio::time::sleep(Duration::from_millis(200)).await,
            None => return Ok(()),
        }
    }
}
