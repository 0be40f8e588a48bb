//! Inserting accepted records several rows per statement. A statement's fixed cost (cursor
//! setup, and with `AUTOINCREMENT` a read and a write of `sqlite_sequence`) is then paid once
//! per chunk instead of once per record, which is most of an append's CPU for small records.

use super::record::NewRecord;
use rusqlite::Transaction;
use std::sync::LazyLock;

/// Rows per multi-row statement (6 parameters each, far below SQLite's limit).
const CHUNK: usize = 64;
/// The shorter statement used for a remainder; the rest go one row per statement.
const SMALL_CHUNK: usize = 8;

/// A record accepted for insertion, waiting for its statement.
pub(super) struct Row<'a> {
    pub(super) export: i64,
    pub(super) record: &'a NewRecord,
    pub(super) size: u64,
    pub(super) crc: u32,
}

/// The statements for `CHUNK`, `SMALL_CHUNK` and one row, built once instead of per chunk.
static INSERT_SQL: LazyLock<[String; 3]> =
    LazyLock::new(|| [insert_sql(CHUNK), insert_sql(SMALL_CHUNK), insert_sql(1)]);

fn insert_sql(rows: usize) -> String {
    let mut sql =
        String::from("INSERT INTO records (export, created_ms, topic, payload, size, crc) VALUES ");
    for i in 0..rows {
        sql.push_str(if i == 0 {
            "(?,?,?,?,?,?)"
        } else {
            ",(?,?,?,?,?,?)"
        });
    }
    sql
}

/// Inserts `rows` in order and returns the sequence number of each. Within one statement the
/// rows get consecutive rowids (one writer, inside its own transaction, no triggers), so the
/// numbers follow from the last one inserted.
pub(super) fn insert_rows(tx: &Transaction<'_>, rows: &[Row<'_>]) -> rusqlite::Result<Vec<i64>> {
    let mut seqs = Vec::with_capacity(rows.len());
    let mut rest = rows;
    while !rest.is_empty() {
        let (n, sql) = if rest.len() >= CHUNK {
            (CHUNK, &INSERT_SQL[0])
        } else if rest.len() >= SMALL_CHUNK {
            (SMALL_CHUNK, &INSERT_SQL[1])
        } else {
            (1, &INSERT_SQL[2])
        };
        let (chunk, tail) = rest.split_at(n);
        let mut stmt = tx.prepare_cached(sql)?;
        for (i, row) in chunk.iter().enumerate() {
            let at = i * 6;
            stmt.raw_bind_parameter(at + 1, row.export)?;
            stmt.raw_bind_parameter(at + 2, row.record.created_ms)?;
            stmt.raw_bind_parameter(at + 3, row.record.topic.as_str())?;
            stmt.raw_bind_parameter(at + 4, row.record.payload.as_slice())?;
            stmt.raw_bind_parameter(at + 5, row.size as i64)?;
            stmt.raw_bind_parameter(at + 6, row.crc)?;
        }
        let inserted = stmt.raw_execute()?;
        if inserted != n {
            return Err(rusqlite::Error::StatementChangedRows(inserted));
        }
        let last = tx.last_insert_rowid();
        seqs.extend((last + 1 - n as i64)..=last);
        rest = tail;
    }
    Ok(seqs)
}
