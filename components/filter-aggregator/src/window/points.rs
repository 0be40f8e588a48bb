//! The window states of every point of one spec, by point ordinal, with their panes: inline
//! for tumbling windows (one pane most of the time), in per-point rings of one arena for
//! sliding ones (several panes all the time).

use super::panes::Panes;
use super::ring::{Ring, RingHead, Slot, slots_for};
use super::{Accumulate, Admit, Pane, WindowState};
use crate::arena::{Arena, CHUNK};
use crate::rule::WindowSpec;
use edge_model::{Stats, TimeWindow};
use std::sync::Arc;

/// A window state with its panes beside it.
#[derive(Debug, Clone)]
pub struct Inline<A> {
    state: WindowState,
    panes: Panes<Pane<A>>,
}

impl<A> Default for Inline<A> {
    fn default() -> Self {
        Self {
            state: WindowState::default(),
            panes: Panes::default(),
        }
    }
}

/// Window states whose panes sit in a fixed run of `per_point` slots of one arena per point.
#[derive(Debug)]
pub struct Rings<A> {
    heads: Arena<(WindowState, RingHead<A>)>,
    slots: Arena<Slot<A>>,
    per_point: usize,
}

/// Window states of one spec, by point ordinal.
#[derive(Debug)]
pub enum Points<A> {
    Inline(Arena<Inline<A>>),
    Rings(Rings<A>),
}

impl<A: Accumulate> Points<A> {
    /// No point yet; rings for sliding windows.
    pub fn for_spec(spec: &WindowSpec) -> Self {
        if spec.hop_ms < spec.length_ms {
            Self::Rings(Rings {
                heads: Arena::default(),
                slots: Arena::default(),
                per_point: slots_for(spec.length_ms, spec.hop_ms, spec.grace_ms),
            })
        } else {
            Self::Inline(Arena::default())
        }
    }

    /// A fresh state for the next point; returns its ordinal.
    pub fn add(&mut self) -> u32 {
        match self {
            Self::Inline(states) => states.push(Inline::default()),
            Self::Rings(rings) => {
                let first = rings
                    .slots
                    .push_run((0..rings.per_point).map(|_| Slot::free()));
                let ordinal = rings.heads.push(Default::default());
                debug_assert_eq!(Some(first), rings.first_slot(ordinal));
                ordinal
            }
        }
    }

    /// Clears the state of the point at `ordinal`.
    pub fn reset(&mut self, ordinal: u32) {
        match self {
            Self::Inline(states) => {
                if let Some(state) = states.get_mut(ordinal) {
                    *state = Inline::default();
                }
            }
            Self::Rings(rings) => {
                if let Some(head) = rings.heads.get_mut(ordinal) {
                    *head = Default::default();
                }
                if let Some(slots) = rings.slots_of(ordinal) {
                    slots.fill_with(Slot::free);
                }
            }
        }
    }

    /// Adds a reading of the point at `ordinal`; `None` if there is no such point.
    pub fn push(
        &mut self,
        ordinal: u32,
        spec: &WindowSpec,
        clock: i64,
        t: i64,
        number: Option<f64>,
        state: Option<Arc<str>>,
    ) -> Option<Admit> {
        match self {
            Self::Inline(states) => {
                let Inline { state: s, panes } = states.get_mut(ordinal)?;
                Some(s.push(panes, spec, clock, t, number, state))
            }
            Self::Rings(rings) => {
                let (s, mut ring) = rings.ring(ordinal, spec)?;
                Some(s.push(&mut ring, spec, clock, t, number, state))
            }
        }
    }

    /// Closes what `clock` ends for the point at `ordinal`, handing each window to `emit`.
    pub fn close(
        &mut self,
        ordinal: u32,
        spec: &WindowSpec,
        clock: i64,
        emit: &mut impl FnMut(TimeWindow, Stats),
    ) {
        match self {
            Self::Inline(states) => {
                if let Some(Inline { state, panes }) = states.get_mut(ordinal)
                    && !panes.as_slice().is_empty()
                {
                    state.close(panes, spec, clock, emit);
                }
            }
            Self::Rings(rings) => {
                if let Some((state, mut ring)) = rings.ring(ordinal, spec) {
                    state.close(&mut ring, spec, clock, emit);
                }
            }
        }
    }
}

impl<A: Accumulate> Rings<A> {
    /// Index of the first slot of the point at `ordinal`: the arena fills each chunk with
    /// as many whole runs as fit, then starts the next.
    fn first_slot(&self, ordinal: u32) -> Option<u32> {
        let runs_per_chunk = CHUNK / self.per_point;
        let ordinal = ordinal as usize;
        let first = ordinal / runs_per_chunk * CHUNK + ordinal % runs_per_chunk * self.per_point;
        u32::try_from(first).ok()
    }

    fn slots_of(&mut self, ordinal: u32) -> Option<&mut [Slot<A>]> {
        let first = self.first_slot(ordinal)?;
        self.slots.run_mut(first, self.per_point)
    }

    /// The state and the ring of the point at `ordinal`.
    fn ring(&mut self, ordinal: u32, spec: &WindowSpec) -> Option<(&mut WindowState, Ring<'_, A>)> {
        let first = self.first_slot(ordinal)?;
        let slots = self.slots.run_mut(first, self.per_point)?;
        let (state, head) = self.heads.get_mut(ordinal)?;
        Some((
            state,
            Ring {
                hop: spec.hop_ms,
                head,
                slots,
            },
        ))
    }
}
