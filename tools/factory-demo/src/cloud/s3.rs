//! S3 `PutObject`, path-style (`PUT /<bucket>/<key>`): the object is written to
//! `<dir>/s3/<bucket>/<key>` (through a temporary file and a rename, so a reader never sees half
//! an object) before the call is answered.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::http::{Request, Response};

const XML: &str = "application/xml";

/// Answers an S3 call.
pub fn handle(dir: &Path, req: &Request) -> Response {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let is_put_object = req.method == "PUT"
        && !query
            .split('&')
            .any(|q| q.starts_with("uploadId") || q.starts_with("partNumber"));
    if !is_put_object {
        return error(
            501,
            "NotImplemented",
            &format!(
                "the demo's local S3 takes PutObject only, not {} {}; keep multipartThresholdBytes above the batch size",
                req.method, req.target
            ),
        );
    }
    let file = match object_path(dir, path) {
        Ok(f) => f,
        Err(msg) => return error(400, "InvalidArgument", &msg),
    };
    match write_atomically(&file, &req.body) {
        Ok(()) => {
            let mut r = Response::new(200, XML, Vec::new());
            r.headers
                .push(("ETag", format!("\"{:016x}\"", fnv1a(&req.body))));
            r
        }
        Err(e) => error(500, "InternalError", &format!("{}: {e}", file.display())),
    }
}

/// `<dir>/s3/<bucket>/<key>` for the percent-encoded `/<bucket>/<key>`; refuses anything that
/// would leave the folder.
fn object_path(dir: &Path, path: &str) -> Result<PathBuf, String> {
    let decoded = percent_decode(path)?;
    let mut parts = decoded.trim_start_matches('/').splitn(2, '/');
    let bucket = parts.next().unwrap_or_default();
    let key = parts.next().unwrap_or_default();
    if bucket.is_empty() || key.is_empty() {
        return Err(format!(
            "`{decoded}` is not /<bucket>/<key>: set forcePathStyle on the S3 export"
        ));
    }
    let mut file = dir.join("s3").join(bucket);
    for segment in key.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." || segment.contains('\\') {
            return Err(format!("key `{key}` has an empty, `.` or `..` segment"));
        }
        file.push(segment);
    }
    Ok(file)
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(format!("bad percent escape in `{s}`"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{s}` is not UTF-8 once decoded"))
}

fn write_atomically(file: &Path, body: &[u8]) -> std::io::Result<()> {
    let parent = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let tmp = parent.join(format!(
        ".{}.part",
        file.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(body)?;
    f.sync_data()?;
    std::fs::rename(&tmp, file)
}

/// A content tag for the ETag (not MD5: nothing here checks it against the body).
fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn error(status: u16, code: &str, message: &str) -> Response {
    let message = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Response::new(
        status,
        XML,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(target: &str, body: &[u8]) -> Request {
        Request {
            method: "PUT".into(),
            target: target.into(),
            headers: Vec::new(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn objects_land_under_bucket_and_key_and_escapes_are_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let resp = handle(
            dir.path(),
            &put(
                "/lake/agg/year%3D2026/gw-1-2.jsonl?x-id=PutObject",
                b"{}\n{}\n",
            ),
        );
        assert_eq!(resp.status, 200);
        let f = dir.path().join("s3/lake/agg/year=2026/gw-1-2.jsonl");
        assert_eq!(std::fs::read(f).unwrap_or_default(), b"{}\n{}\n");
        let resp = handle(dir.path(), &put("/lake/a/../../../etc/x", b""));
        assert_eq!(resp.status, 400);
        let resp = handle(dir.path(), &put("/only-a-key", b""));
        assert!(String::from_utf8_lossy(&resp.body).contains("forcePathStyle"));
        let mut post = put("/lake/big?uploads", b"");
        post.method = "POST".into();
        assert_eq!(handle(dir.path(), &post).status, 501);
    }
}
