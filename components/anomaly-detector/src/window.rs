//! Fixed-rate multivariate windows from irregular, possibly late or out-of-order readings.
//!
//! Time is cut into slots of `step_ms`. A slot's value for a point is the point's latest reading
//! (by timestamp) inside the slot. A slot closes once a reading at least `max_lateness_ms` past
//! its end has arrived; readings for closed slots are dropped and counted, readings for open slots
//! are placed in order whatever order they arrive in. An empty cell is forward-filled from the
//! point's last value when that value is at most `ffill_limit` slots old; otherwise it is missing.
//! Every `hop` closed slots, the last `window` slots make a window: complete windows are scored,
//! windows with missing cells are reported as incomplete (never silently scored or dropped).

use std::collections::{BTreeMap, VecDeque};

/// How the assembler resamples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    /// Slot length, milliseconds.
    pub step_ms: i64,
    /// Slots per window.
    pub window: usize,
    /// A window is emitted every `hop` closed slots.
    pub hop: usize,
    /// Oldest value (in slots) that may fill an empty cell; 0 disables forward fill.
    pub ffill_limit: usize,
    /// How long a slot stays open for late readings after its end, milliseconds.
    pub max_lateness_ms: i64,
}

/// A complete window, ready to score.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Start of the first slot, epoch milliseconds.
    pub start_ms: i64,
    /// End of the last slot (exclusive), epoch milliseconds.
    pub end_ms: i64,
    /// Row-major [window, points] values.
    pub values: Vec<f32>,
    /// Cells filled forward rather than read.
    pub filled_cells: usize,
}

/// What closing slots produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Emitted {
    /// A window to score.
    Complete(Window),
    /// A window that could not be scored: `missing` gives, per point index, the cells that had
    /// no value and none recent enough to fill them.
    Incomplete {
        /// Start of the first slot.
        start_ms: i64,
        /// End of the last slot.
        end_ms: i64,
        /// (point index, missing cells), only points with at least one.
        missing: Vec<(usize, usize)>,
    },
}

/// Why a reading was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its slot had already closed.
    Late,
    /// The point is not one of the window's.
    UnknownPoint,
    /// Not a finite number.
    NotANumber,
}

#[derive(Debug, Clone)]
struct Cell {
    value: f32,
    filled: bool,
}

/// The assembler for one device.
#[derive(Debug)]
pub struct Assembler {
    spec: WindowSpec,
    points: usize,
    /// Open slots by slot number: per point, the latest (timestamp, value).
    open: BTreeMap<i64, Vec<Option<(i64, f32)>>>,
    /// Closed slots, oldest first, at most `window`.
    closed: VecDeque<Vec<Option<Cell>>>,
    /// Slot number of the newest closed slot.
    last_closed: Option<i64>,
    /// Per point, the last real value and its slot.
    last_value: Vec<Option<(i64, f32)>>,
    /// Newest timestamp seen.
    watermark: Option<i64>,
    since_emit: usize,
}

impl Assembler {
    /// An assembler for `points` points.
    pub fn new(spec: WindowSpec, points: usize) -> Self {
        Self {
            spec,
            points,
            open: BTreeMap::new(),
            closed: VecDeque::new(),
            last_closed: None,
            last_value: vec![None; points],
            watermark: None,
            since_emit: 0,
        }
    }

    /// Adds one reading of point `index` at `time_ms`, then closes every slot that is due.
    pub fn push(
        &mut self,
        index: usize,
        time_ms: i64,
        value: f64,
        out: &mut Vec<Emitted>,
    ) -> Result<(), Refused> {
        if index >= self.points {
            return Err(Refused::UnknownPoint);
        }
        if !value.is_finite() {
            return Err(Refused::NotANumber);
        }
        let slot = time_ms.div_euclid(self.spec.step_ms);
        if self.last_closed.is_some_and(|c| slot <= c) {
            return Err(Refused::Late);
        }
        let cells = self
            .open
            .entry(slot)
            .or_insert_with(|| vec![None; self.points]);
        if cells[index].is_none_or(|(t, _)| t <= time_ms) {
            cells[index] = Some((time_ms, value as f32));
        }
        self.watermark = Some(self.watermark.map_or(time_ms, |w| w.max(time_ms)));
        self.close_due(out);
        Ok(())
    }

    /// Closes the slots whose lateness allowance has passed.
    fn close_due(&mut self, out: &mut Vec<Emitted>) {
        let Some(mark) = self.watermark else { return };
        // Slot s closes when mark >= (s + 1) * step + lateness.
        let closable = (mark - self.spec.max_lateness_ms).div_euclid(self.spec.step_ms) - 1;
        let Some(&first_open) = self.open.keys().next() else {
            return;
        };
        let mut next = self.last_closed.map_or(first_open, |c| c + 1);
        // A long silence: slots more than a whole window plus the fill limit before the next
        // data are all missing, so start over just before that data.
        let horizon = (self.spec.window + self.spec.ffill_limit) as i64;
        while next <= closable {
            if let Some(&ahead) = self.open.keys().next()
                && ahead - next > horizon
            {
                self.closed.clear();
                self.since_emit = 0;
                next = ahead - horizon;
                continue;
            }
            let cells = self
                .open
                .remove(&next)
                .unwrap_or_else(|| vec![None; self.points]);
            self.close_slot(next, cells, out);
            next += 1;
        }
    }

    fn close_slot(&mut self, slot: i64, cells: Vec<Option<(i64, f32)>>, out: &mut Vec<Emitted>) {
        let row = cells
            .into_iter()
            .enumerate()
            .map(|(i, cell)| match cell {
                Some((_, v)) => {
                    self.last_value[i] = Some((slot, v));
                    Some(Cell {
                        value: v,
                        filled: false,
                    })
                }
                None => self.last_value[i]
                    .filter(|&(s, _)| slot - s <= self.spec.ffill_limit as i64)
                    .map(|(_, v)| Cell {
                        value: v,
                        filled: true,
                    }),
            })
            .collect();
        self.closed.push_back(row);
        if self.closed.len() > self.spec.window {
            self.closed.pop_front();
        }
        self.last_closed = Some(slot);
        self.since_emit += 1;
        if self.closed.len() == self.spec.window && self.since_emit >= self.spec.hop {
            self.since_emit = 0;
            out.push(self.emit(slot));
        }
    }

    fn emit(&self, last_slot: i64) -> Emitted {
        let step = self.spec.step_ms;
        let start_ms = (last_slot + 1 - self.spec.window as i64) * step;
        let end_ms = (last_slot + 1) * step;
        let mut missing = vec![0usize; self.points];
        let mut values = Vec::with_capacity(self.spec.window * self.points);
        let mut filled_cells = 0;
        for row in &self.closed {
            for (i, cell) in row.iter().enumerate() {
                match cell {
                    Some(c) => {
                        values.push(c.value);
                        filled_cells += usize::from(c.filled);
                    }
                    None => {
                        values.push(f32::NAN);
                        missing[i] += 1;
                    }
                }
            }
        }
        let missing: Vec<(usize, usize)> = missing
            .into_iter()
            .enumerate()
            .filter(|&(_, n)| n > 0)
            .collect();
        if missing.is_empty() {
            Emitted::Complete(Window {
                start_ms,
                end_ms,
                values,
                filled_cells,
            })
        } else {
            Emitted::Incomplete {
                start_ms,
                end_ms,
                missing,
            }
        }
    }
}

#[cfg(test)]
mod tests;
