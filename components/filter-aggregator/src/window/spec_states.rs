//! The window states of one window spec for every point its rule handles, by the point's
//! ordinal in the rule, each with the smallest accumulator that gives the spec's statistics.

use super::points::Points;
use super::{Accumulate, Admit, Bound, Full, NoNumbers, Sample, Spread};
use crate::rule::WindowSpec;
use edge_model::{Stats, TimeWindow};

/// Window states of one spec, by point ordinal.
#[derive(Debug)]
pub enum SpecStates {
    /// Count and state durations only.
    NoNumbers(Points<NoNumbers>),
    /// Also the largest value and the mean.
    Max(Points<Bound<true>>),
    /// Also the smallest value and the mean.
    Min(Points<Bound<false>>),
    /// Also min, max, mean.
    Spread(Points<Spread>),
    /// Also stddev, first, last.
    Full(Points<Full>),
}

/// Runs `$body` with `$states` bound to the arena, whatever its accumulator.
macro_rules! each {
    ($self:expr, $states:ident => $body:expr) => {
        match $self {
            SpecStates::NoNumbers($states) => $body,
            SpecStates::Max($states) => $body,
            SpecStates::Min($states) => $body,
            SpecStates::Spread($states) => $body,
            SpecStates::Full($states) => $body,
        }
    };
}

impl SpecStates {
    /// No point yet, with the accumulator `spec` needs.
    pub fn for_spec(spec: &WindowSpec) -> Self {
        if NoNumbers::covers(spec.stats) {
            Self::NoNumbers(Points::for_spec(spec))
        } else if Bound::<true>::covers(spec.stats) {
            Self::Max(Points::for_spec(spec))
        } else if Bound::<false>::covers(spec.stats) {
            Self::Min(Points::for_spec(spec))
        } else if Spread::covers(spec.stats) {
            Self::Spread(Points::for_spec(spec))
        } else {
            Self::Full(Points::for_spec(spec))
        }
    }

    /// A fresh state for the next point; returns its ordinal.
    pub fn add(&mut self) -> u32 {
        each!(self, states => states.add())
    }

    /// The id of a state name in this spec's table (bounded: see [`super::MAX_STATES`]).
    pub fn state_id(&mut self, name: &str) -> u16 {
        each!(self, states => states.state_id(name))
    }

    /// Clears the state of the point at `ordinal` (its rule changed).
    pub fn reset(&mut self, ordinal: u32) {
        each!(self, states => states.reset(ordinal));
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
        each!(self, states => states.push(ordinal, spec, clock, sample, emit))
    }

    /// Closes what `clock` ends for the point at `ordinal`, handing each window to `emit`.
    pub fn close(
        &mut self,
        ordinal: u32,
        spec: &WindowSpec,
        clock: i64,
        emit: &mut impl FnMut(TimeWindow, Stats),
    ) {
        each!(self, states => states.close(ordinal, spec, clock, emit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::StatSet;
    use crate::window::Head;
    use crate::window::ring::Slot;

    fn spec(stats: StatSet) -> WindowSpec {
        WindowSpec {
            id: "w".into(),
            length_ms: 1000,
            hop_ms: 1000,
            grace_ms: 0,
            stats,
            percentiles: Vec::new(),
            states: Vec::new(),
        }
    }

    #[test]
    fn a_spec_gets_the_smallest_accumulator_that_reports_its_statistics() {
        let kind = |stats| match SpecStates::for_spec(&spec(stats)) {
            SpecStates::NoNumbers(_) => "none",
            SpecStates::Max(_) => "max",
            SpecStates::Min(_) => "min",
            SpecStates::Spread(_) => "spread",
            SpecStates::Full(_) => "full",
        };
        assert_eq!(kind(StatSet::default()), "none");
        assert_eq!(kind(StatSet::STATES), "none");
        assert_eq!(kind(StatSet::MAX.with(StatSet::MEAN)), "max");
        assert_eq!(kind(StatSet::MIN), "min");
        assert_eq!(kind(StatSet::MEAN), "max");
        assert_eq!(kind(StatSet::MAX.with(StatSet::MIN)), "spread");
        assert_eq!(kind(StatSet::MIN.with(StatSet::STDDEV)), "full");
        assert_eq!(kind(StatSet::FIRST), "full");
        // Per point and window (with the slots of the pane ring): these sizes are what the
        // memory benchmark's budget rests on.
        assert_eq!(size_of::<Head>(), 16);
        assert_eq!(size_of::<Slot<NoNumbers>>(), 4);
        assert_eq!(size_of::<Slot<Bound<true>>>(), 20);
        assert_eq!(size_of::<Slot<Spread>>(), 28);
        assert_eq!(size_of::<Slot<Full>>(), 60);
    }

    #[test]
    fn points_keep_their_own_state_by_ordinal() {
        let spec = spec(StatSet::MAX);
        let mut states = SpecStates::for_spec(&spec);
        let (a, b) = (states.add(), states.add());
        let sample = |t, x| Sample {
            t,
            number: Some(x),
            state: None,
        };
        let mut none = |_, _| panic!("nothing closes yet");
        assert_eq!(
            states.push(a, &spec, 0, sample(100, 1.0), &mut none),
            Some(Admit::Accepted)
        );
        assert_eq!(
            states.push(b, &spec, 0, sample(200, 5.0), &mut none),
            Some(Admit::Accepted)
        );
        states.reset(b);
        let mut maxima = Vec::new();
        for ordinal in [a, b] {
            states.close(ordinal, &spec, i64::MAX, &mut |_, s| maxima.push(s.max));
        }
        assert_eq!(maxima, vec![Some(1.0)]);
        assert_eq!(states.push(7, &spec, 0, sample(100, 1.0), &mut none), None);
    }

    #[test]
    fn a_pane_past_the_slot_limit_spills_into_the_side_table_of_its_point_only() {
        // Max only: the spec keeps no extras per point, so the spill lands in the sparse table.
        let spec = spec(StatSet::MAX);
        let mut states = SpecStates::for_spec(&spec);
        let (a, b) = (states.add(), states.add());
        let mut none = |_, _| panic!("nothing closes yet");
        let n = u32::from(u16::MAX) + 10;
        for k in 0..n {
            let sample = Sample {
                t: i64::from(k % 1000),
                number: Some(f64::from(k)),
                state: None,
            };
            assert_eq!(
                states.push(a, &spec, 0, sample, &mut none),
                Some(Admit::Accepted)
            );
        }
        let sample = Sample {
            t: 500,
            number: Some(-1.0),
            state: None,
        };
        assert_eq!(
            states.push(b, &spec, 0, sample, &mut none),
            Some(Admit::Accepted)
        );
        let mut got = Vec::new();
        for ordinal in [a, b] {
            states.close(ordinal, &spec, i64::MAX, &mut |_, s| {
                got.push((s.count, s.max))
            });
        }
        assert_eq!(
            got,
            vec![(u64::from(n), Some(f64::from(n - 1))), (1, Some(-1.0))]
        );
    }
}
