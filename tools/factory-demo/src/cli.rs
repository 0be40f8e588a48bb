//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand};

/// The factory demo's helpers: deployment planning and the live view.
#[derive(Debug, Parser)]
#[command(name = "factory-demo", version)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Cmd,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Keep the demo deployment's components that have a recipe and a built binary, stage their
    /// artifacts and write the deployment the runtime gets.
    Plan(PlanArgs),
    /// The live view: terminal dashboard and local web page, then a summary.
    View(ViewArgs),
    /// The local stand-in for Kinesis and S3: a loopback endpoint writing uploads as files.
    Cloud(CloudArgs),
}

/// `cloud` arguments.
#[derive(Debug, ClapArgs)]
pub struct CloudArgs {
    /// Folder the uploads are written under (`kinesis/<stream>/`, `s3/<bucket>/`).
    #[arg(long, default_value = "run/demo/cloud")]
    pub dir: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 4566)]
    pub port: u16,
    /// Write the endpoint URL here once it listens.
    #[arg(long)]
    pub url_file: Option<PathBuf>,
}

/// `plan` arguments (paths relative to the working directory, normally the repository root).
#[derive(Debug, ClapArgs)]
pub struct PlanArgs {
    /// Demo deployment document listing every component.
    #[arg(long, default_value = "deploy/local/factory-demo.json")]
    pub deployment: PathBuf,
    /// Recipe folder.
    #[arg(long, default_value = "recipes")]
    pub recipes: PathBuf,
    /// Folder of built component binaries.
    #[arg(long, default_value = "target/release")]
    pub bin_dir: PathBuf,
    /// Artifact folder the runtime reads.
    #[arg(long, default_value = "run/demo/artifacts")]
    pub artifacts: PathBuf,
    /// Where to write the deployment document.
    #[arg(long, default_value = "run/demo/deployment.json")]
    pub out: PathBuf,
    /// Point the ModbusAdapter's devices at this port (the simulator's `--modbus-port`).
    #[arg(long)]
    pub modbus_port: Option<u16>,
    /// Point the OpcUaAdapter's servers at the simulator on this port (its `--opcua-port`).
    #[arg(long)]
    pub opcua_port: Option<u16>,
    /// Folder of artifact-only components (models) that components depend on.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Point the StreamUploader's Kinesis and S3 exports at this endpoint (the local cloud).
    #[arg(long)]
    pub cloud_url: Option<String>,
    /// The runtime configuration to start from.
    #[arg(long, default_value = "deploy/local/runtime.json")]
    pub runtime_config: PathBuf,
    /// Where to write it with demo credentials for the local cloud (the runtime's token
    /// exchange service hands them to the uploader); not written when absent.
    #[arg(long)]
    pub runtime_out: Option<PathBuf>,
}

/// `view` arguments.
#[derive(Debug, ClapArgs)]
pub struct ViewArgs {
    /// The runtime's root folder (holds `ipc.socket` and `cli.token`).
    #[arg(long, default_value = "run/demo/gg-local")]
    pub root: PathBuf,
    /// The simulator's control port.
    #[arg(long, default_value = "127.0.0.1:5021")]
    pub sim_control: SocketAddr,
    /// Port of the web view on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8088)]
    pub web_port: u16,
    /// Stop after this many seconds (0 = until Ctrl-C or SIGTERM).
    #[arg(long, default_value_t = 0)]
    pub seconds: u64,
    /// No terminal dashboard: a progress line every 5 s instead (CI, logs).
    #[arg(long)]
    pub headless: bool,
    /// Also write the summary as JSON here.
    #[arg(long)]
    pub summary_json: Option<PathBuf>,
    /// Write the web view's URL here once it listens.
    #[arg(long)]
    pub url_file: Option<PathBuf>,
    /// The local cloud's folder, counted for the view and the summary.
    #[arg(long, default_value = "run/demo/cloud")]
    pub cloud_dir: PathBuf,
}
