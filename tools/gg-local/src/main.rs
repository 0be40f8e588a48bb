//! gg-local: wires the CLI to its commands.

use clap::Parser;
use gg_local::cli::args::{Cli, Command};
use gg_local::cli::{bench, client_commands as cmd, run};

// One thread: the runtime is I/O-bound, and a single-threaded scheduler halves its CPU per
// message (no cross-thread wake-ups) and keeps its footprint small on a gateway.
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match dispatch().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One readable line (with causes) instead of a backtrace: this is a user-facing tool.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn dispatch() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Run(args) => run::run(args).await,
        Command::Bench(args) => bench::bench(args).await,
        Command::Deploy { root, document } => cmd::deploy(&root, &document).await,
        Command::Status { root, json } => cmd::status(&root, json).await,
        Command::Logs {
            root,
            component,
            follow,
        } => cmd::logs(&root, &component, follow).await,
        Command::Pub {
            root,
            topic,
            message,
        } => cmd::publish(&root, &topic, &message).await,
        Command::Sub {
            root,
            filter,
            count,
            timeout_secs,
        } => cmd::subscribe(&root, &filter, count, timeout_secs).await,
    }
}
