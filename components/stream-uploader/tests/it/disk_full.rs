//! A full disk: on a 8 MiB tmpfs (root; otherwise SQLite's page limit stands in), the full
//! policy applies, appends report DiskFull instead of failing, nothing stored is lost, and
//! appending works again once space is freed.

use crate::{export, open_store, records};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use stream_uploader::store::{Appended, DrainOrder, Store};

/// Append rounds of 100 records: more than the small file system holds.
const ROUNDS: u32 = 1200;

/// A size-limited file system mounted for the test; unmounted on drop.
struct SmallFs(PathBuf);

impl SmallFs {
    fn mount(at: &Path) -> Option<Self> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(at.to_owned()))
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Appends rounds of 100 records until 30 rounds after the disk first filled; returns
/// (stored, refused, overwritten, last n appended).
fn fill(store_dir: &Path, policy: &str, limit_pages: bool) -> (usize, usize, u64, u32) {
    let e = export(
        "k",
        json!({"type": "iotCore", "onFull": policy, "maxQueueBytes": 1_000_000_000}),
    );
    let (mut store, _) = Store::open(
        &store_dir.join("queue.db"),
        &[("k".into(), e.queue.clone())],
        1,
    )
    .unwrap();
    if limit_pages {
        store.set_max_page_count(1500).unwrap();
    }
    let (mut stored, mut refused, mut overwritten) = (0, 0, 0);
    let mut full_since = None;
    let mut last = 0;
    for round in 0..ROUNDS {
        let report = store
            .append(&records("k", round * 100, round * 100 + 100))
            .unwrap();
        stored += report
            .results
            .iter()
            .filter(|r| matches!(r, Appended::Stored(_)))
            .count();
        refused += report
            .results
            .iter()
            .filter(|r| **r == Appended::DiskFull)
            .count();
        overwritten += report.overwritten.values().sum::<u64>();
        last = round * 100 + 99;
        if refused > 0 || overwritten > 0 {
            let since = *full_since.get_or_insert(round);
            if round >= since + 30 {
                break;
            }
        }
    }
    (stored, refused, overwritten, last)
}

#[test]
fn a_full_disk_applies_the_policy_without_losing_stored_records() {
    let base = tempfile::tempdir().unwrap();
    let fs = SmallFs::mount(base.path());
    let limit_pages = fs.is_none();
    eprintln!(
        "disk full via {}",
        if limit_pages {
            "SQLite max_page_count (no permission to mount tmpfs)"
        } else {
            "a 8 MiB tmpfs"
        }
    );

    // RejectNewData: the disk fills, appends are refused with DiskFull, nothing stored is lost.
    let reject = base.path().join("reject");
    std::fs::create_dir_all(&reject).unwrap();
    let (stored, refused, _, _) = fill(&reject, "RejectNewData", limit_pages);
    assert!(refused > 0, "the disk never filled");
    let e = export(
        "k",
        json!({"type": "iotCore", "maxQueueBytes": 1_000_000_000}),
    );
    let (mut store, _) = Store::open(
        &reject.join("queue.db"),
        &[("k".into(), e.queue.clone())],
        1,
    )
    .unwrap();
    let all = store
        .peek("k", DrainOrder::OldestFirst, 1_000_000, u64::MAX)
        .unwrap();
    assert_eq!(
        all.records.len(),
        stored,
        "every record reported stored is there"
    );
    let ns: Vec<u64> = all
        .records
        .iter()
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.payload).unwrap()["n"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        ns[..100],
        (0..100).collect::<Vec<_>>()[..],
        "the oldest data is intact"
    );
    // Once records are delivered (acked), there is room again.
    let seqs: Vec<i64> = all.records.iter().take(2000).map(|r| r.seq).collect();
    store.ack("k", &seqs).unwrap();
    if limit_pages {
        store.set_max_page_count(1500).unwrap();
    }
    let again = store.append(&records("k", 900_000, 900_010)).unwrap();
    assert!(
        again
            .results
            .iter()
            .all(|r| matches!(r, Appended::Stored(_))),
        "{again:?}"
    );
    drop(store);
    std::fs::remove_dir_all(&reject).unwrap();

    // OverwriteOldestData: the disk fills, the oldest records make room for new ones.
    let overwrite = base.path().join("overwrite");
    std::fs::create_dir_all(&overwrite).unwrap();
    let (_, _, overwritten, last) = fill(&overwrite, "OverwriteOldestData", limit_pages);
    assert!(overwritten > 0, "nothing was overwritten");
    let (mut store, _) =
        Store::open(&overwrite.join("queue.db"), &[("k".into(), e.queue)], 1).unwrap();
    let newest = store
        .peek("k", DrainOrder::NewestFirst, 1, u64::MAX)
        .unwrap();
    let n = serde_json::from_slice::<serde_json::Value>(&newest.records[0].payload).unwrap()["n"]
        .as_u64()
        .unwrap();
    assert_eq!(n, u64::from(last), "the newest data is kept");
    drop(store);
    drop(fs);
    let _ = open_store;
}
