//! Local pub/sub benchmark, Rust side: runs as a component under gg-local, measured exactly like
//! `tools/bench/ipc_pubsub_py.py` (same payload, window, warm-up and result fields).
//!
//!     ipc-bench RESULT.json [--count N] [--topic T] [--window W]

mod measure;

fn main() -> std::process::ExitCode {
    let args = match measure::Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start tokio: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt
        .block_on(measure::run(&args))
        .unwrap_or_else(|e| serde_json::json!({"implementation": measure::IMPLEMENTATION, "error": format!("{e:#}")}));
    let tmp = format!("{}.tmp", args.result);
    let written =
        std::fs::write(&tmp, result.to_string()).and_then(|()| std::fs::rename(&tmp, &args.result));
    if let Err(e) = written {
        eprintln!("error: cannot write {}: {e}", args.result);
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
