//! Opening the queue file: pragmas for power-safe commits (reference/queue-store-benchmark.md:
//! WAL + synchronous=FULL, a small page cache, no mmap, small WAL) and the schema.

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;

/// Pragmas set on every open. `synchronous=FULL` makes a commit durable once it returns.
/// `cache_size = -512` (512 KiB instead of SQLite's 2 MB default): appends touch only the
/// right edge of the table and index b-trees and drains the left edge, a few pages each, so a
/// larger cache holds pages that are never read again and only adds to the process's RSS.
/// `mmap_size = 0`: mapped database pages would count in RSS as the backlog grows.
const PRAGMAS: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    PRAGMA cache_size = -512;
    PRAGMA mmap_size = 0;
    PRAGMA journal_size_limit = 4194304;
    PRAGMA foreign_keys = OFF;
";

/// Tables. `AUTOINCREMENT` so a sequence number is never reused after the queue empties:
/// the cloud side de-duplicates on it.
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS exports (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        export INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        size INTEGER NOT NULL,
        crc INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS records_by_export ON records (export, seq);
    CREATE TABLE IF NOT EXISTS quarantine (
        seq INTEGER NOT NULL,
        export INTEGER NOT NULL,
        created_ms INTEGER,
        topic TEXT,
        payload BLOB,
        reason TEXT NOT NULL,
        quarantined_ms INTEGER NOT NULL
    );
";

/// Per-export record and byte counts, so opening the queue reads them instead of scanning the
/// backlog. The writer adds each transaction's changes (one row per export, see `totals.rs`) in
/// the same transaction as the inserts and deletes, so counts and rows commit together.
///
/// Earlier versions kept a table named `totals` with per-row triggers. Its presence means such
/// a version wrote to this file (first upgrade, or a rollback then upgrade again), so the
/// counts are rebuilt by one scan and the old table and triggers are dropped: they would
/// count every row twice, and an older version opening the file later creates them afresh.
const REBUILD_TOTALS: &str = "
    BEGIN IMMEDIATE;
    DROP TRIGGER IF EXISTS totals_on_insert;
    DROP TRIGGER IF EXISTS totals_on_delete;
    DROP TABLE IF EXISTS totals;
    CREATE TABLE IF NOT EXISTS queue_totals (
        export INTEGER PRIMARY KEY,
        records INTEGER NOT NULL,
        bytes INTEGER NOT NULL
    );
    DELETE FROM queue_totals;
    INSERT INTO queue_totals (export, records, bytes)
        SELECT export, count(*), sum(size) FROM records GROUP BY export;
    COMMIT;
";

/// Opens (creating if needed) the queue database at `path` and applies pragmas and schema.
pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // auto_vacuum only takes effect before the first table exists.
    conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")?;
    conn.execute_batch(PRAGMAS)?;
    conn.execute_batch(SCHEMA)?;
    let has = |name: &str| {
        conn.query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
    };
    if has("totals")? || !has("queue_totals")? {
        conn.execute_batch(REBUILD_TOTALS)?;
    }
    Ok(conn)
}

/// Whether an error means the file is damaged (as opposed to busy, full or read-only).
pub(crate) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// Whether an error means the disk (or the configured page limit) is full.
pub(crate) fn is_disk_full(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DiskFull))
}
