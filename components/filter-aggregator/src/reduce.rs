//! The reduction stage: decides whether a reading reaches the filtered topic (quality filter,
//! deadband with heartbeat, change-only, rate limit).

use crate::rule::Reduction;
use edge_model::{Quality, Reading, Value};

/// What was last published for a point (32 bytes: one per point, and points are many).
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    value: Option<LastValue>,
    quality: Quality,
    t: i64,
}

/// A published value in two words: text behind a thin pointer (text points are few).
#[derive(Debug, Clone, PartialEq)]
enum LastValue {
    Float(f64),
    Int(i64),
    Bool(bool),
    /// Boxed twice for a thin pointer: one word, where `Box<str>` takes two.
    Text(Box<Box<str>>),
}

impl LastValue {
    fn of(value: &Value) -> Self {
        match value {
            Value::Float(x) => Self::Float(*x),
            Value::Int(i) => Self::Int(*i),
            Value::Bool(b) => Self::Bool(*b),
            Value::Text(s) => Self::Text(Box::new(Box::from(s.as_str()))),
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Float(x) => Some(*x),
            Self::Int(i) => Some(*i as f64),
            Self::Bool(_) | Self::Text(_) => None,
        }
    }

    /// Equality as `Value`'s own.
    fn is(&self, value: &Value) -> bool {
        match (self, value) {
            (Self::Float(a), Value::Float(b)) => a == b,
            (Self::Int(a), Value::Int(b)) => a == b,
            (Self::Bool(a), Value::Bool(b)) => a == b,
            (Self::Text(a), Value::Text(b)) => ***a == **b,
            _ => false,
        }
    }
}

/// Why a reading was held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Quality bad and the rule drops bad readings.
    BadQuality,
    /// Inside the deadband, or unchanged under change-only, and no heartbeat due.
    NoChange,
    /// Published too recently.
    RateLimited,
}

/// Decides about `reading` (timestamp `t`) given the last publication, and records it when
/// it is to be published.
pub fn decide(
    rule: &Reduction,
    last: &mut Option<Published>,
    reading: &Reading,
    t: i64,
) -> Result<(), Held> {
    if rule.drop_bad && reading.quality() == Quality::Bad {
        return Err(Held::BadQuality);
    }
    if let Some(prev) = last.as_ref() {
        let since = t.saturating_sub(prev.t);
        if rule.min_interval_ms > 0 && since < rule.min_interval_ms {
            return Err(Held::RateLimited);
        }
        let heartbeat_due = rule.heartbeat_ms.is_some_and(|h| since >= h);
        if !heartbeat_due
            && prev.quality == reading.quality()
            && !moved(rule, prev.value.as_ref(), reading.value())
        {
            return Err(Held::NoChange);
        }
    }
    *last = Some(Published {
        value: reading.value().map(LastValue::of),
        quality: reading.quality(),
        t,
    });
    Ok(())
}

/// Whether the value moved enough to publish under the rule's deadband or change-only.
fn moved(rule: &Reduction, prev: Option<&LastValue>, now: Option<&Value>) -> bool {
    let banded = rule.deadband_abs.is_some() || rule.deadband_pct.is_some();
    if !banded && !rule.change_only {
        return true;
    }
    match (
        prev.and_then(LastValue::as_f64),
        now.and_then(Value::as_f64),
    ) {
        (Some(a), Some(b)) if banded => {
            let diff = (b - a).abs();
            rule.deadband_abs.is_some_and(|band| diff > band)
                || rule
                    .deadband_pct
                    .is_some_and(|pct| diff > pct / 100.0 * a.abs())
        }
        _ => match (prev, now) {
            (Some(a), Some(b)) => !a.is(b),
            (a, b) => a.is_some() != b.is_some(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge_model::{DeviceId, Source};

    fn reading(x: f64, quality: Quality) -> Reading {
        Reading::new(Source::new(DeviceId::new("d").unwrap(), "p"), x, quality, 0)
    }

    fn rule() -> Reduction {
        Reduction {
            deadband_abs: None,
            deadband_pct: None,
            heartbeat_ms: None,
            change_only: false,
            min_interval_ms: 0,
            drop_bad: false,
        }
    }

    #[test]
    fn percent_deadband_is_relative_to_the_last_published_value() {
        let rule = Reduction {
            deadband_pct: Some(10.0),
            ..rule()
        };
        let mut last = None;
        assert_eq!(
            decide(&rule, &mut last, &reading(100.0, Quality::Good), 0),
            Ok(())
        );
        assert_eq!(
            decide(&rule, &mut last, &reading(109.0, Quality::Good), 1),
            Err(Held::NoChange)
        );
        assert_eq!(
            decide(&rule, &mut last, &reading(111.0, Quality::Good), 2),
            Ok(())
        );
    }

    #[test]
    fn a_quality_change_is_always_published_and_bad_can_be_dropped() {
        let rule = Reduction {
            change_only: true,
            ..rule()
        };
        let mut last = None;
        assert_eq!(
            decide(&rule, &mut last, &reading(1.0, Quality::Good), 0),
            Ok(())
        );
        assert_eq!(
            decide(&rule, &mut last, &reading(1.0, Quality::Uncertain), 1),
            Ok(())
        );
        let dropping = Reduction {
            drop_bad: true,
            ..rule
        };
        assert_eq!(
            decide(&dropping, &mut last, &reading(1.0, Quality::Bad), 2),
            Err(Held::BadQuality)
        );
    }

    #[test]
    fn change_only_compares_values_as_value_does() {
        let rule = Reduction {
            change_only: true,
            ..rule()
        };
        let text = |s: &str| {
            Reading::new(
                Source::new(DeviceId::new("d").unwrap(), "p"),
                s,
                Quality::Good,
                0,
            )
        };
        let mut last = None;
        assert_eq!(decide(&rule, &mut last, &text("RUN"), 0), Ok(()));
        assert_eq!(
            decide(&rule, &mut last, &text("RUN"), 1),
            Err(Held::NoChange)
        );
        assert_eq!(decide(&rule, &mut last, &text("STOP"), 2), Ok(()));
        assert_eq!(
            decide(&rule, &mut last, &reading(1.0, Quality::Good), 3),
            Ok(())
        );
    }

    #[test]
    fn the_rate_limit_holds_back_even_changed_values() {
        let rule = Reduction {
            min_interval_ms: 1000,
            ..rule()
        };
        let mut last = None;
        assert_eq!(
            decide(&rule, &mut last, &reading(1.0, Quality::Good), 0),
            Ok(())
        );
        assert_eq!(
            decide(&rule, &mut last, &reading(2.0, Quality::Good), 999),
            Err(Held::RateLimited)
        );
        assert_eq!(
            decide(&rule, &mut last, &reading(3.0, Quality::Good), 1000),
            Ok(())
        );
    }
}
