//! Benchmark of the stream uploader: durable append and drain rates, RSS with a large backlog,
//! reopen time after kill -9, and CPU per 1k rec/s sent to Kinesis (moto). Prints a table and
//! one JSON line. Also hosts the `crash-child` process the kill -9 test uses.
//!
//! `stream-uploader-bench [--backlog-mb 1024] [--moto-url http://127.0.0.1:5000]`

mod crash_child;
mod ingest_rate;
mod measure;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
struct Args {
    #[command(subcommand)]
    mode: Option<Mode>,
    /// Backlog for the RSS and recovery measurements, MB.
    #[arg(long, default_value_t = 1024)]
    backlog_mb: u64,
    /// Records for the append and drain rates.
    #[arg(long, default_value_t = 200_000)]
    records: u64,
    /// A running moto server for the Kinesis CPU measurement (skipped without it).
    #[arg(long)]
    moto_url: Option<String>,
    /// Records sent to Kinesis for the CPU measurement.
    #[arg(long, default_value_t = 20_000)]
    kinesis_records: u64,
    /// Scratch folder (default: a temporary folder under /tmp).
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// The kill -9 test's child (see crash_child.rs).
    CrashChild {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        sink: String,
        #[arg(long, default_value_t = 0)]
        start: u64,
        #[arg(long)]
        drain_only: bool,
    },
    /// Appends to the queue at `dir` until killed (the recovery measurement's victim).
    Writer {
        #[arg(long)]
        dir: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    // The component's process runs with one malloc arena (component_kit::malloc_arenas); so does this
    // one, or its RSS would not be the component's. MALLOC_ARENA_MAX=8 shows glibc's default.
    component_kit::malloc_arenas::use_one_arena();
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match args.mode {
        Some(Mode::CrashChild {
            dir,
            sink,
            start,
            drain_only,
        }) => runtime.block_on(crash_child::run(dir, sink, start, drain_only)),
        Some(Mode::Writer { dir }) => runtime.block_on(measure::writer(dir)),
        None => runtime.block_on(measure::all(
            args.records,
            args.backlog_mb,
            args.moto_url,
            args.kinesis_records,
            args.dir,
        )),
    }
}
