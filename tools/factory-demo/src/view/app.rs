//! Runs the live view: feeds, web server, dashboard loop, then the summary.

use std::io::{IsTerminal, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::feed::{self, Shared};
use super::{render, summary, web};
use crate::cli::ViewArgs;

/// Runs until Ctrl-C, SIGTERM or `--seconds`, then prints the summary.
pub async fn run(args: ViewArgs) -> anyhow::Result<()> {
    let listener = web::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.web_port))).await?;
    let url = format!("http://{}/", listener.local_addr()?);
    if let Some(path) = &args.url_file {
        std::fs::write(path, &url).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let cancel = CancellationToken::new();
    let stop = tokio::spawn({
        let (seconds, cancel) = (args.seconds, cancel.clone());
        async move {
            factory_sim::listen::stop_requested(seconds).await;
            cancel.cancel();
        }
    });
    let shared = Shared::default();
    let tasks = TaskTracker::new();
    tasks.spawn(web::serve(listener, shared.clone(), cancel.clone()));
    println!("factory-demo: web view at {url}");

    let started = Instant::now();
    let client = match feed::connect(&args.root, &cancel).await {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("factory-demo: {e:#}");
            None
        }
    };
    if let Some(client) = client {
        let client = std::sync::Arc::new(client);
        for filter in ["factory/#", "cloudwatch/metric/put"] {
            let (c, s, k) = (client.clone(), shared.clone(), cancel.clone());
            tasks.spawn(async move {
                if let Err(e) = feed::subscribe(&c, filter, s, k).await {
                    eprintln!("factory-demo: {e:#}");
                }
            });
        }
        let (c, s, k) = (client.clone(), shared.clone(), cancel.clone());
        let outbox = args.root.join("iot-core").join("outbox.jsonl");
        let sim = args.sim_control;
        let cloud_dir = args.cloud_dir.clone();
        tasks.spawn(async move { feed::poll(&c, sim, outbox, cloud_dir, s, k).await });
        draw_until_cancelled(&shared, &url, args.headless, started, &cancel).await;
    }
    cancel.cancel();
    tasks.close();
    let _ = tokio::time::timeout(Duration::from_secs(3), tasks.wait()).await;
    stop.abort();

    // The last uploads may have landed after the last poll.
    shared.lock().local_cloud = crate::cloud::count(&args.cloud_dir);
    let mut s = summary::summary_json(&shared.lock(), started.elapsed().as_secs_f64());
    s["localCloudDir"] = serde_json::json!(args.cloud_dir.display().to_string());
    println!("\n{}", summary::summary_text(&s));
    if let Some(path) = &args.summary_json {
        std::fs::write(path, format!("{s:#}"))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

async fn draw_until_cancelled(
    shared: &Shared,
    url: &str,
    headless: bool,
    started: Instant,
    cancel: &CancellationToken,
) {
    let tty = !headless && std::io::stdout().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let secs = started.elapsed().as_secs();
        let st = shared.lock();
        if tty {
            let text = render::dashboard(&st, url, secs);
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{}{text}", render::CLEAR);
            let _ = out.flush();
        } else if secs.is_multiple_of(5) && secs > 0 {
            println!(
                "[{secs:>4}s] raw {} filtered {} anomaly {} alarms {} (active {}) uploaded {:.0} cloud {} kinesis {} s3 {} | simulator: {}",
                st.raw_readings,
                st.filtered_readings,
                st.anomaly_events,
                st.alarms_raised,
                st.active_alarms.len(),
                st.uploader.sent,
                st.cloud_records,
                st.local_cloud.kinesis_records,
                st.local_cloud.s3_objects,
                render::simulator_line(st.simulator.as_ref()),
            );
        }
    }
}
