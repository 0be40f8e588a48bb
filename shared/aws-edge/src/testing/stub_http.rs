//! A small HTTP/1.1 server for destinations no peer implements (SiteWise, the Lambda Runtime
//! API) and for bad answers (garbage bodies, partial failures). Each request goes to a handler
//! that returns status, extra headers and body; every request is recorded. While `hold` is set,
//! requests are read but not answered (a destination slow to acknowledge).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The longest a held answer waits before it goes out anyway.
const HOLD_LIMIT: Duration = Duration::from_secs(120);
const HOLD_POLL: Duration = Duration::from_millis(100);

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method, e.g. `POST`.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The `Host` header.
    pub host: String,
    /// The body (by `Content-Length`).
    pub body: Vec<u8>,
}

/// Status, extra headers, body.
pub type Reply = (u16, Vec<(String, String)>, String);

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// A running stub; stops when dropped.
#[derive(Debug)]
pub struct Stub {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Requests answered so far, in order.
    pub requests: Arc<Mutex<Vec<Request>>>,
    /// Requests read so far (answered or held).
    pub arrived: Arc<AtomicUsize>,
    /// Set: hold answers back until it is cleared (two minutes at most).
    pub hold: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct Shared {
    handler: Handler,
    requests: Arc<Mutex<Vec<Request>>>,
    arrived: Arc<AtomicUsize>,
    hold: Arc<AtomicBool>,
}

impl Stub {
    /// Starts a stub whose handler returns status and JSON body.
    pub async fn start(
        handler: impl Fn(&Request) -> (u16, String) + Send + Sync + 'static,
    ) -> Self {
        Self::start_with_headers(move |r| {
            let (status, body) = handler(r);
            (status, Vec::new(), body)
        })
        .await
    }

    /// Starts a stub whose handler also sets response headers.
    ///
    /// # Panics
    /// When no loopback port can be bound (tests only).
    pub async fn start_with_headers(
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the stub");
        let port = listener.local_addr().expect("stub address").port();
        let shared = Shared {
            handler: Arc::new(handler),
            requests: Arc::default(),
            arrived: Arc::default(),
            hold: Arc::default(),
        };
        let accepting = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let shared = accepting.clone();
                tokio::spawn(async move {
                    let _ = serve(socket, shared).await;
                });
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            requests: shared.requests,
            arrived: shared.arrived,
            hold: shared.hold,
            task,
        }
    }

    /// How many requests were answered.
    pub fn count(&self) -> usize {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

async fn serve(socket: tokio::net::TcpStream, shared: Shared) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut words = line.split_whitespace();
        let method = words.next().unwrap_or("GET").to_owned();
        let path = words.next().unwrap_or("/").to_owned();
        let (mut length, mut host) = (0usize, String::new());
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).await?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "host" => value.trim().clone_into(&mut host),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        let request = Request {
            method,
            path,
            host,
            body,
        };
        shared.arrived.fetch_add(1, Ordering::SeqCst);
        let held_until = tokio::time::Instant::now() + HOLD_LIMIT;
        while shared.hold.load(Ordering::SeqCst) && tokio::time::Instant::now() < held_until {
            tokio::time::sleep(HOLD_POLL).await;
        }
        let (status, headers, reply) = (shared.handler)(&request);
        shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n",
            reply.len()
        );
        write.write_all(head.as_bytes()).await?;
        write.write_all(reply.as_bytes()).await?;
    }
}
