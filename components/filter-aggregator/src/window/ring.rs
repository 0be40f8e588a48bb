//! The panes of one point under a window spec, in a ring of fixed slots that the spec
//! keeps for all its points in one arena: no heap block per point, nothing that grows or
//! shrinks at window boundaries. Pane number `q` (its start over the hop) sits in slot
//! `q mod slots`; the ring holds the panes `[p - slots + 1, p]`, `p` being the pane of the
//! point's newest reading, so it needs no position of its own. A point's readings close the
//! windows they end before the ring moves up to them, which leaves only panes of windows not
//! yet ended, and those all lie in that span when the ring has a slot for each of them. A
//! pane outside (a reading behind the span when a window has more panes than `MAX_SLOTS`, or
//! such a pane as the ring moves on) goes to a sorted spill vector. So does a pane whose
//! 16-bit counts are full (over 65,535 readings of one point in one hop): the spill counts in
//! 32 bits, and such a pane stays there until dropped.

use super::store::{PaneStore, offset};
use super::{Accumulate, Extras, Head, Pane};

/// Slots per point at most: a sliding window with more panes spills the rest.
pub(super) const MAX_SLOTS: usize = 64;

/// Readings a slot counts at most.
pub(super) const SLOT_LIMIT: u16 = u16::MAX;

/// The slots a point needs for `spec` when its readings arrive in order: the panes of every
/// window not yet ended by the grace (a reading closes the windows it ends before it is
/// added, so it never needs a slot beyond those).
pub(super) fn slots_for(length_ms: i64, hop_ms: i64, grace_ms: i64) -> usize {
    let hop = hop_ms.max(1);
    let span = length_ms.saturating_add(grace_ms.max(0));
    let panes = span.saturating_add(hop - 1) / hop;
    usize::try_from(panes)
        .unwrap_or(MAX_SLOTS)
        .clamp(1, MAX_SLOTS)
}

/// One pane's tally; `readings == 0` marks a free slot. Counts are 16-bit and the
/// accumulator 4-byte aligned, so a slot has no padding (20 bytes for a max and a mean).
#[derive(Debug, Clone)]
pub(super) struct Slot<A> {
    readings: u16,
    numbers: u16,
    acc: A,
}

impl<A: Accumulate> Slot<A> {
    pub(super) fn free() -> Self {
        Self {
            readings: 0,
            numbers: 0,
            acc: A::empty(),
        }
    }

    /// Adds a reading `offset` ms into the pane (`readings` below the limit).
    fn add(&mut self, offset: u32, number: Option<f64>) {
        self.readings += 1;
        if let Some(x) = number {
            self.numbers += 1;
            self.acc.push(u64::from(self.numbers), offset, x);
        }
    }
}

/// A point's ring, borrowed from the arena together with its head.
pub(super) struct Ring<'a, A> {
    pub(super) hop: i64,
    pub(super) head: &'a mut Head,
    /// The point's entry in the spec's side table.
    pub(super) extras: &'a mut Extras<A>,
    pub(super) slots: &'a mut [Slot<A>],
    /// Readings a slot counts at most ([`SLOT_LIMIT`]; less in tests).
    pub(super) limit: u16,
}

impl<A: Accumulate> Ring<'_, A> {
    fn len(&self) -> i64 {
        self.slots.len() as i64
    }

    fn slot(&self, q: i64) -> usize {
        q.rem_euclid(self.len()) as usize
    }

    /// Pane number of the newest reading: the last the ring holds.
    fn newest(&self) -> i64 {
        self.head.watermark.div_euclid(self.hop)
    }

    /// Pane number the ring holds first.
    fn base(&self) -> i64 {
        self.newest().saturating_sub(self.len() - 1)
    }

    fn covers(&self, q: i64) -> bool {
        q >= self.base() && q <= self.newest()
    }

    fn start_of(&self, q: i64) -> i64 {
        q.saturating_mul(self.hop)
    }

    /// The pane numbers the ring holds, in order (occupied or not).
    fn span(&self) -> impl Iterator<Item = i64> + use<A> {
        let base = self.base();
        (0..self.len()).map_while(move |k| base.checked_add(k))
    }

    /// Pane numbers of the occupied slots, in order.
    fn occupied(&self) -> impl Iterator<Item = i64> + '_ {
        self.span()
            .filter(|q| self.slots[self.slot(*q)].readings > 0)
    }

    fn spill(&self) -> &[Pane<A>] {
        self.extras.spill()
    }

    /// Puts a pane that is in neither the ring nor the spill into the spill, in order.
    fn spill_pane(&mut self, pane: Pane<A>) {
        let spill = &mut self.extras.rare_mut().spill;
        let at = spill.partition_point(|p| p.start < pane.start);
        spill.insert(at, pane);
    }

    /// Makes `t` the newest reading if it is newer: the ring moves up to its pane, and the
    /// panes it leaves behind go to the spill (none do when the ring has a slot for every
    /// pane of a window and its grace, and the windows `t` ends were closed first).
    pub(super) fn advance(&mut self, t: i64) {
        if t <= self.head.watermark {
            return;
        }
        let new_base = t.div_euclid(self.hop).saturating_sub(self.len() - 1);
        for q in self.span().take_while(|q| *q < new_base) {
            let slot = self.slot(q);
            if self.slots[slot].readings > 0 {
                let left = std::mem::replace(&mut self.slots[slot], Slot::free());
                let (readings, numbers) = (u32::from(left.readings), u32::from(left.numbers));
                self.spill_pane(Pane::holding(self.start_of(q), readings, numbers, left.acc));
            }
        }
        self.head.watermark = t;
    }
}

impl<A: Accumulate> PaneStore<A> for Ring<'_, A> {
    fn first_start(&self) -> Option<i64> {
        let ring = self.occupied().next().map(|q| self.start_of(q));
        let spill = self.spill().first().map(|p| p.start);
        match (ring, spill) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A pane outside the ring's span (the caller moves the ring with [`Ring::advance`]
    /// first) goes to the spill.
    fn add(&mut self, start: i64, t: i64, number: Option<f64>) {
        let q = start.div_euclid(self.hop);
        let rare = self.extras.rare.as_deref_mut();
        if let Some(spill) = rare.map(|r| &mut r.spill) {
            let at = spill.partition_point(|p| p.start < start);
            if let Some(pane) = spill.get_mut(at).filter(|p| p.start == start) {
                pane.add(t, number);
                return;
            }
        }
        if !self.covers(q) {
            self.spill_pane(Pane::new(start, t, number));
            return;
        }
        let index = self.slot(q);
        let slot = &mut self.slots[index];
        if slot.readings >= self.limit {
            // Full: the pane goes on in the spill, which counts in 32 bits.
            let (readings, numbers) = (u32::from(slot.readings), u32::from(slot.numbers));
            let mut pane = Pane::holding(start, readings, numbers, slot.acc.clone());
            *slot = Slot::free();
            pane.add(t, number);
            self.spill_pane(pane);
            return;
        }
        slot.add(offset(start, t), number);
    }

    fn visit(&self, from: i64, to: i64, mut visit: impl FnMut(u32, u32, &A)) {
        let inside = |start: i64| start >= from && start < to;
        let spill = self.spill();
        // Spilled panes lie before the ring's, or (full ones) between them.
        let mut next = 0;
        for q in self.occupied() {
            let start = self.start_of(q);
            while let Some(p) = spill.get(next).filter(|p| p.start < start) {
                if inside(p.start) {
                    visit(p.readings.get(), p.numbers, &p.acc);
                }
                next += 1;
            }
            if inside(start) {
                let s = &self.slots[self.slot(q)];
                visit(u32::from(s.readings), u32::from(s.numbers), &s.acc);
            }
        }
        for p in spill[next..].iter().filter(|p| inside(p.start)) {
            visit(p.readings.get(), p.numbers, &p.acc);
        }
    }

    fn drop_before(&mut self, start: i64) {
        let hop = self.hop;
        for q in self.span().take_while(|q| q.saturating_mul(hop) < start) {
            let slot = self.slot(q);
            if self.slots[slot].readings > 0 {
                self.slots[slot] = Slot::free();
            }
        }
        if let Some(rare) = self.extras.rare.as_deref_mut() {
            rare.spill.retain(|p| p.start >= start);
        }
        self.extras.tidy();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::Spread;
    use crate::window::panes::Panes;
    use proptest::prelude::*;

    const HOP: i64 = 10;

    /// Every pane as (start, readings, numbers, statistics) in visiting order.
    fn seen(store: &impl PaneStore<Spread>, starts: &[i64]) -> Vec<(i64, u32, u32, Spread)> {
        let mut out = Vec::new();
        for &s in starts {
            store.visit(s, s + HOP, |r, n, acc| out.push((s, r, n, *acc)));
        }
        out
    }

    proptest! {
        /// Panes landing anywhere behind the newest reading or at it, the ring moving up to
        /// each newer one and leaving panes behind, with drops in between (as closing windows
        /// does): the ring gives what a sorted vector gives, in start order.
        #[test]
        fn the_ring_holds_the_same_panes_as_a_sorted_vector(
            ops in prop::collection::vec((-20..60_i64, any::<bool>(), -1e3..1e3_f64), 1..120),
            size in 1..6_usize,
            // Small limits send full panes to the spill as over 65,535 readings would.
            limit in prop_oneof![Just(SLOT_LIMIT), 1..4_u16],
        ) {
            let mut head = Head::default();
            let mut extras = Extras::default();
            let mut slots: Vec<Slot<Spread>> = (0..size).map(|_| Slot::free()).collect();
            let mut reference: Panes<Pane<Spread>> = Panes::default();
            let mut floor = i64::MIN;
            for (n, (pane, drop, x)) in ops.into_iter().enumerate() {
                let mut ring = Ring { hop: HOP, head: &mut head, extras: &mut extras, slots: &mut slots, limit };
                if drop {
                    floor = floor.max(pane * HOP);
                    ring.drop_before(floor);
                    reference.drop_before(floor);
                } else if pane * HOP >= floor {
                    let t = pane * HOP + (n as i64 % HOP);
                    let number = (n % 3 != 0).then_some(x);
                    ring.advance(t);
                    ring.add(pane * HOP, t, number);
                    reference.add(pane * HOP, t, number);
                }
                let starts: Vec<i64> = (-21..61).map(|p| p * HOP).collect();
                prop_assert_eq!(ring.first_start(), reference.first_start());
                let (a, b) = (seen(&ring, &starts), seen(&reference, &starts));
                prop_assert_eq!(a.len(), b.len());
                for (got, want) in a.iter().zip(&b) {
                    prop_assert_eq!((got.0, got.1, got.2), (want.0, want.1, want.2));
                    prop_assert_eq!(format!("{:?}", got.3), format!("{:?}", want.3));
                }
                // A span visit walks panes in start order.
                let mut order = Vec::new();
                ring.visit(i64::MIN, i64::MAX, |r, _, _| order.push(r));
                let mut want = Vec::new();
                reference.visit(i64::MIN, i64::MAX, |r, _, _| want.push(r));
                prop_assert_eq!(order, want);
            }
        }
    }

    #[test]
    fn a_window_gets_a_slot_for_each_pane_it_holds_with_in_order_readings() {
        // 1 min / 10 s with 2 s grace: six panes per window, one more for the grace.
        assert_eq!(slots_for(60_000, 10_000, 2_000), 7);
        assert_eq!(slots_for(60_000, 10_000, 0), 6);
        // Tumbling: the open window, and the next during the grace; a reading a whole
        // window after the last one spills.
        assert_eq!(slots_for(60_000, 60_000, 0), 1);
        assert_eq!(slots_for(60_000, 60_000, 5_000), 2);
        assert_eq!(slots_for(i64::MAX, 1, 0), MAX_SLOTS);
    }
}
