//! The durable queue: one SQLite file, one connection owned by one thread (see `worker`), one
//! transaction (one fsync) per batch of appends or acks. A record leaves only when its export
//! acknowledged it ([`Store::ack`]), when it expired, or when the full policy overwrote it.

mod ack;
mod insert;
mod policy;
mod record;
mod schema;
mod totals;
mod worker;

#[cfg(test)]
mod tests;

pub use policy::{DrainOrder, FullPolicy, QueuePolicy};
pub use record::{NewRecord, StoredRecord, checksum, record_size};
pub use worker::{PendingAppend, StoreHandle, spawn};

use totals::{Totals, TotalsDelta};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Why an operation on the queue failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file system (or the configured page limit) is full.
    #[error("queue disk full: {0}")]
    DiskFull(String),
    /// The database file is damaged.
    #[error("queue file corrupt: {0}")]
    Corrupt(String),
    /// Any other SQLite or I/O error.
    #[error("queue error: {0}")]
    Other(String),
    /// The store's thread is gone.
    #[error("queue stopped")]
    Stopped,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if schema::is_disk_full(&e) {
            Self::DiskFull(e.to_string())
        } else if schema::is_corruption(&e) {
            Self::Corrupt(e.to_string())
        } else {
            Self::Other(e.to_string())
        }
    }
}

/// What became of one appended record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored durably under this sequence number.
    Stored(i64),
    /// Refused: the export's queue is full and its policy is `RejectNewData`.
    QueueFull,
    /// Refused: the record alone is larger than the export's byte cap.
    TooLarge,
    /// Refused: the disk is full (and nothing could be overwritten).
    DiskFull,
    /// Refused: no export of that name is configured.
    UnknownExport,
}

/// The result of one append call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendReport {
    /// One entry per input record, in order.
    pub results: Vec<Appended>,
    /// Records deleted to make room (`OverwriteOldestData`), per export.
    pub overwritten: HashMap<String, u64>,
}

/// Records handed out for sending, plus damaged ones moved aside on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peeked {
    /// Intact records, in drain order.
    pub records: Vec<StoredRecord>,
    /// Records whose checksum failed: moved to the quarantine table.
    pub quarantined: u64,
}

/// Level of one export's queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depth {
    /// Records held.
    pub records: u64,
    /// Bytes held (topic + payload).
    pub bytes: u64,
    /// Creation time of the oldest record, epoch ms.
    pub oldest_created_ms: Option<i64>,
}

/// What opening the store found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Set when the old file could not be opened: where it was moved.
    pub moved_corrupt_file: Option<PathBuf>,
    /// Records found waiting.
    pub backlog_records: u64,
}

#[derive(Debug)]
struct ExportState {
    id: i64,
    policy: QueuePolicy,
    totals: Totals,
}

/// Space kept free next to the queue file: on a full disk even a delete needs room (for the
/// WAL), so acknowledged records could otherwise never leave and the queue would be stuck.
const BALLAST_BYTES: usize = 1024 * 1024;
/// Records per transaction when deleting on a full disk (each needs WAL room).
const FULL_DISK_ACK_CHUNK: usize = 100;

/// The queue (synchronous; owned by one thread).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    store_id: String,
    exports: HashMap<String, ExportState>,
    ballast_in_place: bool,
}

impl Store {
    /// Opens the queue at `path` with one policy per export. A file SQLite reports as damaged
    /// is moved aside (`<name>.corrupt-<ms>`) and a fresh queue is created: the component
    /// keeps running rather than crash-looping on it.
    pub fn open(
        path: &Path,
        exports: &[(String, QueuePolicy)],
        now_ms: i64,
    ) -> Result<(Self, OpenReport), StoreError> {
        match Self::open_once(path, exports, now_ms) {
            // Opening writes (WAL, export table): on a full disk, the ballast makes room.
            Err(StoreError::DiskFull(_)) => {
                let _gone = std::fs::remove_file(ballast_path(path));
                Self::open_once(path, exports, now_ms)
            }
            other => other,
        }
    }

    fn open_once(
        path: &Path,
        exports: &[(String, QueuePolicy)],
        now_ms: i64,
    ) -> Result<(Self, OpenReport), StoreError> {
        let mut report = OpenReport::default();
        let conn = match Self::open_checked(path) {
            Ok(conn) => conn,
            Err(e) if schema::is_corruption(&e) => {
                let aside = path.with_extension(format!("corrupt-{now_ms}"));
                std::fs::rename(path, &aside).map_err(|e| StoreError::Other(e.to_string()))?;
                for side in ["-wal", "-shm"] {
                    let mut p = path.as_os_str().to_owned();
                    p.push(side);
                    let _ignored = std::fs::remove_file(PathBuf::from(p));
                }
                report.moved_corrupt_file = Some(aside);
                Self::open_checked(path)?
            }
            Err(e) => return Err(e.into()),
        };
        let store_id = store_id(&conn, now_ms)?;
        let mut store = Self {
            conn,
            path: path.to_owned(),
            store_id,
            exports: HashMap::new(),
            ballast_in_place: false,
        };
        store.configure(exports)?;
        store.restore_ballast();
        report.backlog_records = store.exports.values().map(|e| e.totals.records).sum();
        Ok((store, report))
    }

    fn open_checked(path: &Path) -> rusqlite::Result<Connection> {
        let conn = schema::open(path)?;
        // Touch the schema and the index so a damaged header or root page shows up now.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        conn.query_row(
            "SELECT seq FROM records ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get::<_, i64>(0),
        )
        .optional()?;
        Ok(conn)
    }

    /// Sets the exports and their policies (on open and on a configuration change). Records of
    /// exports no longer configured stay on disk, untouched, until the export comes back.
    pub fn configure(&mut self, exports: &[(String, QueuePolicy)]) -> Result<(), StoreError> {
        let mut next = HashMap::new();
        for (name, policy) in exports {
            self.conn.execute(
                "INSERT OR IGNORE INTO exports (name) VALUES (?1)",
                params![name],
            )?;
            let id: i64 = self.conn.query_row(
                "SELECT id FROM exports WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )?;
            let (records, bytes): (i64, i64) = self
                .conn
                .query_row(
                    "SELECT records, bytes FROM queue_totals WHERE export = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((0, 0));
            next.insert(
                name.clone(),
                ExportState {
                    id,
                    policy: policy.clone(),
                    totals: Totals {
                        records: records as u64,
                        bytes: bytes as u64,
                    },
                },
            );
        }
        self.exports = next;
        Ok(())
    }

    /// A random id made when the file was created; with a sequence number it names a record
    /// uniquely even across a store that was moved aside and recreated.
    pub fn store_id(&self) -> &str {
        &self.store_id
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `records` in one transaction (one fsync). Caps and full policies are applied
    /// record by record; on a full disk, exports with `OverwriteOldestData` give up their
    /// oldest records and the batch is tried once more.
    pub fn append(&mut self, records: &[NewRecord]) -> Result<AppendReport, StoreError> {
        match self.append_once(records) {
            Err(StoreError::DiskFull(_)) => {}
            other => return other,
        }
        // The WAL may be what filled the disk: fold it into the database and truncate it.
        let _busy_or_full = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        let freed = match self.free_for_disk_full(records) {
            Ok(freed) => freed,
            // Deleting needs WAL room too: give up the ballast and try once more.
            Err(StoreError::DiskFull(_)) if self.ballast_in_place => {
                self.release_ballast();
                match self.free_for_disk_full(records) {
                    Ok(freed) => freed,
                    Err(StoreError::DiskFull(_)) => HashMap::new(),
                    Err(e) => return Err(e),
                }
            }
            Err(StoreError::DiskFull(_)) => HashMap::new(),
            Err(e) => return Err(e),
        };
        match self.append_once(records) {
            Ok(mut report) => {
                if !self.ballast_in_place {
                    // Hand free pages back to the file system, then take the ballast again.
                    let _full = self.conn.execute_batch("PRAGMA incremental_vacuum(512);");
                    self.restore_ballast();
                }
                for (export, n) in freed {
                    *report.overwritten.entry(export).or_default() += n;
                }
                Ok(report)
            }
            Err(StoreError::DiskFull(_)) => Ok(AppendReport {
                results: records
                    .iter()
                    .map(|r| {
                        if self.exports.contains_key(&r.export) {
                            Appended::DiskFull
                        } else {
                            Appended::UnknownExport
                        }
                    })
                    .collect(),
                overwritten: freed,
            }),
            Err(e) => Err(e),
        }
    }

    fn append_once(&mut self, records: &[NewRecord]) -> Result<AppendReport, StoreError> {
        self.in_tx(|tx, exports, delta| {
            let mut report = AppendReport::default();
            // Accepted rows wait here and go in multi-row statements; they are flushed before an
            // overwrite deletes old records, so the deletes see every row counted in the totals.
            let mut rows: Vec<insert::Row<'_>> = Vec::with_capacity(records.len());
            let mut row_results: Vec<usize> = Vec::with_capacity(records.len());
            for record in records {
                let Some(export) = exports.get(&record.export) else {
                    report.results.push(Appended::UnknownExport);
                    continue;
                };
                let policy = &export.policy;
                let size = record_size(&record.topic, &record.payload);
                if size > policy.max_bytes {
                    report.results.push(Appended::TooLarge);
                    continue;
                }
                // The export's total so far in this transaction.
                let t = delta.applied_to(export.id, export.totals);
                if t.bytes + size > policy.max_bytes || t.records + 1 > policy.max_records {
                    match policy.on_full {
                        FullPolicy::RejectNewData => {
                            report.results.push(Appended::QueueFull);
                            continue;
                        }
                        FullPolicy::OverwriteOldestData => {
                            flush_rows(tx, &mut rows, &mut row_results, &mut report)?;
                            let need_bytes = (t.bytes + size).saturating_sub(policy.max_bytes);
                            let need_records = (t.records + 1).saturating_sub(policy.max_records);
                            let (n, bytes) =
                                delete_oldest(tx, export.id, need_bytes, need_records)?;
                            delta.removed(export.id, n, bytes);
                            *report.overwritten.entry(record.export.clone()).or_default() += n;
                        }
                    }
                }
                let crc = checksum(record.created_ms, &record.topic, &record.payload);
                rows.push(insert::Row {
                    export: export.id,
                    record,
                    size,
                    crc,
                });
                row_results.push(report.results.len());
                // Filled in by the flush.
                report.results.push(Appended::Stored(0));
                delta.added(export.id, 1, size);
            }
            flush_rows(tx, &mut rows, &mut row_results, &mut report)?;
            Ok(report)
        })
    }

    /// Makes room after a full disk: each export with `OverwriteOldestData` in the batch drops
    /// its oldest records, at least as many bytes as the batch brings for it.
    fn free_for_disk_full(
        &mut self,
        records: &[NewRecord],
    ) -> Result<HashMap<String, u64>, StoreError> {
        let mut wanted: HashMap<&str, u64> = HashMap::new();
        for r in records {
            *wanted.entry(r.export.as_str()).or_default() += record_size(&r.topic, &r.payload);
        }
        // Totals in memory change only once the deletes are durable.
        self.in_tx(|tx, exports, delta| {
            let mut freed = HashMap::new();
            for (name, bytes) in wanted {
                let Some(e) = exports.get(name) else {
                    continue;
                };
                if e.policy.on_full != FullPolicy::OverwriteOldestData {
                    continue;
                }
                // Twice the batch: SQLite needs free pages for the new rows and for its journal.
                let (n, b) = delete_oldest(tx, e.id, bytes.saturating_mul(2), 0)?;
                delta.removed(e.id, n, b);
                freed.insert(name.to_owned(), n);
            }
            Ok(freed)
        })
    }

    /// Up to `max_records` records (and at most `max_bytes`, but at least one record) of
    /// `export` in drain order. Records whose checksum fails are moved to quarantine, never sent.
    pub fn peek(
        &mut self,
        export: &str,
        order: DrainOrder,
        max_records: usize,
        max_bytes: u64,
    ) -> Result<Peeked, StoreError> {
        let Some(e) = self.exports.get(export) else {
            return Ok(Peeked::default());
        };
        let id = e.id;
        let sql = match order {
            DrainOrder::OldestFirst => {
                "SELECT seq, created_ms, topic, payload, crc FROM records
                 WHERE export = ?1 ORDER BY seq ASC LIMIT ?2"
            }
            DrainOrder::NewestFirst => {
                "SELECT seq, created_ms, topic, payload, crc FROM records
                 WHERE export = ?1 ORDER BY seq DESC LIMIT ?2"
            }
        };
        let mut out = Peeked::default();
        let mut bad = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let mut rows = stmt.query(params![id, max_records as i64])?;
            let mut bytes = 0u64;
            while let Some(row) = rows.next()? {
                let seq: i64 = row.get(0)?;
                // A damaged row may not even have the right types: that is corruption too.
                let fields = (|| -> rusqlite::Result<(i64, String, Vec<u8>, u32)> {
                    Ok((row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
                })();
                let Ok((created_ms, topic, payload, crc)) = fields else {
                    bad.push((seq, "unreadable row".to_owned()));
                    continue;
                };
                if checksum(created_ms, &topic, &payload) != crc {
                    bad.push((seq, "checksum mismatch".to_owned()));
                    continue;
                }
                let record = StoredRecord {
                    seq,
                    topic,
                    payload,
                    created_ms,
                };
                bytes += record.size();
                if !out.records.is_empty() && bytes > max_bytes {
                    break;
                }
                out.records.push(record);
            }
        }
        if !bad.is_empty() {
            out.quarantined = self.quarantine(&bad)?;
        }
        Ok(out)
    }

    fn quarantine(&mut self, bad: &[(i64, String)]) -> Result<u64, StoreError> {
        let now = edge_model::time::now_ms() as i64;
        self.in_tx(|tx, _, delta| {
            let mut moved = 0;
            let mut copy = tx.prepare_cached(QUARANTINE_ONE)?;
            let mut delete = tx.prepare_cached(DELETE_ONE)?;
            for (seq, reason) in bad {
                copy.execute(params![seq, reason, now])?;
                if let Some((id, size)) = delete.query_row(params![seq], id_and_size).optional()? {
                    delta.removed(id, 1, size);
                    moved += 1;
                }
            }
            Ok(moved)
        })
    }

    /// Deletes the records the export acknowledged (one transaction). Sequence numbers that
    /// are already gone (overwritten, expired) or belong to another export are ignored.
    /// Returns how many were deleted. On a full disk the ballast file is given up to make room
    /// for the delete.
    pub fn ack(&mut self, export: &str, seqs: &[i64]) -> Result<u64, StoreError> {
        // An export no longer configured keeps its id in the exports table.
        let id = match self.exports.get(export) {
            Some(e) => e.id,
            None => {
                let id = self
                    .conn
                    .query_row(
                        "SELECT id FROM exports WHERE name = ?1",
                        params![export],
                        |r| r.get::<_, i64>(0),
                    )
                    .optional()?;
                let Some(id) = id else { return Ok(0) };
                id
            }
        };
        match self.ack_once(id, seqs) {
            Err(StoreError::DiskFull(_)) if self.ballast_in_place => {
                self.release_ballast();
                let mut n = 0;
                for chunk in seqs.chunks(FULL_DISK_ACK_CHUNK) {
                    n += self.ack_once(id, chunk)?;
                    let _busy = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
                }
                Ok(n)
            }
            Ok(n) => {
                if !self.ballast_in_place {
                    self.restore_ballast();
                }
                Ok(n)
            }
            other => other,
        }
    }

    fn ballast_path(&self) -> PathBuf {
        ballast_path(&self.path)
    }

    fn release_ballast(&mut self) {
        let _gone = std::fs::remove_file(self.ballast_path());
        self.ballast_in_place = false;
        let _busy_or_full = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
    }

    /// Puts the ballast back when there is room (a partial file is removed again).
    fn restore_ballast(&mut self) {
        let path = self.ballast_path();
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == BALLAST_BYTES as u64) {
            self.ballast_in_place = true;
            return;
        }
        let written = std::fs::File::create(&path).and_then(|mut f| {
            std::io::Write::write_all(&mut f, &vec![0u8; BALLAST_BYTES])?;
            f.sync_all()
        });
        self.ballast_in_place = written.is_ok();
        if written.is_err() {
            let _gone = std::fs::remove_file(&path);
        }
    }

    fn ack_once(&mut self, export: i64, seqs: &[i64]) -> Result<u64, StoreError> {
        self.in_tx(|tx, _, delta| {
            let (deleted, bytes) = ack::delete_acked(tx, export, seqs)?;
            delta.removed(export, deleted, bytes);
            Ok(deleted)
        })
    }

    /// Deletes records older than their export's TTL; returns the count per export.
    pub fn expire(&mut self, now_ms: i64) -> Result<Vec<(String, u64)>, StoreError> {
        let mut out = Vec::new();
        let due: Vec<(String, i64, i64)> = self
            .exports
            .iter()
            .filter_map(|(name, e)| {
                let ttl = e.policy.ttl?;
                Some((name.clone(), e.id, now_ms - ttl.as_millis() as i64))
            })
            .collect();
        for (name, id, cutoff) in due {
            let removed = self.in_tx(|tx, _, delta| {
                let mut stmt = tx.prepare_cached(
                    "DELETE FROM records WHERE export = ?1 AND created_ms < ?2 RETURNING size",
                )?;
                let sizes = stmt
                    .query_map(params![id, cutoff], |r| r.get::<_, i64>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let bytes = sizes.iter().map(|s| (*s).max(0) as u64).sum();
                let removed = (sizes.len() as u64, bytes);
                delta.removed(id, removed.0, removed.1);
                Ok(removed)
            })?;
            if removed.0 > 0 {
                out.push((name, removed.0));
            }
        }
        Ok(out)
    }

    /// The level of one export's queue.
    pub fn depth(&mut self, export: &str) -> Result<Depth, StoreError> {
        let Some(e) = self.exports.get(export) else {
            return Ok(Depth::default());
        };
        let oldest = self
            .conn
            .prepare_cached(
                "SELECT created_ms FROM records WHERE export = ?1 ORDER BY seq ASC LIMIT 1",
            )?
            .query_row(params![e.id], |r| r.get::<_, i64>(0))
            .optional()?;
        Ok(Depth {
            records: e.totals.records,
            bytes: e.totals.bytes,
            oldest_created_ms: oldest,
        })
    }

    /// Records moved to quarantine so far.
    pub fn quarantined_total(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM quarantine", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    /// Returns free pages to the file system once the queue is empty (the file otherwise stays
    /// at the backlog's high-water mark).
    pub fn vacuum_if_empty(&mut self) -> Result<bool, StoreError> {
        if self.exports.values().any(|e| e.totals.records > 0) {
            return Ok(false);
        }
        self.conn.execute_batch("PRAGMA incremental_vacuum;")?;
        Ok(true)
    }

    /// Limits the file to `pages` pages (tests simulate a full disk with it).
    pub fn set_max_page_count(&mut self, pages: u64) -> Result<(), StoreError> {
        self.conn
            .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
        Ok(())
    }

    /// Runs `body` in an immediate transaction, writes the totals changes it noted in the same
    /// transaction and applies them in memory only after the commit.
    fn in_tx<T>(
        &mut self,
        body: impl FnOnce(
            &rusqlite::Transaction<'_>,
            &HashMap<String, ExportState>,
            &mut TotalsDelta,
        ) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut delta = TotalsDelta::default();
        let out = body(&tx, &self.exports, &mut delta)?;
        delta.write(&tx)?;
        tx.commit()?;
        self.apply(&delta);
        Ok(out)
    }

    /// Applies a committed transaction's changes (rows added and deleted) to the totals in
    /// memory.
    fn apply(&mut self, delta: &TotalsDelta) {
        for e in self.exports.values_mut() {
            e.totals = delta.applied_to(e.id, e.totals);
        }
    }
}

/// Inserts the waiting rows and records their sequence numbers in the report.
fn flush_rows(
    tx: &rusqlite::Transaction<'_>,
    rows: &mut Vec<insert::Row<'_>>,
    row_results: &mut Vec<usize>,
    report: &mut AppendReport,
) -> rusqlite::Result<()> {
    let seqs = insert::insert_rows(tx, rows)?;
    for (at, seq) in row_results.drain(..).zip(seqs) {
        report.results[at] = Appended::Stored(seq);
    }
    rows.clear();
    Ok(())
}

/// Deletes one record by sequence number, returning its export and size (the totals of the
/// export it belonged to change).
const DELETE_ONE: &str = "DELETE FROM records WHERE seq = ?1 RETURNING export, size";

/// Copies one record into quarantine with its reason (`?2`) and time (`?3`).
const QUARANTINE_ONE: &str = "INSERT INTO quarantine \
     (seq, export, created_ms, topic, payload, reason, quarantined_ms) \
     SELECT seq, export, created_ms, topic, payload, ?2, ?3 FROM records WHERE seq = ?1";

fn id_and_size(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, u64)> {
    Ok((row.get(0)?, row.get::<_, i64>(1)?.max(0) as u64))
}

/// Deletes the oldest records of export `id` until at least `bytes` bytes and `records`
/// records are gone (or the export is empty). Returns (records, bytes) deleted.
fn delete_oldest(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    bytes: u64,
    records: u64,
) -> rusqlite::Result<(u64, u64)> {
    let mut pick = tx.prepare_cached(
        "SELECT seq, size FROM records WHERE export = ?1 ORDER BY seq ASC LIMIT 256",
    )?;
    let mut delete = tx.prepare_cached("DELETE FROM records WHERE export = ?1 AND seq <= ?2")?;
    let (mut n, mut b) = (0u64, 0u64);
    while b < bytes || n < records {
        let rows = pick
            .query_map(params![id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if rows.is_empty() {
            break;
        }
        let mut last = None;
        for (seq, size) in rows {
            last = Some(seq);
            n += 1;
            b += size.max(0) as u64;
            if b >= bytes && n >= records {
                break;
            }
        }
        if let Some(last) = last {
            delete.execute(params![id, last])?;
        }
    }
    Ok((n, b))
}

/// `<queue file>.ballast`.
fn ballast_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".ballast");
    PathBuf::from(p)
}

/// Reads the store id, creating it on first open.
fn store_id(conn: &Connection, now_ms: i64) -> Result<String, StoreError> {
    let existing: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'store_id'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = format!("{:08x}{:08x}", now_ms as u32, fastrand::u32(..));
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('store_id', ?1)",
        params![id],
    )?;
    Ok(id)
}
