//! What landed in the local cloud folder, counted from the files (so the live view and the
//! summary need no line to the stand-in process).

use std::path::Path;

/// Counts under the local cloud folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Landed {
    /// Lines in `kinesis/*/records.jsonl`.
    pub kinesis_records: u64,
    /// Files under `s3/`.
    pub s3_objects: u64,
    /// Lines in the uncompressed (`.jsonl`) S3 objects.
    pub s3_records: u64,
}

/// Counts `dir` (all zero when it does not exist).
pub fn count(dir: &Path) -> Landed {
    let mut landed = Landed::default();
    for file in files(&dir.join("kinesis")) {
        landed.kinesis_records += lines(&file);
    }
    for file in files(&dir.join("s3")) {
        landed.s3_objects += 1;
        if file.extension().is_some_and(|e| e == "jsonl") {
            landed.s3_records += lines(&file);
        }
    }
    landed
}

/// Files below `dir`, temporary `.part` files left out.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_none_or(|x| x != "part") {
                out.push(p);
            }
        }
    }
    out
}

fn lines(file: &Path) -> u64 {
    std::fs::read(file).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u64)
}
