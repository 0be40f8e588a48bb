//! Stored per-export totals: one transaction's changes are summed per export in memory and
//! written as one upsert per export just before its commit, instead of a trigger per row.

use rusqlite::{Connection, params};

/// Records and bytes held by one export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Totals {
    pub(super) records: u64,
    pub(super) bytes: u64,
}

/// Changes to the stored totals made by one transaction, keyed by export id. Few exports per
/// transaction, so a small vector beats a map.
#[derive(Debug, Default)]
pub(super) struct TotalsDelta(Vec<(i64, i64, i64)>);

impl TotalsDelta {
    fn entry(&mut self, export: i64) -> &mut (i64, i64, i64) {
        let at = match self.0.iter().position(|e| e.0 == export) {
            Some(at) => at,
            None => {
                self.0.push((export, 0, 0));
                self.0.len() - 1
            }
        };
        &mut self.0[at]
    }

    pub(super) fn added(&mut self, export: i64, records: u64, bytes: u64) {
        let e = self.entry(export);
        e.1 += records as i64;
        e.2 += bytes as i64;
    }

    pub(super) fn removed(&mut self, export: i64, records: u64, bytes: u64) {
        let e = self.entry(export);
        e.1 -= records as i64;
        e.2 -= bytes as i64;
    }

    /// The signed change of `export`: (records, bytes).
    pub(super) fn of(&self, export: i64) -> (i64, i64) {
        self.0
            .iter()
            .find(|e| e.0 == export)
            .map_or((0, 0), |e| (e.1, e.2))
    }

    /// `totals` of `export` with this transaction's changes added.
    pub(super) fn applied_to(&self, export: i64, totals: Totals) -> Totals {
        let (records, bytes) = self.of(export);
        Totals {
            records: totals.records.saturating_add_signed(records),
            bytes: totals.bytes.saturating_add_signed(bytes),
        }
    }

    /// Writes the changes; call inside the transaction that made them, before its commit.
    pub(super) fn write(&self, conn: &Connection) -> rusqlite::Result<()> {
        let mut upsert = conn.prepare_cached(
            "INSERT INTO queue_totals (export, records, bytes) VALUES (?1, ?2, ?3)
             ON CONFLICT (export) DO UPDATE SET
                 records = records + excluded.records, bytes = bytes + excluded.bytes",
        )?;
        for &(export, records, bytes) in &self.0 {
            if records != 0 || bytes != 0 {
                upsert.execute(params![export, records, bytes])?;
            }
        }
        Ok(())
    }
}
