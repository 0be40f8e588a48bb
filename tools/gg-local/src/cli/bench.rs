//! `gg-local bench`: local pub/sub through the runtime with our Rust client and with AWS's Python
//! client (awsiotsdk), same runtime, same run, one after the other; plus the runtime's RSS idle
//! and under load. Prints a table and one JSON line.

use super::client_commands::create_deployment;
use anyhow::Context;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Options of `gg-local bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Messages per client.
    #[arg(long, default_value_t = 20_000)]
    pub count: u64,
    /// Messages for the Python client (slower; default: same as --count).
    #[arg(long)]
    pub python_count: Option<u64>,
    /// Publishes in flight per client.
    #[arg(long, default_value_t = 32)]
    pub window: usize,
    /// Python interpreter with awsiotsdk installed.
    #[arg(long, default_value = ".peers/bin/python")]
    pub python: PathBuf,
    /// The Python benchmark component.
    #[arg(long, default_value = "tools/bench/ipc_pubsub_py.py")]
    pub python_script: PathBuf,
    /// The Rust benchmark component (default: `ipc-bench` next to this binary).
    #[arg(long)]
    pub rust_client: Option<PathBuf>,
    /// Skip the Python client (no venv needed).
    #[arg(long)]
    pub skip_python: bool,
}

struct RuntimeProcess(Child);

impl Drop for RuntimeProcess {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.0.wait();
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may contain spaces, start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn recipe(name: &str, run: &str) -> Value {
    json!({
        "RecipeFormatVersion": "2020-01-25",
        "ComponentName": name,
        "ComponentVersion": "1.0.0",
        "ComponentConfiguration": {"DefaultConfiguration": {"accessControl": {
            "aws.greengrass.ipc.pubsub": {format!("{name}:bench"): {
                "operations": ["aws.greengrass#PublishToTopic", "aws.greengrass#SubscribeToTopic"],
                "resources": ["bench/ipc/*"]
            }}
        }}},
        "Manifests": [{"Platform": {"os": "linux", "runtime": "*"}, "Lifecycle": {"Run": run}}]
    })
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir()?.join(p)
    })
}

/// Waits for a result file while sampling the runtime's RSS; returns (result, peak RSS KiB).
async fn wait_result(path: &Path, pid: u32, limit: Duration) -> anyhow::Result<(Value, u64)> {
    let deadline = Instant::now() + limit;
    let mut peak = 0;
    loop {
        peak = peak.max(rss_kib(pid).unwrap_or(0));
        if let Ok(text) = std::fs::read_to_string(path) {
            let v: Value = serde_json::from_str(&text)
                .with_context(|| format!("bad result in {}", path.display()))?;
            if let Some(e) = v.get("error") {
                anyhow::bail!("{} failed: {e}", path.display());
            }
            return Ok((v, peak));
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "no result in {} after {limit:?}; see the component logs",
                path.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Deploys one bench client, waits for its result and adds the runtime's CPU time to it.
async fn phase(
    root: &Path,
    component: &str,
    out: &Path,
    pid: u32,
    limit_secs: u64,
) -> anyhow::Result<(Value, u64)> {
    let cpu_before = cpu_secs(pid).unwrap_or_default();
    create_deployment(
        root,
        json!({"components": {component: {"componentVersion": "1.0.0"}}}),
    )
    .await?;
    let (mut result, peak) = wait_result(out, pid, Duration::from_secs(limit_secs)).await?;
    result["runtimeCpuS"] = json!(cpu_secs(pid).unwrap_or_default() - cpu_before);
    Ok((result, peak))
}

/// Runs the benchmark.
pub async fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let rust_client = match &args.rust_client {
        Some(p) => absolute(p)?,
        None => exe.with_file_name("ipc-bench"),
    };
    anyhow::ensure!(
        rust_client.exists(),
        "{} not found: run `cargo build --release -p ipc-bench` first",
        rust_client.display()
    );
    let dir = tempfile::Builder::new().prefix("ggb").tempdir_in("/tmp")?;
    let root = dir.path().join("root");
    let recipes = dir.path().join("recipes");
    std::fs::create_dir_all(&recipes)?;
    let py_count = args.python_count.unwrap_or(args.count);
    let rust_out = dir.path().join("rust.json");
    let py_out = dir.path().join("py.json");
    let rust_run = format!(
        "{} {} --count {} --window {}",
        rust_client.display(),
        rust_out.display(),
        args.count,
        args.window
    );
    std::fs::write(
        recipes.join("rust.json"),
        recipe("bench.RustClient", &rust_run).to_string(),
    )?;
    if !args.skip_python {
        let py_run = format!(
            "{} {} {} --count {py_count} --window {}",
            absolute(&args.python)?.display(),
            absolute(&args.python_script)?.display(),
            py_out.display(),
            args.window
        );
        std::fs::write(
            recipes.join("py.json"),
            recipe("bench.PythonClient", &py_run).to_string(),
        )?;
    }

    println!("==> Starting gg-local (root {})", root.display());
    let child = Command::new(&exe)
        .args(["run", "--root"])
        .arg(&root)
        .arg("--recipes")
        .arg(&recipes)
        .args(["--artifacts"])
        .arg(dir.path().join("artifacts"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let runtime = RuntimeProcess(child);
    let pid = runtime.0.id();
    let socket = root.join("ipc.socket");
    for _ in 0..200 {
        if socket.exists() && root.join("cli.token").exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_kib = rss_kib(pid).context("runtime exited")?;
    println!("==> Idle RSS {:.1} MiB", idle_kib as f64 / 1024.0);

    println!(
        "==> Rust client: {} messages, window {}",
        args.count, args.window
    );
    let (rust, rust_peak) = phase(&root, "bench.RustClient", &rust_out, pid, 300).await?;
    let mut rows = vec![("rust-ggipc", rust.clone(), rust_peak)];
    let mut python = Value::Null;
    if !args.skip_python {
        println!(
            "==> Python awsiotsdk client: {py_count} messages, window {}",
            args.window
        );
        let (py, py_peak) = phase(&root, "bench.PythonClient", &py_out, pid, 600).await?;
        rows.push(("python-awsiotsdk", py.clone(), py_peak));
        python = py;
    }
    drop(runtime);

    println!();
    println!(
        "{:<18} {:>9} {:>10} {:>9} {:>9} {:>5} {:>15} {:>14} {:>12}",
        "client",
        "messages",
        "msg/s",
        "p50 µs",
        "p99 µs",
        "lost",
        "runtime µs/msg",
        "client µs/msg",
        "runtime RSS"
    );
    for (name, r, peak) in &rows {
        let per_msg = |key: &str| {
            let received = r["received"].as_f64().unwrap_or(0.0).max(1.0);
            r[key].as_f64().map_or("-".to_owned(), |secs| {
                format!("{:.1}", secs * 1e6 / received)
            })
        };
        println!(
            "{:<18} {:>9} {:>10.0} {:>9} {:>9} {:>5} {:>15} {:>14} {:>8.1} MiB",
            name,
            r["received"],
            r["msgsPerSec"].as_f64().unwrap_or(0.0),
            r["latencyUs"]["p50"],
            r["latencyUs"]["p99"],
            r["lost"],
            per_msg("runtimeCpuS"),
            per_msg("clientCpuS"),
            *peak as f64 / 1024.0
        );
    }
    let ratio = match python["msgsPerSec"].as_f64() {
        Some(p) if p > 0.0 => rust["msgsPerSec"].as_f64().map(|r| r / p),
        _ => None,
    };
    if let Some(ratio) = ratio {
        println!("Rust / Python throughput: {ratio:.1}x");
    }
    println!("Runtime idle RSS: {:.1} MiB", idle_kib as f64 / 1024.0);
    let line = json!({
        "bench": "ipc-pubsub",
        "payloadBytes": 200,
        "window": args.window,
        "rust": rust,
        "python": python,
        "throughputRatio": ratio,
        "runtimeRssIdleKiB": idle_kib,
        "runtimeRssPeakKiB": rows.iter().map(|r| r.2).max(),
    });
    println!("{line}");
    Ok(())
}
