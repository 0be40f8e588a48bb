//! Kinesis `PutRecords` / `PutRecord` (JSON 1.1 protocol): each record is appended as one line
//! to `<dir>/kinesis/<stream>/records.jsonl` before the call is answered, so an acknowledged
//! record is on disk.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use serde_json::{Value, json};

use super::http::{Request, Response};

const JSON: &str = "application/x-amz-json-1.1";
/// The one shard every record lands in.
const SHARD: &str = "shardId-000000000000";

/// Sequence numbers, increasing over the sink's life.
static SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// Answers a Kinesis call (`X-Amz-Target: Kinesis_20131202.<Operation>`).
pub fn handle(dir: &Path, req: &Request, operation: &str) -> Response {
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => return error("SerializationException", &format!("body is not JSON: {e}")),
    };
    let stream = match stream_name(&body) {
        Ok(s) => s,
        Err(msg) => return error("ValidationException", &msg),
    };
    let file = dir.join("kinesis").join(&stream).join("records.jsonl");
    let result = match operation {
        "PutRecords" => {
            let records = body["Records"].as_array().cloned().unwrap_or_default();
            append(&file, &records).map(|seqs| {
                json!({
                    "FailedRecordCount": 0,
                    "Records": seqs.iter().map(|s| json!({"SequenceNumber": s, "ShardId": SHARD})).collect::<Vec<_>>(),
                })
            })
        }
        "PutRecord" => append(&file, std::slice::from_ref(&body))
            .map(|seqs| json!({"SequenceNumber": seqs[0], "ShardId": SHARD})),
        other => {
            return error(
                "UnknownOperationException",
                &format!(
                    "the demo's local Kinesis takes PutRecords and PutRecord only, not {other}"
                ),
            );
        }
    };
    match result {
        Ok(v) => Response::new(200, JSON, v.to_string()),
        Err(msg) => error("InvalidArgumentException", &msg),
    }
}

/// `StreamName`, or the name at the end of `StreamARN`; only characters Kinesis allows.
fn stream_name(body: &Value) -> Result<String, String> {
    let name = body["StreamName"]
        .as_str()
        .or_else(|| body["StreamARN"].as_str()?.rsplit('/').next())
        .ok_or("neither StreamName nor StreamARN given")?;
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && name != "."
        && name != "..";
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "stream name `{name}` is not a valid Kinesis stream name"
        ))
    }
}

/// Decodes every record first (one bad record refuses the whole call, nothing written), then
/// appends them and syncs; returns their sequence numbers.
fn append(file: &Path, records: &[Value]) -> Result<Vec<String>, String> {
    let mut lines = String::new();
    let mut seqs = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let data = r["Data"]
            .as_str()
            .ok_or(format!("record {i} has no Data"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("record {i}: Data is not base64: {e}"))?;
        let data = serde_json::from_slice::<Value>(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed).to_string();
        let line = json!({
            "sequenceNumber": seq,
            "partitionKey": r["PartitionKey"],
            "data": data,
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
        seqs.push(seq);
    }
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    f.write_all(lines.as_bytes())
        .and_then(|()| f.sync_data())
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(seqs)
}

fn error(kind: &str, message: &str) -> Response {
    let status = if kind == "InternalFailure" { 500 } else { 400 };
    Response::new(
        status,
        JSON,
        json!({"__type": kind, "message": message}).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(body: &Value) -> Request {
        Request {
            method: "POST".into(),
            target: "/".into(),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    #[test]
    fn records_land_one_per_line_and_bad_input_names_the_cause() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let body = json!({"StreamName": "telemetry", "Records": [
            {"Data": b64(r#"{"recordId":"a-1"}"#), "PartitionKey": "pump1"},
            {"Data": b64("plain text"), "PartitionKey": "pump1"}]});
        let resp = handle(dir.path(), &req(&body), "PutRecords");
        assert_eq!(resp.status, 200);
        let v: Value = serde_json::from_slice(&resp.body).unwrap_or_default();
        assert_eq!(v["FailedRecordCount"], 0);
        assert_eq!(v["Records"].as_array().map(Vec::len), Some(2));
        let text = std::fs::read_to_string(dir.path().join("kinesis/telemetry/records.jsonl"))
            .unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["data"]["recordId"], "a-1");
        assert_eq!(lines[1]["data"], "plain text");

        let bad = json!({"StreamName": "../x", "Records": []});
        let resp = handle(dir.path(), &req(&bad), "PutRecords");
        assert_eq!(resp.status, 400);
        assert!(String::from_utf8_lossy(&resp.body).contains("not a valid Kinesis stream name"));
        let bad = json!({"StreamName": "t", "Records": [{"Data": "%%%"}]});
        let resp = handle(dir.path(), &req(&bad), "PutRecords");
        assert!(String::from_utf8_lossy(&resp.body).contains("record 0: Data is not base64"));
        let resp = handle(dir.path(), &req(&body), "DeleteStream");
        assert!(String::from_utf8_lossy(&resp.body).contains("not DeleteStream"));
    }
}
