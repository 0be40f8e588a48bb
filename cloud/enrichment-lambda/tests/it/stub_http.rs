//! A tiny HTTP/1.1 server for SiteWise, which no peer implements: each request goes to a
//! handler that returns status and body, and is recorded.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub host: String,
    pub body: Vec<u8>,
}

/// Status, extra headers, body.
pub type Reply = (u16, Vec<(String, String)>, String);

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

pub struct Stub {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Request>>>,
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
        Self::start_with_headers(move |r| {
            let (status, body) = handler(r);
            (status, Vec::new(), body)
        })
        .await
    }

    pub async fn start_with_headers(
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let seen = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (handler, seen) = (handler.clone(), seen.clone());
                tokio::spawn(async move {
                    let _ = serve(socket, handler, seen).await;
                });
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            task,
        }
    }
}

async fn serve(
    socket: tokio::net::TcpStream,
    handler: Handler,
    seen: Arc<Mutex<Vec<Request>>>,
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
        let (status, headers, reply) = handler(&request);
        seen.lock().unwrap().push(request);
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
