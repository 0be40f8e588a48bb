//! `gg-local run`: bring up every service, apply the deployment, supervise until a signal.

use super::args::RunArgs;
use super::client_commands::{SOCKET_FILE, TOKEN_FILE};
use crate::deployment::{DeploymentDocument, ResolveContext};
use crate::ipc_handler::{CLI_PRINCIPAL, IpcHandler, Services, StateReport};
use crate::lifecycle::{Supervisor, SupervisorConfig};
use crate::runtime::{ControlHandle, Runtime};
use crate::runtime_config::RuntimeConfig;
use crate::services::component_updates::ComponentUpdates;
use crate::services::config_store::ConfigStore;
use crate::services::iot_core::IotCore;
use crate::services::pubsub::PubSub;
use crate::services::registry::{Registry, new_token};
use crate::services::secrets::Secrets;
use crate::services::tes;
use anyhow::Context;
use ggipc::server::{Server, ServerLimits};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The nucleus version components are told they run under.
const GGC_VERSION: &str = "2.14.0";
/// sun_path is 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

fn absolute(p: &Path) -> anyhow::Result<std::path::PathBuf> {
    Ok(if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir()?.join(p)
    })
}

/// Runs until SIGINT/SIGTERM.
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let cfg = match &args.config {
        Some(path) => RuntimeConfig::load(path)?,
        None => RuntimeConfig::default(),
    };
    let root = absolute(&args.root)?;
    std::fs::create_dir_all(root.join("logs"))
        .with_context(|| format!("cannot create {}", root.display()))?;
    let socket = root.join(SOCKET_FILE);
    if socket.as_os_str().len() > MAX_SOCKET_PATH {
        anyhow::bail!(
            "the IPC socket path {} is longer than {MAX_SOCKET_PATH} bytes (a Unix socket limit); use a shorter --root",
            socket.display()
        );
    }

    let registry = Arc::new(Registry::default());
    let cli_token = new_token();
    registry.insert_token(CLI_PRINCIPAL, &cli_token);
    write_private(&root.join(TOKEN_FILE), &cli_token)?;

    let tes_uri = tes::start(cfg.tes_port, cfg.credentials.clone(), registry.clone()).await?;
    let iot = match &cfg.iot_core {
        Some(broker) => {
            println!(
                "IoT Core: MQTT broker {}:{} (mutual TLS)",
                broker.host, broker.port
            );
            IotCore::mqtt(broker, &cfg.thing_name)?
        }
        None => {
            let sink = root.join("iot-core").join("outbox.jsonl");
            println!(
                "IoT Core: no broker configured; messages go to {}",
                sink.display()
            );
            IotCore::file_sink(&sink).await?
        }
    };
    let secrets = match &cfg.secrets_file {
        Some(path) => Secrets::load(path)?,
        None => Secrets::default(),
    };
    let (state_tx, mut state_rx) = tokio::sync::mpsc::channel::<StateReport>(256);
    let services = Services {
        registry: registry.clone(),
        pubsub: PubSub::default(),
        config: ConfigStore::default(),
        iot,
        secrets,
        updates: ComponentUpdates::default(),
        validation: Default::default(),
        state_reports: state_tx,
        control: std::sync::OnceLock::new(),
    };

    let base_env = component_base_env(&cfg, &socket, &tes_uri);
    let env_registry = registry.clone();
    let mut supervisor_config = SupervisorConfig::new(&root);
    supervisor_config.base_env = base_env;
    supervisor_config.env_hook = Arc::new(move |component: &str| {
        let token = env_registry.token_for(component);
        BTreeMap::from([
            ("SVCUID".to_owned(), token.clone()),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN".to_owned(), token),
        ])
    });
    let supervisor = Arc::new(Supervisor::new(supervisor_config));
    let ctx = ResolveContext::new(&cfg.thing_name, &root, &absolute(&args.artifacts)?);
    let recipe_dirs = args
        .recipes
        .iter()
        .map(|d| absolute(d))
        .collect::<Result<Vec<_>, _>>()?;

    let services = Arc::new(services);
    let runtime = Arc::new(Runtime::new(
        services.clone(),
        recipe_dirs,
        ctx,
        supervisor.clone(),
    ));
    let _ = services
        .control
        .set(Arc::new(ControlHandle(runtime.clone())));

    let reports = supervisor.clone();
    tokio::spawn(async move {
        while let Some(report) = state_rx.recv().await {
            if let Err(e) = reports.report_state(&report.component, report.state) {
                tracing::warn!(component = %report.component, error = %e, "Ignored a state report.");
            }
        }
    });

    let server = Server::bind(&socket, ServerLimits::default())
        .with_context(|| format!("cannot bind the IPC socket {}", socket.display()))?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server_task = tokio::spawn(server.serve_until(
        Arc::new(IpcHandler::new(services)),
        async {
            let _ = stop_rx.await;
        },
    ));

    if let Some(path) = &args.deployment {
        let document = DeploymentDocument::from_file(path)?;
        for warning in &document.warnings {
            println!("warning: {warning}");
        }
        println!("Applying deployment {} ...", path.display());
        match runtime.apply(document).await {
            Ok(result) => println!("Deployment applied: {result}"),
            Err(e) => {
                supervisor.shutdown_all().await;
                let _ = stop_tx.send(());
                let _ = server_task.await;
                let _ = std::fs::remove_file(root.join(TOKEN_FILE));
                return Err(e.context(format!("deployment {} failed", path.display())));
            }
        }
    }
    println!(
        "gg-local ready socket={} thing={}",
        socket.display(),
        cfg.thing_name
    );
    println!(
        "Logs: {}/logs/<Component>.log   Status: gg-local status --root {}",
        root.display(),
        args.root.display()
    );

    wait_for_signal().await?;
    println!("Stopping components ...");
    supervisor.shutdown_all().await;
    let _ = stop_tx.send(());
    let _ = server_task.await;
    let _ = std::fs::remove_file(root.join(TOKEN_FILE));
    println!("gg-local stopped.");
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
    Ok(())
}

fn component_base_env(
    cfg: &RuntimeConfig,
    socket: &Path,
    tes_uri: &str,
) -> BTreeMap<String, String> {
    let socket = socket.display().to_string();
    BTreeMap::from([
        (
            "AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT".to_owned(),
            socket.clone(),
        ),
        ("AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH".to_owned(), socket),
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI".to_owned(),
            tes_uri.to_owned(),
        ),
        ("AWS_IOT_THING_NAME".to_owned(), cfg.thing_name.clone()),
        ("AWS_REGION".to_owned(), cfg.region.clone()),
        ("AWS_DEFAULT_REGION".to_owned(), cfg.region.clone()),
        ("GGC_VERSION".to_owned(), GGC_VERSION.to_owned()),
        ("GG_ROOT_CA_PATH".to_owned(), String::new()),
    ])
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}
