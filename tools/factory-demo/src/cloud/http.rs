//! Just enough HTTP/1.1 for the AWS SDK's calls: requests with a `Content-Length` body on a
//! keep-alive connection, and S3's `aws-chunked` content encoding decoded back to the payload.

use std::io;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// Longest request head, bytes.
const MAX_HEAD: usize = 16 * 1024;
/// Largest body accepted, bytes (the demo's S3 files and Kinesis batches are far smaller).
pub const MAX_BODY: usize = 64 << 20;

/// One request.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `PUT`, `POST`, ...
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The payload (decoded when it came `aws-chunked`).
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with `status` and `body` of `content_type`.
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }
}

/// Reads the next request; `None` when the peer closed the connection between requests.
pub async fn read_request<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
) -> io::Result<Option<Request>> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = r.read_until(b'\n', &mut head).await?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(bad("connection closed inside the request head"))
            };
        }
        if head.len() > MAX_HEAD {
            return Err(bad("request head over 16 KiB"));
        }
        if head.len() - before <= 2 && head[before..].iter().all(|b| *b == b'\r' || *b == b'\n') {
            if before == 0 {
                head.clear(); // a stray empty line before a request
                continue;
            }
            break;
        }
    }
    let text = String::from_utf8(head).map_err(|_| bad("request head is not UTF-8"))?;
    let mut lines = text.lines();
    let start = lines.next().unwrap_or_default();
    let mut parts = start.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(bad(&format!("malformed request line `{start}`")));
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut req = Request {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: Vec::new(),
    };
    if req
        .header("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        return Err(bad("Transfer-Encoding: chunked bodies are not supported"));
    }
    let len: usize = match req.header("content-length") {
        Some(v) => v
            .parse()
            .map_err(|_| bad(&format!("Content-Length `{v}` is not a number")))?,
        None => 0,
    };
    if len > MAX_BODY {
        return Err(bad(&format!(
            "body of {len} bytes is over the {MAX_BODY}-byte limit"
        )));
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).await?;
    if req
        .header("content-encoding")
        .is_some_and(|v| v.contains("aws-chunked"))
    {
        body = decode_aws_chunked(&body)?;
    }
    req.body = body;
    Ok(Some(req))
}

/// Writes `resp`; the connection stays open for the next request.
pub async fn write_response<W: AsyncWrite + Unpin>(w: &mut W, resp: &Response) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
        resp.body.len()
    );
    for (n, v) in &resp.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes()).await?;
    w.write_all(&resp.body).await?;
    w.flush().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        _ => "",
    }
}

/// `<hex size>[;chunk-signature=…]\r\n<data>\r\n` … `0\r\n<trailers>\r\n\r\n` → the data.
pub fn decode_aws_chunked(mut body: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| bad("aws-chunked body: chunk header without CRLF"))?;
        let header =
            std::str::from_utf8(&body[..eol]).map_err(|_| bad("aws-chunked: bad header"))?;
        let size_hex = header.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| bad(&format!("aws-chunked: chunk size `{size_hex}` is not hex")))?;
        body = &body[eol + 2..];
        if size == 0 {
            return Ok(out); // trailers (checksums) follow; the payload is complete
        }
        if body.len() < size + 2 {
            return Err(bad("aws-chunked body: chunk shorter than its size"));
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_two_requests_on_one_connection_and_decodes_aws_chunked() {
        let chunked = "5;chunk-signature=ab\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        let raw = format!(
            "PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Encoding: aws-chunked\r\n\
             Content-Length: {}\r\n\r\n{chunked}POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{{}}",
            chunked.len()
        );
        let mut r = BufReader::new(raw.as_bytes());
        let a = read_request(&mut r).await.unwrap_or_else(|e| panic!("{e}"));
        let a = a.unwrap_or_else(|| panic!("no request"));
        assert_eq!((a.method.as_str(), a.target.as_str()), ("PUT", "/b/k"));
        assert_eq!(a.body, b"hello");
        let b = read_request(&mut r).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.map(|b| b.body), Some(b"{}".to_vec()));
        assert!(
            read_request(&mut r)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
    }

    #[tokio::test]
    async fn refuses_what_it_cannot_read_with_the_cause() {
        let mut r = BufReader::new(&b"PUT /b/k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"[..]);
        let e = read_request(&mut r).await.err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("chunked")));
        let mut r = BufReader::new(&b"PUT /b/k HTTP/1.1\r\nContent-Length: ten\r\n\r\n"[..]);
        let e = read_request(&mut r).await.err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("`ten`")));
    }
}
