//! The reduction stage: decides whether a reading reaches the filtered topic (quality filter,
//! deadband with heartbeat, change-only, rate limit).

use crate::rule::Reduction;
use edge_model::{Quality, Reading, Value};

/// What was last published for a point, in 24 bytes (one per point, and points are many): the
/// value as bits with its kind, the quality and the timestamp. A text value is kept in
/// [`Texts`] and the bits hold its index there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Published {
    t: i64,
    bits: u64,
    kind: Kind,
    quality: Quality,
}

/// What `Published::bits` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Nothing published yet.
    Never = 0,
    /// Published a reading without a value (a failed read).
    NoValue,
    Float,
    Int,
    Bool,
    Text,
}

impl Default for Published {
    fn default() -> Self {
        Self {
            t: 0,
            bits: 0,
            kind: Kind::Never,
            quality: Quality::Good,
        }
    }
}

/// The text values last published, for the few points that publish text; a slot is reused by
/// its point and freed when the point's last value is no longer text.
#[derive(Debug, Default)]
pub struct Texts {
    slots: Vec<Box<str>>,
    free: Vec<u32>,
}

impl Texts {
    fn get(&self, index: u64) -> &str {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.slots.get(i))
            .map_or("", |s| s)
    }

    /// Stores `text` for a point whose last value is `last`; returns the slot.
    fn store(&mut self, last: &Published, text: &str) -> u64 {
        if last.kind == Kind::Text
            && let Some(slot) = usize::try_from(last.bits)
                .ok()
                .and_then(|i| self.slots.get_mut(i))
        {
            *slot = Box::from(text);
            return last.bits;
        }
        if let Some(i) = self.free.pop()
            && let Some(slot) = self.slots.get_mut(i as usize)
        {
            *slot = Box::from(text);
            return u64::from(i);
        }
        self.slots.push(Box::from(text));
        (self.slots.len() - 1) as u64
    }

    /// Frees the text slot of `last`, if it holds one (its point starts afresh or publishes
    /// something else).
    pub fn release(&mut self, last: &Published) {
        if last.kind == Kind::Text
            && let Some(slot) = usize::try_from(last.bits)
                .ok()
                .and_then(|i| self.slots.get_mut(i))
        {
            *slot = Box::from("");
            self.free.push(u32::try_from(last.bits).unwrap_or(u32::MAX));
        }
    }
}

impl Published {
    /// The timestamp, the value bits, and the kind and quality in five bits (for a caller
    /// that packs them with its own fields).
    pub fn pack(self) -> (i64, u64, u8) {
        let kind = self.kind as u8;
        let quality = match self.quality {
            Quality::Good => 0,
            Quality::Uncertain => 1,
            Quality::Bad => 2,
        };
        (self.t, self.bits, kind << 2 | quality)
    }

    /// What [`Published::pack`] gave.
    pub fn unpack(t: i64, bits: u64, code: u8) -> Self {
        let kind = match code >> 2 {
            1 => Kind::NoValue,
            2 => Kind::Float,
            3 => Kind::Int,
            4 => Kind::Bool,
            5 => Kind::Text,
            _ => Kind::Never,
        };
        let quality = match code & 3 {
            1 => Quality::Uncertain,
            2 => Quality::Bad,
            _ => Quality::Good,
        };
        Self {
            t,
            bits,
            kind,
            quality,
        }
    }

    fn record(&mut self, texts: &mut Texts, value: Option<&Value>, quality: Quality, t: i64) {
        let (kind, bits) = match value {
            None => (Kind::NoValue, 0),
            Some(Value::Float(x)) => (Kind::Float, x.to_bits()),
            Some(Value::Int(i)) => (Kind::Int, *i as u64),
            Some(Value::Bool(b)) => (Kind::Bool, u64::from(*b)),
            Some(Value::Text(s)) => (Kind::Text, texts.store(self, s)),
        };
        if kind != Kind::Text {
            texts.release(self);
        }
        *self = Self {
            t,
            bits,
            kind,
            quality,
        };
    }

    fn as_f64(&self) -> Option<f64> {
        match self.kind {
            Kind::Float => Some(f64::from_bits(self.bits)),
            Kind::Int => Some(self.bits as i64 as f64),
            _ => None,
        }
    }

    /// Equality of the values as `Value`'s own (both present).
    fn same_value(&self, texts: &Texts, value: &Value) -> bool {
        match (self.kind, value) {
            (Kind::Float, Value::Float(b)) => f64::from_bits(self.bits) == *b,
            (Kind::Int, Value::Int(b)) => self.bits as i64 == *b,
            (Kind::Bool, Value::Bool(b)) => (self.bits != 0) == *b,
            (Kind::Text, Value::Text(b)) => texts.get(self.bits) == b.as_str(),
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
    last: &mut Published,
    texts: &mut Texts,
    reading: &Reading,
    t: i64,
) -> Result<(), Held> {
    if rule.drop_bad && reading.quality() == Quality::Bad {
        return Err(Held::BadQuality);
    }
    if last.kind != Kind::Never {
        let since = t.saturating_sub(last.t);
        if rule.min_interval_ms > 0 && since < rule.min_interval_ms {
            return Err(Held::RateLimited);
        }
        let heartbeat_due = rule.heartbeat_ms.is_some_and(|h| since >= h);
        if !heartbeat_due
            && last.quality == reading.quality()
            && !moved(rule, last, texts, reading.value())
        {
            return Err(Held::NoChange);
        }
    }
    last.record(texts, reading.value(), reading.quality(), t);
    Ok(())
}

/// Whether the value moved enough to publish under the rule's deadband or change-only.
fn moved(rule: &Reduction, prev: &Published, texts: &Texts, now: Option<&Value>) -> bool {
    let banded = rule.deadband_abs.is_some() || rule.deadband_pct.is_some();
    if !banded && !rule.change_only {
        return true;
    }
    match (prev.as_f64(), now.and_then(Value::as_f64)) {
        (Some(a), Some(b)) if banded => {
            let diff = (b - a).abs();
            rule.deadband_abs.is_some_and(|band| diff > band)
                || rule
                    .deadband_pct
                    .is_some_and(|pct| diff > pct / 100.0 * a.abs())
        }
        _ => match now {
            Some(b) => prev.kind == Kind::NoValue || !prev.same_value(texts, b),
            None => prev.kind != Kind::NoValue,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge_model::{DeviceId, Source};

    #[test]
    fn packing_keeps_every_kind_and_quality() {
        let mut texts = Texts::default();
        let values = [
            None,
            Some(Value::Float(2.5)),
            Some(Value::Int(-3)),
            Some(Value::Bool(true)),
            Some(Value::Text("RUN".into())),
        ];
        for value in &values {
            for quality in [Quality::Good, Quality::Uncertain, Quality::Bad] {
                let mut last = Published::default();
                last.record(&mut texts, value.as_ref(), quality, 42);
                let (t, bits, code) = last.pack();
                assert!(code < 32);
                assert_eq!(Published::unpack(t, bits, code), last);
            }
        }
        let (t, bits, code) = Published::default().pack();
        assert_eq!(Published::unpack(t, bits, code), Published::default());
    }

    fn reading(x: f64, quality: Quality) -> Reading {
        Reading::new(Source::new(DeviceId::new("d").unwrap(), "p"), x, quality, 0)
    }

    fn rule() -> Reduction {
        Reduction::default()
    }

    #[test]
    fn percent_deadband_is_relative_to_the_last_published_value() {
        let rule = Reduction {
            deadband_pct: Some(10.0),
            ..rule()
        };
        let (mut last, mut texts) = (Published::default(), Texts::default());
        assert_eq!(
            decide(
                &rule,
                &mut last,
                &mut texts,
                &reading(100.0, Quality::Good),
                0
            ),
            Ok(())
        );
        assert_eq!(
            decide(
                &rule,
                &mut last,
                &mut texts,
                &reading(109.0, Quality::Good),
                1
            ),
            Err(Held::NoChange)
        );
        assert_eq!(
            decide(
                &rule,
                &mut last,
                &mut texts,
                &reading(111.0, Quality::Good),
                2
            ),
            Ok(())
        );
    }

    #[test]
    fn a_quality_change_is_always_published_and_bad_can_be_dropped() {
        let rule = Reduction {
            change_only: true,
            ..rule()
        };
        let (mut last, mut texts) = (Published::default(), Texts::default());
        assert_eq!(
            decide(
                &rule,
                &mut last,
                &mut texts,
                &reading(1.0, Quality::Good),
                0
            ),
            Ok(())
        );
        assert_eq!(
            decide(
                &rule,
                &mut last,
                &mut texts,
                &reading(1.0, Quality::Uncertain),
                1
            ),
            Ok(())
        );
        let dropping = Reduction {
            drop_bad: true,
            ..rule
        };
        assert_eq!(
            decide(
                &dropping,
                &mut last,
                &mut texts,
                &reading(1.0, Quality::Bad),
                2
            ),
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
        let (mut last, mut texts) = (Published::default(), Texts::default());
        assert_eq!(
            decide(&rule, &mut last, &mut texts, &text("RUN"), 0),
            Ok(())
        );
        assert_eq!(
            decide(&rule, &mut last, &mut texts, &text("RUN"), 1),
            Err(Held::NoChange)
        );
        assert_eq!(
            decide(&rule, &mut last, &mut texts, &text("STOP"), 2),
            Ok(())
        );
        assert_eq!(
            decide(
                &rule,
                &mut last,
                &mut texts,
                &reading(1.0, Quality::Good),
                3
            ),
            Ok(())
        );
    }

    #[test]
    fn the_rate_limit_holds_back_even_changed_values() {
        let rule = Reduction {
            min_interval_ms: 1000,
            ..rule()
        };
        let (mut last, mut texts) = (Published::default(), Texts::default());
        assert_eq!(
            decide(
                &rule,
                &mut last,
                &mut texts,
                &reading(1.0, Quality::Good),
                0
            ),
            Ok(())
        );
        assert_eq!(
            decide(
                &rule,
                &mut last,
                &mut texts,
                &reading(2.0, Quality::Good),
                999
            ),
            Err(Held::RateLimited)
        );
        assert_eq!(
            decide(
                &rule,
                &mut last,
                &mut texts,
                &reading(3.0, Quality::Good),
                1000
            ),
            Ok(())
        );
    }

    #[test]
    fn text_slots_are_reused_and_freed_when_the_value_is_no_longer_text() {
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
        let (mut last, mut texts) = (Published::default(), Texts::default());
        for (t, v) in ["A", "B", "C"].into_iter().enumerate() {
            assert_eq!(
                decide(&rule, &mut last, &mut texts, &text(v), t as i64),
                Ok(())
            );
        }
        assert_eq!((texts.slots.len(), texts.get(last.bits)), (1, "C"));
        assert_eq!(
            decide(
                &rule,
                &mut last,
                &mut texts,
                &reading(1.0, Quality::Good),
                3
            ),
            Ok(())
        );
        assert_eq!(texts.free, vec![0]);
        let mut other = Published::default();
        assert_eq!(decide(&rule, &mut other, &mut texts, &text("D"), 4), Ok(()));
        assert_eq!((texts.slots.len(), texts.get(other.bits)), (1, "D"));
        assert!(texts.free.is_empty());
        assert_eq!(std::mem::size_of::<Published>(), 24);
    }
}
