//! JSON-lines objects in the processed bucket: one object per `dt` partition and invocation,
//! named after the first and last Kinesis record in it, so a retry of the same records writes
//! the same key again instead of a second copy.

use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;

/// The processed-bucket writer.
#[derive(Debug, Clone)]
pub struct LakeWriter {
    client: aws_sdk_s3::Client,
    bucket: String,
}

/// The key of an object under `prefix` for partition `dt` holding records `first..=last` of
/// `shard`.
pub fn object_key(prefix: &str, dt: &str, shard: &str, first: &str, last: &str) -> String {
    if first == last {
        format!("{prefix}dt={dt}/{shard}-{first}.jsonl")
    } else {
        format!("{prefix}dt={dt}/{shard}-{first}-{last}.jsonl")
    }
}

/// `lines` as JSON lines (each ends in a newline).
///
/// # Errors
///
/// A serialization error (a value serde_json cannot write).
pub fn json_lines<T: Serialize>(lines: &[&T]) -> Result<Vec<u8>, serde_json::Error> {
    let mut body = Vec::new();
    for line in lines {
        serde_json::to_writer(&mut body, line)?;
        body.push(b'\n');
    }
    Ok(body)
}

impl LakeWriter {
    /// A writer into `bucket`.
    pub fn new(client: aws_sdk_s3::Client, bucket: &str) -> Self {
        Self {
            client,
            bucket: bucket.to_owned(),
        }
    }

    /// Writes `body` at `key`.
    ///
    /// # Errors
    ///
    /// The S3 error text.
    pub async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), String> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/x-ndjson")
            .body(ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "S3 PutObject s3://{}/{key} failed: {}",
                    self.bucket,
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                )
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn keys_sit_in_the_glue_partition_layout() {
        assert_eq!(
            object_key("readings/", "2025-11-26", "shardId-0", "10", "12"),
            "readings/dt=2025-11-26/shardId-0-10-12.jsonl"
        );
        assert_eq!(
            object_key("readings/", "2025-11-26", "shardId-0", "10", "10"),
            "readings/dt=2025-11-26/shardId-0-10.jsonl"
        );
    }

    #[test]
    fn every_line_ends_in_a_newline() {
        let body = json_lines(&[&1, &2]).unwrap();
        assert_eq!(body, b"1\n2\n");
    }
}
