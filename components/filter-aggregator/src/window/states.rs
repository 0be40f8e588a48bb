//! Time spent in each state inside one window: a state holds from its reading until the next.

use std::collections::BTreeMap;
use std::sync::Arc;

/// Sums the durations of state changes walked in timestamp order.
#[derive(Debug)]
pub struct Durations {
    current: Option<Arc<str>>,
    since: i64,
    totals: BTreeMap<String, i64>,
}

impl Durations {
    /// Starts a window at `start` in state `carried` (the last state before it, if known).
    pub fn starting(start: i64, carried: Option<Arc<str>>) -> Self {
        Self {
            current: carried,
            since: start,
            totals: BTreeMap::new(),
        }
    }

    /// The point entered `state` at `t` (not before the window start, not before the last
    /// change).
    pub fn change(&mut self, t: i64, state: &Arc<str>) {
        self.account(t);
        self.current = Some(state.clone());
        self.since = self.since.max(t);
    }

    /// Ends the window at `end` and returns milliseconds per state.
    pub fn finish(mut self, end: i64) -> BTreeMap<String, i64> {
        self.account(end);
        self.totals
    }

    fn account(&mut self, until: i64) {
        if let Some(state) = &self.current {
            let held = until.saturating_sub(self.since).max(0);
            *self.totals.entry(state.to_string()).or_insert(0) += held;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_window_between_states_including_the_carried_one() {
        let running: Arc<str> = Arc::from("running");
        let down: Arc<str> = Arc::from("down");
        let mut d = Durations::starting(0, Some(running.clone()));
        d.change(10_000, &down);
        d.change(25_000, &running);
        let totals = d.finish(60_000);
        assert_eq!(totals["running"], 10_000 + 35_000);
        assert_eq!(totals["down"], 15_000);
    }

    #[test]
    fn time_before_the_first_known_state_is_not_counted() {
        let idle: Arc<str> = Arc::from("idle");
        let mut d = Durations::starting(0, None);
        d.change(40_000, &idle);
        assert_eq!(
            d.finish(60_000),
            BTreeMap::from([("idle".to_owned(), 20_000)])
        );
    }
}
