//! Deleting acknowledged records with few statements. A drain acknowledges its batch, which is
//! mostly a run of consecutive sequence numbers: one range delete per run instead of one
//! statement per record. Only the export's own records are deleted (its totals are the ones
//! that change), and a range is used only where every number in it was acknowledged, so a
//! record of the export that was not acknowledged can never fall inside one.

use rusqlite::{Rows, Transaction, params_from_iter};

/// Runs shorter than this go into the `IN (…)` statements.
const MIN_RUN: usize = 4;
/// Numbers per `IN (…)` statement; a remainder is padded by repeating its last number.
const IN_CHUNK: usize = 32;

/// Deletes the export's records among `seqs` (in any order, repeats and unknown numbers
/// allowed). Returns (records, bytes) deleted.
pub(super) fn delete_acked(
    tx: &Transaction<'_>,
    export: i64,
    seqs: &[i64],
) -> rusqlite::Result<(u64, u64)> {
    let mut sorted = seqs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut deleted = (0u64, 0u64);
    let mut singles = Vec::new();
    let mut range = tx.prepare_cached(
        "DELETE FROM records WHERE export = ?1 AND seq BETWEEN ?2 AND ?3 RETURNING size",
    )?;
    for run in runs(&sorted) {
        if run.len() < MIN_RUN {
            singles.extend_from_slice(run);
            continue;
        }
        let (first, last) = (run[0], run[run.len() - 1]);
        count(
            range.query(rusqlite::params![export, first, last])?,
            &mut deleted,
        )?;
    }
    if singles.is_empty() {
        return Ok(deleted);
    }
    let placeholders = vec!["?"; IN_CHUNK].join(",");
    let mut listed = tx.prepare_cached(&format!(
        "DELETE FROM records WHERE export = ? AND seq IN ({placeholders}) RETURNING size"
    ))?;
    for chunk in singles.chunks(IN_CHUNK) {
        let pad = chunk[chunk.len() - 1];
        let values = std::iter::once(export)
            .chain(chunk.iter().copied())
            .chain(std::iter::repeat_n(pad, IN_CHUNK - chunk.len()));
        count(listed.query(params_from_iter(values))?, &mut deleted)?;
    }
    Ok(deleted)
}

/// Adds the rows a delete returned, and their `size`, to (records, bytes).
fn count(mut rows: Rows<'_>, deleted: &mut (u64, u64)) -> rusqlite::Result<()> {
    while let Some(row) = rows.next()? {
        deleted.0 += 1;
        deleted.1 += row.get::<_, i64>(0)?.max(0) as u64;
    }
    Ok(())
}

/// Splits sorted, distinct numbers into runs of consecutive ones.
fn runs(sorted: &[i64]) -> impl Iterator<Item = &[i64]> {
    sorted.chunk_by(|a, b| b - a == 1)
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn runs_split_where_a_number_is_missing() {
        let all: Vec<&[i64]> = runs(&[1, 2, 3, 5, 7, 8]).collect();
        assert_eq!(all, vec![&[1, 2, 3][..], &[5][..], &[7, 8][..]]);
    }
}
