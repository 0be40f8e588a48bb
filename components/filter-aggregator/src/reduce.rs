//! The reduction stage: decides whether a reading reaches the filtered topic (quality filter,
//! deadband with heartbeat, change-only, rate limit).

use crate::rule::Reduction;
use edge_model::{Quality, Reading, Value};

/// What was last published for a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    value: Option<Value>,
    quality: Quality,
    t: i64,
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
        value: reading.value().cloned(),
        quality: reading.quality(),
        t,
    });
    Ok(())
}

/// Whether the value moved enough to publish under the rule's deadband or change-only.
fn moved(rule: &Reduction, prev: Option<&Value>, now: Option<&Value>) -> bool {
    let banded = rule.deadband_abs.is_some() || rule.deadband_pct.is_some();
    if !banded && !rule.change_only {
        return true;
    }
    match (prev.and_then(Value::as_f64), now.and_then(Value::as_f64)) {
        (Some(a), Some(b)) if banded => {
            let diff = (b - a).abs();
            rule.deadband_abs.is_some_and(|band| diff > band)
                || rule
                    .deadband_pct
                    .is_some_and(|pct| diff > pct / 100.0 * a.abs())
        }
        _ => prev != now,
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
