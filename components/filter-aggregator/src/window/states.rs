//! Time spent in each state inside one window: a state holds from its reading until the next.

use super::state_names::StateNames;
use std::collections::BTreeMap;

/// Sums the durations of state changes (interned ids) walked in timestamp order.
#[derive(Debug)]
pub struct Durations {
    current: Option<u16>,
    since: i64,
    /// Milliseconds per state id, in order of first appearance (a window sees few states).
    totals: Vec<(u16, i64)>,
}

impl Durations {
    /// Starts a window at `start` in state `carried` (the last state before it, if known).
    pub fn starting(start: i64, carried: Option<u16>) -> Self {
        Self {
            current: carried,
            since: start,
            totals: Vec::new(),
        }
    }

    /// The point entered `state` at `t` (not before the window start, not before the last
    /// change).
    pub fn change(&mut self, t: i64, state: u16) {
        self.account(t);
        self.current = Some(state);
        self.since = self.since.max(t);
    }

    /// Ends the window at `end` and returns milliseconds per state name.
    pub fn finish(mut self, end: i64, names: &StateNames) -> BTreeMap<String, i64> {
        self.account(end);
        let mut totals = BTreeMap::new();
        for (id, ms) in self.totals {
            *totals.entry(names.name(id).to_owned()).or_insert(0) += ms;
        }
        totals
    }

    fn account(&mut self, until: i64) {
        if let Some(state) = self.current {
            let held = until.saturating_sub(self.since).max(0);
            match self.totals.iter_mut().find(|(id, _)| *id == state) {
                Some((_, total)) => *total += held,
                None => self.totals.push((state, held)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_window_between_states_including_the_carried_one() {
        let mut names = StateNames::default();
        let (running, down) = (names.id("running"), names.id("down"));
        let mut d = Durations::starting(0, Some(running));
        d.change(10_000, down);
        d.change(25_000, running);
        let totals = d.finish(60_000, &names);
        assert_eq!(totals["running"], 10_000 + 35_000);
        assert_eq!(totals["down"], 15_000);
    }

    #[test]
    fn time_before_the_first_known_state_is_not_counted() {
        let mut names = StateNames::default();
        let idle = names.id("idle");
        let mut d = Durations::starting(0, None);
        d.change(40_000, idle);
        assert_eq!(
            d.finish(60_000, &names),
            BTreeMap::from([("idle".to_owned(), 20_000)])
        );
    }
}
