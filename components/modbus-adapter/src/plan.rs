//! Request merging: the fewest read requests that cover every point of a device.
//!
//! Points are grouped by (poll group, unit id, table); inside a group identical address ranges (two bits
//! of one register) share a span, spans are sorted by address, and a request grows greedily while
//! the next span fits. A request is valid when its range has at most the table's limit of
//! addresses, no run of unused addresses longer than `max_gap`, and does not cross a
//! `no_merge_across` boundary (an address `A` with `start < A < end`).
//!
//! The greedy is optimal: a request may be taken to cover consecutive spans (one that skipped a
//! span would read it anyway, with a longer gap), so a plan is a split of the sorted spans into
//! runs. Every sub-run of a valid run is valid (shorter range, no new gap, no new boundary), so
//! the run that grows as far as possible always leaves a suffix no longer than any other plan's:
//! greedy stays ahead and uses the fewest requests. `tests.rs` checks it against a brute force
//! over every partition of small random inputs.

use crate::point::{Point, PollGroup, Table};
use std::fmt;

/// The limits of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest run of unused addresses a request may read.
    pub max_gap: u16,
    /// Largest register count per request (≤ 125).
    pub max_registers: u16,
    /// Largest bit count per request (≤ 2000).
    pub max_bits: u16,
    /// Boundaries no request crosses.
    pub no_merge_across: Vec<u16>,
    /// Every point gets a request of its own.
    pub one_request_per_point: bool,
}

impl Limits {
    /// The address limit of one request on `table`.
    pub fn max_per_read(&self, table: Table) -> u32 {
        u32::from(if table.is_bits() {
            self.max_bits
        } else {
            self.max_registers
        })
    }

    /// Whether a request over `start..end` crosses a boundary.
    pub fn crosses_boundary(&self, start: u32, end: u32) -> bool {
        self.no_merge_across
            .iter()
            .any(|&a| start < u32::from(a) && u32::from(a) < end)
    }
}

/// The address range of one or more points of a (group, unit, table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Unit id (slave address).
    pub unit: u8,
    /// Table.
    pub table: Table,
    /// Poll group.
    pub group: PollGroup,
    /// First address.
    pub start: u32,
    /// One past the last address.
    pub end: u32,
}

/// One read request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Unit id (slave address) it goes to.
    pub unit: u8,
    /// Table (which function code).
    pub table: Table,
    /// Poll group.
    pub group: PollGroup,
    /// First address.
    pub start: u16,
    /// Number of registers or bits.
    pub count: u16,
    /// Indices of the covered items (points or spans) in the planner's input.
    pub items: Vec<usize>,
}

impl Request {
    /// One past the last address.
    pub fn end(&self) -> u32 {
        u32::from(self.start) + u32::from(self.count)
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = if self.table.is_bits() {
            "bits"
        } else {
            "registers"
        };
        write!(
            f,
            "unit {} {} {}..{} ({} {unit}, {} group, {} points)",
            self.unit,
            self.table.as_str(),
            self.start,
            self.end(),
            self.count,
            self.group.as_str(),
            self.items.len()
        )
    }
}

/// Plans the reads of `points`; each request's `items` are indices into `points`.
pub fn plan(points: &[Point], limits: &Limits) -> Vec<Request> {
    let spans: Vec<Span> = points
        .iter()
        .map(|p| Span {
            unit: p.unit_id,
            table: p.table,
            group: p.group,
            start: u32::from(p.address),
            end: p.end(),
        })
        .collect();
    plan_spans(&spans, limits)
}

/// Plans the reads of `spans` (each no longer than its table's limit and crossing no boundary);
/// each request's `items` are indices into `spans`. Requests come sorted by group, unit, table,
/// address.
pub fn plan_spans(spans: &[Span], limits: &Limits) -> Vec<Request> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| {
        let s = &spans[i];
        (s.group, s.unit, s.table, s.start, s.end)
    });
    let mut requests: Vec<Request> = Vec::new();
    let mut open: Option<(Request, u32)> = None;
    for i in order {
        let span = &spans[i];
        if let Some((req, end)) = open.as_mut() {
            let same_key =
                req.table == span.table && req.group == span.group && req.unit == span.unit;
            let new_end = (*end).max(span.end);
            let start = u32::from(req.start);
            let fits = same_key
                && !limits.one_request_per_point
                && span.start.saturating_sub(*end) <= u32::from(limits.max_gap)
                && new_end - start <= limits.max_per_read(span.table)
                && !limits.crosses_boundary(start, new_end);
            if fits {
                *end = new_end;
                req.items.push(i);
                continue;
            }
        }
        if let Some(done) = open.take() {
            requests.push(close(done));
        }
        let first = Request {
            unit: span.unit,
            table: span.table,
            group: span.group,
            start: u16::try_from(span.start).unwrap_or(u16::MAX),
            count: 0,
            items: vec![i],
        };
        open = Some((first, span.end));
    }
    if let Some(done) = open.take() {
        requests.push(close(done));
    }
    requests
}

/// The fewest requests for `spans` by dynamic programming over runs of the sorted spans (exact,
/// O(n²) per key); an independent check of [`plan_spans`] on inputs too big for brute force.
pub fn optimal_request_count(spans: &[Span], limits: &Limits) -> usize {
    let mut sorted: Vec<&Span> = spans.iter().collect();
    sorted.sort_by_key(|s| (s.group, s.unit, s.table, s.start, s.end));
    let n = sorted.len();
    // best[j]: fewest requests for the first j spans.
    let mut best = vec![usize::MAX; n + 1];
    best[0] = 0;
    for j in 1..=n {
        // Try every run sorted[i..j], growing it to the left while it stays valid.
        let last = sorted[j - 1];
        let mut end = last.end;
        for i in (0..j).rev() {
            let first = sorted[i];
            if first.table != last.table || first.group != last.group || first.unit != last.unit {
                break;
            }
            if limits.one_request_per_point && i + 1 < j {
                break;
            }
            if i + 1 < j
                && sorted[i + 1].start.saturating_sub(first.end) > u32::from(limits.max_gap)
            {
                break;
            }
            end = end.max(first.end);
            if end - first.start > limits.max_per_read(first.table)
                || limits.crosses_boundary(first.start, end)
            {
                break;
            }
            if best[i] != usize::MAX {
                best[j] = best[j].min(best[i] + 1);
            }
        }
    }
    best[n]
}

fn close((mut req, end): (Request, u32)) -> Request {
    req.count = u16::try_from(end - u32::from(req.start)).unwrap_or(u16::MAX);
    req
}

#[cfg(test)]
mod tests;
