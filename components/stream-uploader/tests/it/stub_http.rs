//! A tiny HTTP/1.1 server for destinations no peer implements (SiteWise) and for bad answers
//! (garbage bodies, partial failures). Each request goes to a handler that returns the status
//! and body; every request is also recorded. While `hold` is set, requests are read but not
//! answered (a destination slow to acknowledge).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub host: String,
    pub body: Vec<u8>,
}

type Handler = Arc<dyn Fn(&Request) -> (u16, String) + Send + Sync>;

/// A running stub; stops when dropped.
pub struct Stub {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Request>>>,
    /// Requests read so far (answered or held).
    pub arrived: Arc<AtomicUsize>,
    /// Set: hold answers back until it is cleared (2 minutes at most).
    pub hold: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stub {
    pub async fn start(
        handler: impl Fn(&Request) -> (u16, String) + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let gate = Gate {
            arrived: Arc::default(),
            hold: Arc::default(),
        };
        let (seen, g) = (requests.clone(), gate.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let (handler, seen, g) = (handler.clone(), seen.clone(), g.clone());
                tokio::spawn(async move {
                    let _ = serve(socket, handler, seen, g).await;
                });
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            arrived: gate.arrived,
            hold: gate.hold,
            task,
        }
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

#[derive(Clone)]
struct Gate {
    arrived: Arc<AtomicUsize>,
    hold: Arc<AtomicBool>,
}

async fn serve(
    socket: tokio::net::TcpStream,
    handler: Handler,
    seen: Arc<Mutex<Vec<Request>>>,
    gate: Gate,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
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
                    "host" => host = value.trim().to_owned(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        let request = Request { path, host, body };
        gate.arrived.fetch_add(1, Ordering::SeqCst);
        for _ in 0..1200 {
            if !gate.hold.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (status, reply) = handler(&request);
        seen.lock().unwrap().push(request);
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            reply.len()
        );
        write.write_all(head.as_bytes()).await?;
        write.write_all(reply.as_bytes()).await?;
    }
}
