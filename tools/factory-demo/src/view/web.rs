//! The web view: a minimal HTTP/1.1 server on loopback with two routes, `/` (the page, which
//! polls) and `/api/state` (the view state as JSON). One request per connection.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use factory_sim::listen;

use super::feed::Shared;
use super::state::PIPELINE;

const PAGE: &str = include_str!("page.html");
/// Longest request head read, bytes.
const MAX_HEAD: usize = 8192;

/// Binds the web port, naming it when it is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    listen::bind(addr, "web view", "--web-port").await
}

/// The JSON the page polls.
pub fn api_state(shared: &Shared) -> Value {
    let st = shared.lock();
    let mut v = json!(*st);
    v["pipeline"] = PIPELINE
        .iter()
        .map(|c| {
            json!({"component": c, "state": st.component_state(c),
                "memoryMib": st.component_memory_mib(c)})
        })
        .collect();
    v["uploaderDropped"] = json!(st.uploader_dropped());
    v["adapterRates"] = json!(st.adapter_rates());
    v
}

/// Serves until `cancel`; each request gets at most 5 s.
pub async fn serve(listener: TcpListener, shared: Shared, cancel: CancellationToken) {
    listen::accept_until(listener, cancel, "factory-demo web view", move |stream| {
        let shared = shared.clone();
        async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), respond(stream, &shared)).await;
        }
    })
    .await;
}

async fn respond(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > MAX_HEAD {
            return write(
                &mut stream,
                "431 Request Header Fields Too Large",
                "text/plain",
                b"",
            )
            .await;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut parts = text.lines().next().unwrap_or_default().split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET", "/") | ("GET", "/index.html") => {
            write(
                &mut stream,
                "200 OK",
                "text/html; charset=utf-8",
                PAGE.as_bytes(),
            )
            .await
        }
        ("GET", "/api/state") => {
            let body = api_state(shared).to_string();
            write(&mut stream, "200 OK", "application/json", body.as_bytes()).await
        }
        ("GET", _) => write(&mut stream, "404 Not Found", "text/plain", b"not found").await,
        _ => {
            write(
                &mut stream,
                "405 Method Not Allowed",
                "text/plain",
                b"GET only",
            )
            .await
        }
    }
}

async fn write(stream: &mut TcpStream, status: &str, ctype: &str, body: &[u8]) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}
