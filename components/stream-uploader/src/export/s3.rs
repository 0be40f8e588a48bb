//! S3 batch files: a batch becomes one JSON-lines file (gzip by default) under a
//! time-partitioned key, put in one request or, from the threshold up, in parts. The key is
//! made from the record range, so a retry after a crash overwrites the same object instead of
//! making a duplicate. After each upload a status report goes to the status topic.

use super::{Exporter, Outcome, classify, envelope};
use crate::store::StoredRecord;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use std::io::Write;
use std::sync::Arc;

/// Receives one JSON report per upload (`status`: `Success` or `Failure`).
pub type StatusSink = Arc<dyn Fn(serde_json::Value) + Send + Sync>;

/// Where and how files are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    /// Bucket (must exist).
    pub bucket: String,
    /// Key prefix.
    pub key_prefix: String,
    /// Gzip the file.
    pub gzip: bool,
    /// Multipart from this many bytes.
    pub multipart_threshold: u64,
    /// Part size.
    pub part_bytes: u64,
}

/// The S3 exporter.
#[derive(Clone)]
pub struct S3Exporter {
    client: aws_sdk_s3::Client,
    target: S3Target,
    thing_name: String,
    status: Option<StatusSink>,
}

impl std::fmt::Debug for S3Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Exporter")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl S3Exporter {
    /// An exporter writing to `target`.
    pub fn new(
        sdk: &aws_config::SdkConfig,
        force_path_style: bool,
        target: S3Target,
        thing_name: &str,
        status: Option<StatusSink>,
    ) -> Self {
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(force_path_style)
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(config),
            target,
            thing_name: thing_name.to_owned(),
            status,
        }
    }

    async fn put_single(&self, key: &str, body: Vec<u8>) -> Result<(), Outcome> {
        self.client
            .put_object()
            .bucket(&self.target.bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .map(drop)
            .map_err(|e| classify::call_failed("S3 PutObject", &e))
    }

    async fn put_multipart(&self, key: &str, body: Vec<u8>) -> Result<usize, Outcome> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.target.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify::call_failed("S3 CreateMultipartUpload", &e))?;
        let Some(upload_id) = created.upload_id() else {
            return Err(Outcome::Retry(
                "S3 CreateMultipartUpload answered without an upload id".into(),
            ));
        };
        let result = self.upload_parts(key, upload_id, &body).await;
        if result.is_err() {
            // Best effort: an upload left open only costs storage until a lifecycle rule ends it.
            let _abort_failed = self
                .client
                .abort_multipart_upload()
                .bucket(&self.target.bucket)
                .key(key)
                .upload_id(upload_id)
                .send()
                .await;
        }
        result
    }

    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        body: &[u8],
    ) -> Result<usize, Outcome> {
        let mut parts = Vec::new();
        for (n, chunk) in body.chunks(self.target.part_bytes as usize).enumerate() {
            let number = n as i32 + 1;
            let part = self
                .client
                .upload_part()
                .bucket(&self.target.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| classify::call_failed("S3 UploadPart", &e))?;
            parts.push(
                CompletedPart::builder()
                    .set_e_tag(part.e_tag().map(str::to_owned))
                    .part_number(number)
                    .build(),
            );
        }
        let count = parts.len();
        self.client
            .complete_multipart_upload()
            .bucket(&self.target.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| classify::call_failed("S3 CompleteMultipartUpload", &e))?;
        Ok(count)
    }

    fn report(
        &self,
        key: &str,
        batch: &[StoredRecord],
        bytes: usize,
        parts: usize,
        error: Option<&str>,
    ) {
        let Some(sink) = &self.status else { return };
        sink(serde_json::json!({
            "export": "s3",
            "status": if error.is_none() { "Success" } else { "Failure" },
            "bucket": self.target.bucket,
            "key": key,
            "records": batch.len(),
            "bytes": bytes,
            "parts": parts,
            "firstSeq": batch.first().map(|r| r.seq),
            "lastSeq": batch.last().map(|r| r.seq),
            "error": error,
            "timeMs": edge_model::time::now_ms(),
        }));
    }
}

/// `<prefix>year=YYYY/month=MM/day=DD/hour=HH/<thing>-<store>-<first>-<last>.jsonl[.gz]`, the
/// time taken from the first record (UTC).
pub fn object_key(
    prefix: &str,
    thing_name: &str,
    store_id: &str,
    batch: &[StoredRecord],
    gzip: bool,
) -> String {
    let first = batch.first().map_or(0, |r| r.seq);
    let last = batch.last().map_or(0, |r| r.seq);
    let created = batch.first().map_or(0, |r| r.created_ms.max(0) as u64);
    let t = edge_model::time::rfc3339_millis(created);
    let part = |a: usize, b: usize| t.get(a..b).unwrap_or("00").to_owned();
    format!(
        "{prefix}year={}/month={}/day={}/hour={}/{thing_name}-{store_id}-{first}-{last}.jsonl{}",
        part(0, 4),
        part(5, 7),
        part(8, 10),
        part(11, 13),
        if gzip { ".gz" } else { "" }
    )
}

/// The file: one envelope per line, gzipped when asked.
pub fn file_body(store_id: &str, batch: &[StoredRecord], gzip: bool) -> std::io::Result<Vec<u8>> {
    let mut lines = Vec::new();
    for record in batch {
        lines.extend_from_slice(&envelope::encode(store_id, record));
        lines.push(b'\n');
    }
    if !gzip {
        return Ok(lines);
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&lines)?;
    encoder.finish()
}

impl Exporter for S3Exporter {
    async fn send(&self, store_id: &str, batch: &[StoredRecord]) -> Vec<Outcome> {
        let key = object_key(
            &self.target.key_prefix,
            &self.thing_name,
            store_id,
            batch,
            self.target.gzip,
        );
        let body = match file_body(store_id, batch, self.target.gzip) {
            Ok(body) => body,
            Err(e) => return super::all(batch, &Outcome::Retry(format!("gzip: {e}"))),
        };
        let bytes = body.len();
        let result = if bytes as u64 >= self.target.multipart_threshold {
            self.put_multipart(&key, body).await
        } else {
            self.put_single(&key, body).await.map(|()| 1)
        };
        match result {
            Ok(parts) => {
                self.report(&key, batch, bytes, parts, None);
                super::all(batch, &Outcome::Delivered)
            }
            Err(outcome) => {
                let reason = match &outcome {
                    Outcome::Retry(r) | Outcome::Throttled(r) | Outcome::Reject(r) => r.clone(),
                    Outcome::Delivered => String::new(),
                };
                self.report(&key, batch, bytes, 0, Some(&reason));
                super::all(batch, &outcome)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use std::io::Read;

    fn rec(seq: i64, created_ms: i64) -> StoredRecord {
        StoredRecord {
            seq,
            topic: "factory/agg/plc1".into(),
            payload: format!("{{\"n\":{seq}}}").into_bytes(),
            created_ms,
        }
    }

    #[test]
    fn keys_are_partitioned_by_the_first_records_hour() {
        // 2026-11-26T01:13:30Z
        let batch = [rec(5, 1_795_655_610_000), rec(9, 1_795_659_999_000)];
        assert_eq!(
            object_key("lake/", "gw1", "abc", &batch, true),
            "lake/year=2026/month=11/day=26/hour=01/gw1-abc-5-9.jsonl.gz"
        );
    }

    #[test]
    fn the_gzipped_file_holds_one_envelope_per_line() {
        let batch = [rec(1, 1), rec(2, 2)];
        let body = file_body("s", &batch, true).unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut text)
            .unwrap();
        let ids: Vec<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["recordId"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(ids, vec!["s-1", "s-2"]);
    }
}
