//! The demo's local stand-in for Kinesis and S3: one loopback HTTP endpoint that the
//! StreamUploader's `kinesis` and `s3` exports reach through their `endpointUrl`, writing what
//! they upload as files under one folder (no AWS account). Kinesis records go to
//! `kinesis/<stream>/records.jsonl`, S3 objects to `s3/<bucket>/<key>`. Only the calls the
//! uploader makes are served; anything else gets an error that names what is supported.

mod count;
pub mod http;
mod kinesis;
mod s3;

pub use count::{Landed, count};

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use tokio::io::BufReader;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use factory_sim::listen;

use crate::cli::CloudArgs;

/// Runs the stand-in until Ctrl-C or SIGTERM, then says what landed.
pub async fn run(args: CloudArgs) -> anyhow::Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = listen::bind(addr, "local cloud", "--cloud-port").await?;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let url = format!("http://{}", listener.local_addr()?);
    if let Some(path) = &args.url_file {
        std::fs::write(path, &url).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "local cloud ready: Kinesis and S3 on {url}, writing under {}",
        args.dir.display()
    );
    let cancel = CancellationToken::new();
    let server = tokio::spawn(serve(listener, args.dir.clone(), cancel.clone()));
    listen::stop_requested(0).await;
    cancel.cancel();
    let _ = server.await;
    let landed = count(&args.dir);
    println!(
        "local cloud stopped: {} Kinesis records, {} S3 objects ({} records) under {}",
        landed.kinesis_records,
        landed.s3_objects,
        landed.s3_records,
        args.dir.display()
    );
    Ok(())
}

/// Serves connections until `cancel`.
pub async fn serve(listener: tokio::net::TcpListener, dir: PathBuf, cancel: CancellationToken) {
    let dir = Arc::new(dir);
    listen::accept_until(listener, cancel, "local cloud", move |stream| {
        let dir = dir.clone();
        async move { connection(stream, &dir).await }
    })
    .await;
}

/// Requests on one keep-alive connection; an unreadable request gets a 400 naming the cause,
/// then the connection closes (its framing can no longer be trusted).
async fn connection(stream: TcpStream, dir: &Path) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let resp = match http::read_request(&mut read).await {
            Ok(None) => return,
            Ok(Some(req)) => {
                let dir = dir.to_path_buf();
                tokio::task::spawn_blocking(move || route(&dir, &req))
                    .await
                    .unwrap_or_else(|e| {
                        http::Response::new(500, "text/plain", format!("handler failed: {e}"))
                    })
            }
            Err(e) => {
                eprintln!("local cloud: refused a request: {e}");
                let resp = http::Response::new(400, "text/plain", e.to_string());
                let _ = http::write_response(&mut write, &resp).await;
                return;
            }
        };
        if resp.status >= 400 {
            eprintln!(
                "local cloud: answered {}: {}",
                resp.status,
                String::from_utf8_lossy(&resp.body)
            );
        }
        if http::write_response(&mut write, &resp).await.is_err() {
            return;
        }
    }
}

fn route(dir: &Path, req: &http::Request) -> http::Response {
    match req
        .header("x-amz-target")
        .and_then(|t| t.strip_prefix("Kinesis_20131202."))
    {
        Some(operation) => kinesis::handle(dir, req, operation),
        None => s3::handle(dir, req),
    }
}
