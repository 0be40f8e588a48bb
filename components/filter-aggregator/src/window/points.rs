//! The window states of every point of one spec, by point ordinal, each with its panes in a
//! fixed run of slots of one arena (a ring per point): no heap block per point, nothing that
//! grows or shrinks at window boundaries.

use super::ring::{Ring, SLOT_LIMIT, Slot, slots_for};
use super::{Accumulate, Admit, Head, Sample, StateNames};
use crate::arena::{Arena, CHUNK};
use crate::rule::WindowSpec;
use edge_model::{Stats, TimeWindow};

/// Window states of one spec whose panes sit in `per_point` slots per point.
#[derive(Debug)]
pub struct Points<A> {
    heads: Arena<Head<A>>,
    slots: Arena<Slot<A>>,
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
        let (mut ring, names) = self.ring(ordinal, spec)?;
        Some(ring.push(spec, names, clock, sample, emit))
    }

    /// Closes what `clock` ends for the point at `ordinal`, handing each window to `emit`.
    pub fn close(
        &mut self,
        ordinal: u32,
        spec: &WindowSpec,
        clock: i64,
        emit: &mut impl FnMut(TimeWindow, Stats),
    ) {
        if let Some((mut ring, names)) = self.ring(ordinal, spec) {
            ring.close(spec, names, clock, emit);
        }
    }

    /// Index of the first slot of the point at `ordinal`: the arena fills each chunk with
    /// as many whole runs as fit, then starts the next.
    fn first_slot(&self, ordinal: u32) -> Option<u32> {
        let runs_per_chunk = CHUNK / self.per_point;
        let ordinal = ordinal as usize;
        let first = ordinal / runs_per_chunk * CHUNK + ordinal % runs_per_chunk * self.per_point;
        u32::try_from(first).ok()
    }

    /// The ring of the point at `ordinal` (with its head), and the state names.
    fn ring(&mut self, ordinal: u32, spec: &WindowSpec) -> Option<(Ring<'_, A>, &StateNames)> {
        let first = self.first_slot(ordinal)?;
        let slots = self.slots.run_mut(first, self.per_point)?;
        let head = self.heads.get_mut(ordinal)?;
        Some((
            Ring {
                hop: spec.hop_ms,
                head,
                slots,
                limit: SLOT_LIMIT,
            },
            &self.names,
        ))
    }
}
