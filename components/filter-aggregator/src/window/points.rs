//! The window states of every point of one spec, by point ordinal, each with its panes in a
//! fixed run of slots of one arena (a ring per point): no heap block per point, nothing that
//! grows or shrinks at window boundaries.

use super::ring::{Ring, SLOT_LIMIT, Slot, slots_for};
use super::{Accumulate, Admit, Extras, Head, Sample, StateNames};
use crate::arena::{Arena, CHUNK};
use crate::rule::{StatSet, WindowSpec};
use edge_model::{Stats, TimeWindow};
use std::collections::HashMap;

/// Window states of one spec whose panes sit in `per_point` slots per point.
#[derive(Debug)]
pub struct Points<A> {
    heads: Arena<Head>,
    slots: Arena<Slot<A>>,
    extras: SideTable<A>,
    per_point: usize,
    /// The spec's state names, shared by its points.
    names: StateNames,
}

impl<A: Accumulate> Points<A> {
    /// No point yet.
    pub fn for_spec(spec: &WindowSpec) -> Self {
        Self {
            heads: Arena::default(),
            slots: Arena::default(),
            extras: SideTable::for_spec(spec),
            per_point: slots_for(spec.length_ms, spec.hop_ms, spec.grace_ms),
            names: StateNames::default(),
        }
    }

    /// A fresh state for the next point; returns its ordinal.
    pub fn add(&mut self) -> u32 {
        let first = self
            .slots
            .push_run((0..self.per_point).map(|_| Slot::free()));
        let ordinal = self.heads.push(Default::default());
        if let SideTable::Dense(extras) = &mut self.extras {
            extras.push(Extras::default());
        }
        debug_assert_eq!(Some(first), self.first_slot(ordinal));
        ordinal
    }

    /// The id of a state name in this spec's table.
    pub fn state_id(&mut self, name: &str) -> u16 {
        self.names.id(name)
    }

    /// Clears the state of the point at `ordinal`.
    pub fn reset(&mut self, ordinal: u32) {
        if let Some(head) = self.heads.get_mut(ordinal) {
            *head = Default::default();
        }
        match &mut self.extras {
            SideTable::Dense(extras) => {
                if let Some(entry) = extras.get_mut(ordinal) {
                    *entry = Extras::default();
                }
            }
            SideTable::Sparse(boxes) => {
                boxes.remove(&ordinal);
            }
        }
        if let Some(first) = self.first_slot(ordinal)
            && let Some(slots) = self.slots.run_mut(first, self.per_point)
        {
            slots.fill_with(Slot::free);
        }
    }

    /// Adds a reading of the point at `ordinal`, first closing the windows it ends (handed
    /// to `emit`); `None` if there is no such point.
    pub fn push(
        &mut self,
        ordinal: u32,
        spec: &WindowSpec,
        clock: i64,
        sample: Sample,
        emit: &mut impl FnMut(TimeWindow, Stats),
    ) -> Option<Admit> {
        self.with_ring(ordinal, spec, |ring, names| {
            ring.push(spec, names, clock, sample, emit)
        })
    }

    /// Closes what `clock` ends for the point at `ordinal`, handing each window to `emit`.
    pub fn close(
        &mut self,
        ordinal: u32,
        spec: &WindowSpec,
        clock: i64,
        emit: &mut impl FnMut(TimeWindow, Stats),
    ) {
        self.with_ring(ordinal, spec, |ring, names| {
            ring.close(spec, names, clock, emit)
        });
    }

    /// Index of the first slot of the point at `ordinal`: the arena fills each chunk with
    /// as many whole runs as fit, then starts the next.
    fn first_slot(&self, ordinal: u32) -> Option<u32> {
        let runs_per_chunk = CHUNK / self.per_point;
        let ordinal = ordinal as usize;
        let first = ordinal / runs_per_chunk * CHUNK + ordinal % runs_per_chunk * self.per_point;
        u32::try_from(first).ok()
    }

    /// Runs `f` on the ring of the point at `ordinal` (with its head and side-table entry)
    /// and the state names; `None` if there is no such point.
    fn with_ring<R>(
        &mut self,
        ordinal: u32,
        spec: &WindowSpec,
        f: impl FnOnce(&mut Ring<'_, A>, &StateNames) -> R,
    ) -> Option<R> {
        let first = self.first_slot(ordinal)?;
        let slots = self.slots.run_mut(first, self.per_point)?;
        let head = self.heads.get_mut(ordinal)?;
        let hop = spec.hop_ms;
        let limit = SLOT_LIMIT;
        match &mut self.extras {
            SideTable::Dense(extras) => {
                let extras = extras.get_mut(ordinal)?;
                let mut ring = Ring {
                    hop,
                    head,
                    extras,
                    slots,
                    limit,
                };
                Some(f(&mut ring, &self.names))
            }
            SideTable::Sparse(boxes) => {
                // Usually empty: then no lookup at all.
                let mut taken = if boxes.is_empty() {
                    Extras::default()
                } else {
                    boxes.remove(&ordinal).map(|b| *b).unwrap_or_default()
                };
                let mut ring = Ring {
                    hop,
                    head,
                    extras: &mut taken,
                    slots,
                    limit,
                };
                let out = f(&mut ring, &self.names);
                if !taken.is_empty() {
                    boxes.insert(ordinal, Box::new(taken));
                }
                Some(out)
            }
        }
    }
}

/// The [`Extras`] of each point of a spec, out of the head (no bytes at all in the head for
/// points that rarely have any).
#[derive(Debug)]
enum SideTable<A> {
    /// One per point, by ordinal, inline (32 bytes, no box of its own): the spec reports
    /// state durations or percentiles, so every point read keeps some.
    Dense(Arena<Extras<A>>),
    /// Only the points that have one, by ordinal: what the others keep is spilled panes (a
    /// reading far ahead of the rest, or over 65,535 in one pane), which is rare.
    Sparse(HashMap<u32, Box<Extras<A>>>),
}

impl<A> SideTable<A> {
    fn for_spec(spec: &WindowSpec) -> Self {
        if spec.stats.contains(StatSet::STATES) || !spec.percentiles.is_empty() {
            Self::Dense(Arena::default())
        } else {
            Self::Sparse(HashMap::new())
        }
    }
}
