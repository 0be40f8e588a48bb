//! SKAB-format CSV files: `;`- or `,`-separated, a header, the model's feature columns and an
//! `anomaly` label column (0/1).

use std::path::{Path, PathBuf};

/// One labelled file.
#[derive(Debug)]
pub struct Labelled {
    /// Feature values per row, in the model's feature order.
    pub rows: Vec<Vec<f64>>,
    /// The `anomaly` label per row (all false in a file without that column).
    pub labels: Vec<bool>,
    /// Whether the file has an `anomaly` column (SKAB's anomaly-free file has none).
    pub labelled: bool,
}

/// Every `*.csv` in the subfolders of `root` (sorted), as in SKAB's `data/<experiment>/<n>.csv`.
pub fn files_in(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root)? {
        let dir = dir?.path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir)? {
            let file = file?.path();
            if file.extension().is_some_and(|e| e == "csv") {
                out.push(file);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads `path`; a file without an `anomaly` column (SKAB's anomaly-free file) reads as all
/// normal, with `labelled` false.
pub fn read(path: &Path, features: &[String]) -> Result<Labelled, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header = lines
        .next()
        .ok_or_else(|| format!("{}: empty", path.display()))?;
    let sep = if header.matches(';').count() >= header.matches(',').count() {
        ';'
    } else {
        ','
    };
    let names: Vec<&str> = header.split(sep).map(str::trim).collect();
    let column = |name: &str| names.iter().position(|n| *n == name);
    let label_col = column("anomaly");
    let cols = features
        .iter()
        .map(|f| column(f).ok_or_else(|| format!("{}: no column {f:?}", path.display())))
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(sep).collect();
        let number = |c: usize| -> Result<f64, String> {
            cells
                .get(c)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| {
                    format!(
                        "{}: row {}: column {c} is not a number",
                        path.display(),
                        i + 2
                    )
                })
        };
        rows.push(
            cols.iter()
                .map(|&c| number(c))
                .collect::<Result<Vec<_>, _>>()?,
        );
        labels.push(match label_col {
            Some(c) => number(c)? >= 0.5,
            None => false,
        });
    }
    Ok(Labelled {
        rows,
        labels,
        labelled: label_col.is_some(),
    })
}
