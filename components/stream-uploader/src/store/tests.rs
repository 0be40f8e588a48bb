#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;
use proptest::prelude::*;
use std::time::Duration;

fn rec(export: &str, n: u32, created_ms: i64) -> NewRecord {
    NewRecord {
        export: export.into(),
        topic: "factory/raw/plc1".into(),
        payload: format!("{{\"n\":{n}}}").into_bytes(),
        created_ms,
    }
}

fn policy(max_bytes: u64, max_records: u64, on_full: FullPolicy) -> QueuePolicy {
    QueuePolicy {
        max_bytes,
        max_records,
        on_full,
        ttl: None,
    }
}

fn open(dir: &Path, exports: &[(&str, QueuePolicy)]) -> Store {
    let exports: Vec<_> = exports
        .iter()
        .map(|(n, p)| ((*n).to_owned(), p.clone()))
        .collect();
    Store::open(&dir.join("queue.db"), &exports, 1_000)
        .unwrap()
        .0
}

fn payload_numbers(records: &[StoredRecord]) -> Vec<u32> {
    records
        .iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_slice(&r.payload).unwrap();
            v["n"].as_u64().unwrap() as u32
        })
        .collect()
}

#[test]
fn appended_records_survive_reopen_until_acked() {
    let dir = tempfile::tempdir().unwrap();
    let p = QueuePolicy::default();
    let mut store = open(dir.path(), &[("k", p.clone())]);
    let batch: Vec<_> = (0..10).map(|n| rec("k", n, 5)).collect();
    let report = store.append(&batch).unwrap();
    assert!(
        report
            .results
            .iter()
            .all(|r| matches!(r, Appended::Stored(_)))
    );
    let peeked = store
        .peek("k", DrainOrder::OldestFirst, 4, u64::MAX)
        .unwrap();
    assert_eq!(payload_numbers(&peeked.records), vec![0, 1, 2, 3]);
    let seqs: Vec<i64> = peeked.records.iter().map(|r| r.seq).collect();
    drop(store);

    // Not acked yet: a restart hands the same records out again.
    let mut store = open(dir.path(), &[("k", p.clone())]);
    assert_eq!(store.depth("k").unwrap().records, 10);
    let again = store
        .peek("k", DrainOrder::OldestFirst, 4, u64::MAX)
        .unwrap();
    assert_eq!(
        again.records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        seqs
    );
    assert_eq!(store.ack("k", &seqs).unwrap(), 4);
    drop(store);

    let mut store = open(dir.path(), &[("k", p)]);
    let depth = store.depth("k").unwrap();
    assert_eq!(depth.records, 6);
    assert_eq!(depth.oldest_created_ms, Some(5));
    let rest = store
        .peek("k", DrainOrder::OldestFirst, 100, u64::MAX)
        .unwrap();
    assert_eq!(payload_numbers(&rest.records), vec![4, 5, 6, 7, 8, 9]);
}

#[test]
fn exports_have_separate_queues() {
    let dir = tempfile::tempdir().unwrap();
    let p = QueuePolicy::default();
    let mut store = open(dir.path(), &[("a", p.clone()), ("b", p)]);
    store
        .append(&[
            rec("a", 1, 1),
            rec("b", 2, 1),
            rec("a", 3, 1),
            rec("nope", 4, 1),
        ])
        .map(|r| {
            assert_eq!(r.results[3], Appended::UnknownExport);
        })
        .unwrap();
    let a = store
        .peek("a", DrainOrder::OldestFirst, 10, u64::MAX)
        .unwrap();
    let b = store
        .peek("b", DrainOrder::OldestFirst, 10, u64::MAX)
        .unwrap();
    assert_eq!(payload_numbers(&a.records), vec![1, 3]);
    assert_eq!(payload_numbers(&b.records), vec![2]);
    store.ack("a", &[a.records[0].seq]).unwrap();
    assert_eq!(store.depth("b").unwrap().records, 1);
}

#[test]
fn newest_first_drains_from_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path(), &[("k", QueuePolicy::default())]);
    let batch: Vec<_> = (0..5).map(|n| rec("k", n, 1)).collect();
    store.append(&batch).unwrap();
    let peeked = store
        .peek("k", DrainOrder::NewestFirst, 3, u64::MAX)
        .unwrap();
    assert_eq!(payload_numbers(&peeked.records), vec![4, 3, 2]);
}

#[test]
fn peek_stops_at_the_byte_limit_but_returns_at_least_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path(), &[("k", QueuePolicy::default())]);
    let batch: Vec<_> = (0..5).map(|n| rec("k", n, 1)).collect();
    store.append(&batch).unwrap();
    let one = record_size("factory/raw/plc1", b"{\"n\":0}");
    let peeked = store
        .peek("k", DrainOrder::OldestFirst, 10, one * 2)
        .unwrap();
    assert_eq!(peeked.records.len(), 2);
    let tiny = store.peek("k", DrainOrder::OldestFirst, 10, 1).unwrap();
    assert_eq!(tiny.records.len(), 1);
}

#[test]
fn reject_new_data_refuses_records_beyond_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(
        dir.path(),
        &[("k", policy(u64::MAX, 3, FullPolicy::RejectNewData))],
    );
    let batch: Vec<_> = (0..5).map(|n| rec("k", n, 1)).collect();
    let report = store.append(&batch).unwrap();
    assert_eq!(
        &report.results[3..],
        &[Appended::QueueFull, Appended::QueueFull]
    );
    let all = store
        .peek("k", DrainOrder::OldestFirst, 10, u64::MAX)
        .unwrap();
    assert_eq!(payload_numbers(&all.records), vec![0, 1, 2]);
}

#[test]
fn overwrite_oldest_keeps_the_newest_records_within_the_byte_cap() {
    let dir = tempfile::tempdir().unwrap();
    let one = record_size("factory/raw/plc1", b"{\"n\":0}");
    let mut store = open(
        dir.path(),
        &[(
            "k",
            policy(one * 3, u64::MAX, FullPolicy::OverwriteOldestData),
        )],
    );
    let batch: Vec<_> = (0..7).map(|n| rec("k", n, 1)).collect();
    let report = store.append(&batch).unwrap();
    assert!(
        report
            .results
            .iter()
            .all(|r| matches!(r, Appended::Stored(_)))
    );
    assert_eq!(report.overwritten.get("k"), Some(&4));
    let all = store
        .peek("k", DrainOrder::OldestFirst, 10, u64::MAX)
        .unwrap();
    assert_eq!(payload_numbers(&all.records), vec![4, 5, 6]);
    assert_eq!(store.depth("k").unwrap().bytes, one * 3);
}

#[test]
fn a_record_larger_than_the_cap_is_refused_even_when_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(
        dir.path(),
        &[("k", policy(10, u64::MAX, FullPolicy::OverwriteOldestData))],
    );
    let report = store.append(&[rec("k", 1, 1)]).unwrap();
    assert_eq!(report.results, vec![Appended::TooLarge]);
}

#[test]
fn ttl_expires_old_records_only() {
    let dir = tempfile::tempdir().unwrap();
    let p = QueuePolicy {
        ttl: Some(Duration::from_secs(60)),
        ..QueuePolicy::default()
    };
    let mut store = open(dir.path(), &[("k", p), ("forever", QueuePolicy::default())]);
    store
        .append(&[
            rec("k", 1, 1_000),
            rec("k", 2, 100_000),
            rec("forever", 3, 1_000),
        ])
        .unwrap();
    let expired = store.expire(100_000).unwrap();
    assert_eq!(expired, vec![("k".to_owned(), 1)]);
    let k = store
        .peek("k", DrainOrder::OldestFirst, 10, u64::MAX)
        .unwrap();
    assert_eq!(payload_numbers(&k.records), vec![2]);
    assert_eq!(store.depth("forever").unwrap().records, 1);
}

#[test]
fn a_corrupt_record_is_quarantined_and_the_rest_still_drain() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path(), &[("k", QueuePolicy::default())]);
    let batch: Vec<_> = (0..4).map(|n| rec("k", n, 1)).collect();
    let report = store.append(&batch).unwrap();
    let Appended::Stored(second) = report.results[1] else {
        panic!("not stored")
    };
    // Flip the payload behind the checksum's back, as a bad sector would.
    store
        .conn
        .execute(
            "UPDATE records SET payload = x'7b7d' WHERE seq = ?1",
            [second],
        )
        .unwrap();
    // And a row whose payload is not even a blob.
    store
        .conn
        .execute(
            "UPDATE records SET crc = 'garbage' WHERE seq = ?1",
            [second + 1],
        )
        .unwrap();
    let peeked = store
        .peek("k", DrainOrder::OldestFirst, 10, u64::MAX)
        .unwrap();
    assert_eq!(payload_numbers(&peeked.records), vec![0, 3]);
    assert_eq!(peeked.quarantined, 2);
    assert_eq!(store.quarantined_total().unwrap(), 2);
    assert_eq!(store.depth("k").unwrap().records, 2);
}

#[test]
fn a_damaged_file_is_moved_aside_and_a_fresh_queue_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    std::fs::write(
        &path,
        b"this is not an sqlite database, just garbage bytes....",
    )
    .unwrap();
    let exports = vec![("k".to_owned(), QueuePolicy::default())];
    let (mut store, report) = Store::open(&path, &exports, 42).unwrap();
    let aside = report.moved_corrupt_file.unwrap();
    assert!(aside.exists(), "the damaged file is kept for inspection");
    store.append(&[rec("k", 1, 1)]).unwrap();
    assert_eq!(store.depth("k").unwrap().records, 1);
}

#[test]
fn sequence_numbers_are_never_reused_after_the_queue_empties() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path(), &[("k", QueuePolicy::default())]);
    let first = store.append(&[rec("k", 1, 1)]).unwrap().results[0];
    let Appended::Stored(first) = first else {
        panic!()
    };
    store.ack("k", &[first]).unwrap();
    drop(store);
    let mut store = open(dir.path(), &[("k", QueuePolicy::default())]);
    let Appended::Stored(second) = store.append(&[rec("k", 2, 1)]).unwrap().results[0] else {
        panic!()
    };
    assert!(second > first);
}

#[test]
fn the_store_id_is_stable_across_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let id = open(dir.path(), &[]).store_id().to_owned();
    assert_eq!(open(dir.path(), &[]).store_id(), id);
}

#[test]
fn a_full_disk_rejects_new_data_without_losing_stored_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path(), &[("k", QueuePolicy::default())]);
    let before: Vec<_> = (0..10).map(|n| rec("k", n, 1)).collect();
    store.append(&before).unwrap();
    let pages: i64 = store
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    store.set_max_page_count(pages as u64 + 2).unwrap();
    let mut refused = 0;
    for round in 0..50 {
        let batch: Vec<_> = (0..100)
            .map(|n| rec("k", 1000 + round * 100 + n, 1))
            .collect();
        let report = store.append(&batch).unwrap();
        refused += report
            .results
            .iter()
            .filter(|r| **r == Appended::DiskFull)
            .count();
    }
    assert!(refused > 0, "the page limit was never reached");
    let all = store
        .peek("k", DrainOrder::OldestFirst, 100_000, u64::MAX)
        .unwrap();
    assert_eq!(
        &payload_numbers(&all.records)[..10],
        &(0..10).collect::<Vec<_>>()[..]
    );
    assert_eq!(
        store.depth("k").unwrap().records as usize,
        all.records.len()
    );
}

#[test]
fn a_full_disk_overwrites_oldest_records_when_the_policy_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = policy(u64::MAX, u64::MAX, FullPolicy::OverwriteOldestData);
    let mut store = open(dir.path(), &[("k", p)]);
    let pages: i64 = store
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    store.set_max_page_count(pages as u64 + 8).unwrap();
    let mut overwritten = 0;
    let mut last = 0;
    for round in 0..60u32 {
        let batch: Vec<_> = (0..100).map(|n| rec("k", round * 100 + n, 1)).collect();
        let report = store.append(&batch).unwrap();
        overwritten += report.overwritten.get("k").copied().unwrap_or(0);
        if report
            .results
            .iter()
            .all(|r| matches!(r, Appended::Stored(_)))
        {
            last = round * 100 + 99;
        }
    }
    assert!(overwritten > 0, "the page limit was never reached");
    let newest = store
        .peek("k", DrainOrder::NewestFirst, 1, u64::MAX)
        .unwrap();
    assert_eq!(
        payload_numbers(&newest.records),
        vec![last],
        "the newest data is kept"
    );
}

/// Records and bytes by a full count, as opening the queue used to compute them.
fn counted(store: &Store, export: &str) -> (u64, u64) {
    let (records, bytes): (i64, i64) = store
        .conn
        .query_row(
            "SELECT count(*), coalesce(sum(size), 0) FROM records
             WHERE export = (SELECT id FROM exports WHERE name = ?1)",
            [export],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    (records as u64, bytes as u64)
}

fn totals_after_reopen(dir: &Path, exports: &[(&str, QueuePolicy)], export: &str) -> (u64, u64) {
    let store = open(dir, exports);
    let t = store.exports[export].totals;
    (t.records, t.bytes)
}

#[test]
fn stored_totals_match_a_full_count_after_every_kind_of_delete() {
    let dir = tempfile::tempdir().unwrap();
    let k = QueuePolicy {
        ttl: Some(Duration::from_secs(60)),
        ..policy(400, 1000, FullPolicy::OverwriteOldestData)
    };
    let exports = [("k", k), ("other", QueuePolicy::default())];
    let mut store = open(dir.path(), &exports);
    // Appends beyond the byte cap overwrite the oldest records.
    let batch: Vec<_> = (0..40).map(|n| rec("k", n, 1_000 + i64::from(n))).collect();
    store.append(&batch).unwrap();
    store.append(&[rec("other", 1, 1)]).unwrap();
    // Acks, an expiry and a quarantined record.
    let peeked = store
        .peek("k", DrainOrder::OldestFirst, 3, u64::MAX)
        .unwrap();
    let seqs: Vec<i64> = peeked.records.iter().map(|r| r.seq).collect();
    store.ack("k", &seqs).unwrap();
    store.expire(1_030 + 60_000).unwrap();
    let newest = store
        .peek("k", DrainOrder::NewestFirst, 1, u64::MAX)
        .unwrap();
    store
        .conn
        .execute(
            "UPDATE records SET payload = x'7b7d' WHERE seq = ?1",
            [newest.records[0].seq],
        )
        .unwrap();
    store
        .peek("k", DrainOrder::NewestFirst, 1, u64::MAX)
        .unwrap();
    let expected = counted(&store, "k");
    assert!(expected.0 > 0, "some records are left to count");
    assert_eq!(expected.0, store.depth("k").unwrap().records);
    drop(store);
    assert_eq!(totals_after_reopen(dir.path(), &exports, "k"), expected);
    assert_eq!(totals_after_reopen(dir.path(), &exports, "other").0, 1);
}

#[test]
fn a_queue_file_from_before_stored_totals_is_counted_once_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let exports = [("k", QueuePolicy::default())];
    let mut store = open(dir.path(), &exports);
    let batch: Vec<_> = (0..25).map(|n| rec("k", n, 1)).collect();
    store.append(&batch).unwrap();
    let expected = counted(&store, "k");
    store
        .conn
        .execute_batch("DROP TABLE queue_totals;")
        .unwrap();
    drop(store);
    assert_eq!(totals_after_reopen(dir.path(), &exports, "k"), expected);
    let mut store = open(dir.path(), &exports);
    store.append(&[rec("k", 99, 1)]).unwrap();
    drop(store);
    assert_eq!(
        totals_after_reopen(dir.path(), &exports, "k").0,
        expected.0 + 1,
        "appends keep counting after the migration"
    );
}

/// What the previous version did on open when its `totals` table was missing (copied from its
/// schema.rs): create the table, count once, and keep it by per-row triggers.
const PREVIOUS_VERSION_TOTALS: &str = "
    BEGIN IMMEDIATE;
    CREATE TABLE totals (
        export INTEGER PRIMARY KEY,
        records INTEGER NOT NULL,
        bytes INTEGER NOT NULL
    );
    INSERT INTO totals (export, records, bytes)
        SELECT export, count(*), sum(size) FROM records GROUP BY export;
    CREATE TRIGGER totals_on_insert AFTER INSERT ON records BEGIN
        INSERT INTO totals (export, records, bytes) VALUES (NEW.export, 1, NEW.size)
            ON CONFLICT (export) DO UPDATE SET records = records + 1, bytes = bytes + NEW.size;
    END;
    CREATE TRIGGER totals_on_delete AFTER DELETE ON records BEGIN
        UPDATE totals SET records = records - 1, bytes = bytes - OLD.size
            WHERE export = OLD.export;
    END;
    COMMIT;
";

/// Rows written and deleted the way the previous version did (its triggers then run).
fn write_as_previous_version(store: &Store) {
    store
        .conn
        .execute_batch(
            "INSERT INTO records (export, created_ms, topic, payload, size, crc)
                 SELECT id, 1, 'x', x'7b7d', 3, 0 FROM exports WHERE name = 'k';
             INSERT INTO records (export, created_ms, topic, payload, size, crc)
                 SELECT id, 1, 'xy', x'7b7d', 4, 0 FROM exports WHERE name = 'k';
             DELETE FROM records WHERE seq = (SELECT min(seq) FROM records
                 WHERE export = (SELECT id FROM exports WHERE name = 'k'));",
        )
        .unwrap();
}

fn has_table_or_trigger(store: &Store, name: &str) -> bool {
    store
        .conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        > 0
}

#[test]
fn a_queue_file_of_the_trigger_version_opens_with_exact_totals_also_after_a_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let exports = [
        ("k", QueuePolicy::default()),
        ("other", QueuePolicy::default()),
    ];
    let mut store = open(dir.path(), &exports);
    let batch: Vec<_> = (0..30)
        .map(|n| rec(if n % 3 == 0 { "other" } else { "k" }, n, 1))
        .collect();
    store.append(&batch).unwrap();
    // Turn the file into one the previous version made and kept: its table and triggers,
    // none of ours, then rows it added and deleted.
    store
        .conn
        .execute_batch("DROP TABLE queue_totals;")
        .unwrap();
    store.conn.execute_batch(PREVIOUS_VERSION_TOTALS).unwrap();
    write_as_previous_version(&store);
    let expected = counted(&store, "k");
    drop(store);

    let mut store = open(dir.path(), &exports);
    assert!(
        !has_table_or_trigger(&store, "totals_on_insert"),
        "trigger dropped"
    );
    assert!(!has_table_or_trigger(&store, "totals"), "old table dropped");
    assert_eq!(
        (
            store.exports["k"].totals.records,
            store.exports["k"].totals.bytes
        ),
        expected
    );
    assert_eq!(store.exports["other"].totals.records, 10);
    // This version appends, acks and overwrites; a reopen reads exact totals.
    store.append(&[rec("k", 100, 1), rec("k", 101, 1)]).unwrap();
    let peeked = store
        .peek("k", DrainOrder::OldestFirst, 4, u64::MAX)
        .unwrap();
    let seqs: Vec<i64> = peeked.records.iter().map(|r| r.seq).collect();
    store.ack("k", &seqs).unwrap();
    let expected = counted(&store, "k");
    drop(store);
    assert_eq!(totals_after_reopen(dir.path(), &exports, "k"), expected);

    // A rollback: the previous version opens the file (no `totals` table, so it counts once
    // and adds its triggers) and writes; this version then opens it again.
    let store = open(dir.path(), &exports);
    store.conn.execute_batch(PREVIOUS_VERSION_TOTALS).unwrap();
    write_as_previous_version(&store);
    let expected = counted(&store, "k");
    drop(store);
    assert_eq!(totals_after_reopen(dir.path(), &exports, "k"), expected);
    assert_eq!(totals_after_reopen(dir.path(), &exports, "other").0, 10);
}

#[test]
fn an_ack_naming_another_exports_records_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let exports = [("a", QueuePolicy::default()), ("b", QueuePolicy::default())];
    let mut store = open(dir.path(), &exports);
    let report = store.append(&[rec("a", 1, 1), rec("b", 2, 1)]).unwrap();
    let Appended::Stored(seq_a) = report.results[0] else {
        panic!("stored")
    };
    assert_eq!(store.ack("b", &[seq_a]).unwrap(), 0);
    assert_eq!(store.ack("a", &[seq_a]).unwrap(), 1);
    drop(store);
    assert_eq!(totals_after_reopen(dir.path(), &exports, "a"), (0, 0));
    assert_eq!(totals_after_reopen(dir.path(), &exports, "b").0, 1);
}

#[derive(Debug, Clone)]
enum Op {
    Append(u8),
    PeekAck(u8),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u8..20).prop_map(Op::Append),
        (1u8..20).prop_map(Op::PeekAck),
        Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The queue behaves like a FIFO with a record cap (RejectNewData), across reopens.
    #[test]
    fn queue_matches_a_fifo_model(ops in proptest::collection::vec(op(), 1..30)) {
        let dir = tempfile::tempdir().unwrap();
        let p = policy(u64::MAX, 50, FullPolicy::RejectNewData);
        let mut store = open(dir.path(), &[("k", p.clone())]);
        let mut model = std::collections::VecDeque::new();
        let mut next = 0u32;
        for op in ops {
            match op {
                Op::Append(n) => {
                    let batch: Vec<_> = (0..n).map(|i| rec("k", next + u32::from(i), 1)).collect();
                    let report = store.append(&batch).unwrap();
                    for (i, r) in report.results.iter().enumerate() {
                        match r {
                            Appended::Stored(_) => model.push_back(next + i as u32),
                            Appended::QueueFull => prop_assert_eq!(model.len(), 50),
                            other => prop_assert!(false, "unexpected {:?}", other),
                        }
                    }
                    next += u32::from(n);
                }
                Op::PeekAck(n) => {
                    let peeked = store.peek("k", DrainOrder::OldestFirst, n.into(), u64::MAX).unwrap();
                    let expected: Vec<u32> = model.iter().take(n.into()).copied().collect();
                    prop_assert_eq!(payload_numbers(&peeked.records), expected);
                    let seqs: Vec<i64> = peeked.records.iter().map(|r| r.seq).collect();
                    store.ack("k", &seqs).unwrap();
                    for _ in 0..seqs.len() { model.pop_front(); }
                }
                Op::Reopen => {
                    drop(store);
                    store = open(dir.path(), &[("k", p.clone())]);
                }
            }
            prop_assert_eq!(store.depth("k").unwrap().records as usize, model.len());
        }
    }
}

#[test]
fn each_reported_sequence_number_names_the_record_appended_there() {
    // 64-row, 8-row and single-row statements, two exports interleaved, refusals and an
    // overwrite in between: every reported number must point at its own record.
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(
        dir.path(),
        &[
            ("a", QueuePolicy::default()),
            ("b", policy(u64::MAX, 50, FullPolicy::OverwriteOldestData)),
        ],
    );
    let mut batch = Vec::new();
    for n in 0..300u32 {
        let export = match n % 7 {
            0 => "missing",
            1 | 4 => "b",
            _ => "a",
        };
        batch.push(rec(export, n, 5));
    }
    let report = store.append(&batch).unwrap();
    // 86 records for "b" with room for 50.
    assert_eq!(report.overwritten.get("b").copied(), Some(36));
    let mut expected: HashMap<i64, (String, u32)> = HashMap::new();
    let mut previous = 0;
    for (n, (record, result)) in batch.iter().zip(&report.results).enumerate() {
        match result {
            Appended::Stored(seq) => {
                assert!(*seq > previous, "sequence numbers rise in input order");
                previous = *seq;
                expected.insert(*seq, (record.export.clone(), n as u32));
            }
            Appended::UnknownExport => assert_eq!(record.export, "missing"),
            other => panic!("record {n}: {other:?}"),
        }
    }
    for export in ["a", "b"] {
        let held = store
            .peek(export, DrainOrder::OldestFirst, 1000, u64::MAX)
            .unwrap()
            .records;
        assert_eq!(held.len(), if export == "a" { 171 } else { 50 });
        for (r, n) in held.iter().zip(payload_numbers(&held)) {
            assert_eq!(expected.get(&r.seq), Some(&(export.to_owned(), n)));
        }
    }
}

#[test]
fn an_ack_deletes_exactly_the_acknowledged_records_of_its_export() {
    let dir = tempfile::tempdir().unwrap();
    let p = QueuePolicy::default();
    let mut store = open(dir.path(), &[("a", p.clone()), ("b", p)]);
    // a: 0..40, with b's records interleaved after a's first 10.
    let mut batch: Vec<_> = (0..10).map(|n| rec("a", n, 5)).collect();
    for n in 10..40 {
        batch.push(rec("a", n, 5));
        batch.push(rec("b", 100 + n, 5));
    }
    let seqs: Vec<i64> = store
        .append(&batch)
        .unwrap()
        .results
        .iter()
        .zip(&batch)
        .filter(|(_, r)| r.export == "a")
        .map(|(r, _)| match r {
            Appended::Stored(seq) => *seq,
            other => panic!("{other:?}"),
        })
        .collect();
    // A run with a hole (4 kept), a run across b's records, singles, repeats, unknown numbers.
    let mut acked: Vec<i64> = seqs[0..4].to_vec();
    acked.extend_from_slice(&seqs[5..20]);
    acked.extend([seqs[25], seqs[27], seqs[27], seqs[0], 1_000_000, -3]);
    acked.reverse();
    assert_eq!(store.ack("a", &acked).unwrap(), 21);
    let left = store
        .peek("a", DrainOrder::OldestFirst, 100, u64::MAX)
        .unwrap()
        .records;
    let mut expected = vec![4];
    expected.extend((20..40).filter(|n| *n != 25 && *n != 27));
    assert_eq!(payload_numbers(&left), expected);
    assert_eq!(store.depth("a").unwrap().records, expected.len() as u64);
    let b = store
        .peek("b", DrainOrder::OldestFirst, 100, u64::MAX)
        .unwrap()
        .records;
    assert_eq!(b.len(), 30, "b's records inside a's acknowledged run stay");
    assert_eq!(store.depth("b").unwrap().records, 30);
}
