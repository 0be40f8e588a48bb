//! Command-line interface of gg-local.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// A local AWS IoT Greengrass v2 runtime for development and tests: runs components from their
/// recipes, serves them IPC, and lets you watch and poke them from the shell.
#[derive(Debug, Parser)]
#[command(name = "gg-local", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the runtime in the foreground with a deployment (Ctrl-C stops every component).
    Run(RunArgs),
    /// Apply a new deployment document to a running runtime.
    Deploy {
        /// Runtime root folder.
        #[arg(long, default_value = "run/gg-local")]
        root: PathBuf,
        /// Deployment document (JSON, CreateDeployment shape).
        document: PathBuf,
    },
    /// Show components and their states.
    Status {
        /// Runtime root folder.
        #[arg(long, default_value = "run/gg-local")]
        root: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print a component's log (`greengrass` for the runtime's own).
    Logs {
        /// Runtime root folder.
        #[arg(long, default_value = "run/gg-local")]
        root: PathBuf,
        /// Component name.
        component: String,
        /// Keep printing new lines.
        #[arg(long, short)]
        follow: bool,
    },
    /// Publish one JSON message on local pub/sub.
    Pub {
        /// Runtime root folder.
        #[arg(long, default_value = "run/gg-local")]
        root: PathBuf,
        /// Topic.
        topic: String,
        /// JSON document.
        message: String,
    },
    /// Benchmark local pub/sub through the runtime: Rust client vs AWS's Python client.
    Bench(super::bench::BenchArgs),
    /// Print messages from local pub/sub, one JSON line each.
    Sub {
        /// Runtime root folder.
        #[arg(long, default_value = "run/gg-local")]
        root: PathBuf,
        /// Topic filter (MQTT wildcards allowed).
        filter: String,
        /// Stop after this many messages (0 = never).
        #[arg(long, default_value_t = 0)]
        count: u64,
        /// Stop after this many seconds (0 = never).
        #[arg(long, default_value_t = 0)]
        timeout_secs: u64,
    },
}

/// `gg-local run` options.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Runtime root folder: socket, logs, work folders.
    #[arg(long, default_value = "run/gg-local")]
    pub root: PathBuf,
    /// Recipe folders (repeatable).
    #[arg(long = "recipes", default_value = "recipes")]
    pub recipes: Vec<PathBuf>,
    /// Artifacts laid out as <component>/<version>/<files>.
    #[arg(long, default_value = "run/artifacts")]
    pub artifacts: PathBuf,
    /// Deployment document to apply at start.
    #[arg(long)]
    pub deployment: Option<PathBuf>,
    /// Runtime settings (thing name, IoT Core broker, secrets, credentials).
    #[arg(long)]
    pub config: Option<PathBuf>,
}
