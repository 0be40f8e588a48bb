//! The validated form of a rule: what `validate.rs` builds and the engine runs.

use crate::config::RuleConfig;
use crate::units::Conversion;
use component_kit::Glob;
use std::sync::Arc;

/// Which value type a rule expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Anything.
    Any,
    /// A float or an integer.
    Number,
    /// An integer.
    Integer,
    /// A boolean.
    Bool,
    /// A string.
    Text,
}

/// Type, range and timestamp checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Checks {
    /// Expected value type.
    pub kind: ValueKind,
    /// Smallest accepted number.
    pub min: Option<f64>,
    /// Largest accepted number.
    pub max: Option<f64>,
    /// Clamp to the range (quality uncertain) instead of rejecting.
    pub clamp: bool,
    /// Oldest accepted timestamp, ms before the gateway clock.
    pub max_age_ms: Option<i64>,
    /// Furthest accepted timestamp, ms after the gateway clock.
    pub max_future_ms: Option<i64>,
}

/// Unit conversion of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Convert {
    /// Unit assumed when the reading names none.
    pub from: Option<String>,
    /// Target unit (canonical name).
    pub to: &'static str,
    /// Conversion from `from`, prepared once.
    pub from_conversion: Option<Conversion>,
}

/// What reaches the filtered topic; the default passes every reading.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reduction {
    /// Absolute deadband.
    pub deadband_abs: Option<f64>,
    /// Deadband in percent of the last published value.
    pub deadband_pct: Option<f64>,
    /// Publish at least this often, ms.
    pub heartbeat_ms: Option<i64>,
    /// Publish only changes.
    pub change_only: bool,
    /// At most one publication per this many ms.
    pub min_interval_ms: i64,
    /// Drop readings of quality bad.
    pub drop_bad: bool,
}

/// Statistics a window reports, as bit flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatSet(u8);

impl StatSet {
    /// Smallest value.
    pub const MIN: Self = Self(1);
    /// Largest value.
    pub const MAX: Self = Self(2);
    /// Mean.
    pub const MEAN: Self = Self(4);
    /// Population standard deviation.
    pub const STDDEV: Self = Self(8);
    /// First value by timestamp.
    pub const FIRST: Self = Self(16);
    /// Last value by timestamp.
    pub const LAST: Self = Self(32);
    /// Time spent in each state.
    pub const STATES: Self = Self(64);

    /// This set and `other`.
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether any of `other` is in.
    pub fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// Adds `other`.
    pub fn insert(&mut self, other: Self) {
        self.0 |= other.0;
    }

    /// Whether all of `other` is in.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flag for a statistic's config name; `count` is always reported and maps to none.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "count" => Self(0),
            "min" => Self::MIN,
            "max" => Self::MAX,
            "mean" => Self::MEAN,
            "stddev" => Self::STDDEV,
            "first" => Self::FIRST,
            "last" => Self::LAST,
            "stateDurations" => Self::STATES,
            _ => return None,
        })
    }
}

/// One window of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSpec {
    /// Window id, from the configuration.
    pub id: String,
    /// Length, ms.
    pub length_ms: i64,
    /// Distance between window starts, ms; equal to the length for tumbling windows.
    pub hop_ms: i64,
    /// Lateness still accepted, ms.
    pub grace_ms: i64,
    /// Statistics reported.
    pub stats: StatSet,
    /// Percentiles reported, each in (0, 100].
    pub percentiles: Vec<f64>,
    /// Value text → state name, for state durations.
    pub states: Vec<(String, String)>,
}

/// A validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Rule id (used in metrics, aggregates and dead letters).
    pub id: Arc<str>,
    /// The configuration it came from; an unchanged one keeps its state across reloads.
    pub source: RuleConfig,
    /// Device selector.
    pub devices: Glob,
    /// Point selector.
    pub points: Glob,
    /// Validation.
    pub checks: Checks,
    /// Unit conversion.
    pub convert: Option<Convert>,
    /// Reduction.
    pub reduction: Reduction,
    /// Windowed aggregates.
    pub windows: Vec<WindowSpec>,
}

impl Rule {
    /// Whether the rule selects this point.
    pub fn selects(&self, device: &str, point: &str) -> bool {
        self.devices.matches(device) && self.points.matches(point)
    }
}
