//! The alarm state machine that AWS IoT Events used to run, now on the gateway:
//! normal → pending → active → acknowledged → normal.
//!
//! * The condition turns on when a window's score is above `threshold` and off when it falls
//!   below `threshold × clearRatio` (hysteresis: in between, it keeps its last value).
//! * pending → active once the condition has stayed on for `minDurationMs`; if it turns off
//!   first, the alarm returns to normal.
//! * active → normal when the condition turns off, unless the alarm is latching: then it stays
//!   active until acknowledged.
//! * An acknowledgement moves active → acknowledged while the condition is on, or active →
//!   normal once it is off (latching). acknowledged → normal when the condition turns off.

use edge_model::AlarmState;

/// How one alarm behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlarmRules {
    /// The score above which the condition turns on.
    pub threshold: f64,
    /// The condition turns off below `threshold × clear_ratio` (0 < ratio ≤ 1).
    pub clear_ratio: f64,
    /// How long the condition must stay on before the alarm is raised, milliseconds.
    pub min_duration_ms: i64,
    /// Whether a raised alarm stays active until acknowledged.
    pub latching: bool,
}

/// A state change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    /// The state entered.
    pub state: AlarmState,
    /// When, epoch milliseconds.
    pub time_ms: i64,
    /// When the condition turned on, if it is on.
    pub active_since_ms: Option<i64>,
    /// The score that caused the change (the last one seen for an acknowledgement).
    pub score: f64,
}

/// Why an acknowledgement was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// Only an active alarm can be acknowledged.
    #[error("the alarm is {0:?}, only an active alarm can be acknowledged")]
    NotActive(AlarmState),
}

/// One alarm's state.
#[derive(Debug, Clone)]
pub struct Alarm {
    rules: AlarmRules,
    state: AlarmState,
    condition: bool,
    on_since: Option<i64>,
    last_score: f64,
}

impl Alarm {
    /// A normal alarm.
    pub fn new(rules: AlarmRules) -> Self {
        Self {
            rules,
            state: AlarmState::Normal,
            condition: false,
            on_since: None,
            last_score: 0.0,
        }
    }

    /// The current state.
    pub fn state(&self) -> AlarmState {
        self.state
    }

    /// The rules (replaced on a configuration change without losing the state).
    pub fn set_rules(&mut self, rules: AlarmRules) {
        self.rules = rules;
    }

    /// Feeds one window's score, ending at `time_ms`; returns the state change, if any.
    pub fn observe(&mut self, score: f64, time_ms: i64) -> Option<Transition> {
        self.last_score = score;
        if score > self.rules.threshold {
            if !self.condition {
                self.on_since = Some(time_ms);
            }
            self.condition = true;
        } else if score < self.rules.threshold * self.rules.clear_ratio {
            self.condition = false;
            self.on_since = None;
        }
        let next = match (self.state, self.condition) {
            (AlarmState::Normal, true) => {
                if self.held_long_enough(time_ms) {
                    AlarmState::Active
                } else {
                    AlarmState::Pending
                }
            }
            (AlarmState::Pending, true) if self.held_long_enough(time_ms) => AlarmState::Active,
            (AlarmState::Pending, false) => AlarmState::Normal,
            (AlarmState::Active, false) if !self.rules.latching => AlarmState::Normal,
            (AlarmState::Acknowledged, false) => AlarmState::Normal,
            (state, _) => state,
        };
        self.enter(next, time_ms)
    }

    /// An operator's acknowledgement at `time_ms`.
    pub fn acknowledge(&mut self, time_ms: i64) -> Result<Transition, AckError> {
        if self.state != AlarmState::Active {
            return Err(AckError::NotActive(self.state));
        }
        let next = if self.condition {
            AlarmState::Acknowledged
        } else {
            AlarmState::Normal
        };
        self.state = next;
        Ok(self.transition(time_ms))
    }

    fn held_long_enough(&self, time_ms: i64) -> bool {
        self.on_since
            .is_some_and(|since| time_ms - since >= self.rules.min_duration_ms)
    }

    fn enter(&mut self, next: AlarmState, time_ms: i64) -> Option<Transition> {
        if next == self.state {
            return None;
        }
        self.state = next;
        Some(self.transition(time_ms))
    }

    fn transition(&self, time_ms: i64) -> Transition {
        Transition {
            state: self.state,
            time_ms,
            active_since_ms: self.on_since,
            score: self.last_score,
        }
    }
}

#[cfg(test)]
mod tests;
