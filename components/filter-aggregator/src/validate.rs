//! From the deployed configuration to rules the engine runs. Each rule is checked on its own:
//! a bad rule is left out with one error naming its key, and the others still run.

use crate::config::{FilterAggregatorConfig, RuleConfig, WindowConfig};
use crate::engine::MAX_RULES;
use crate::rule::{Checks, Convert, Reduction, Rule, StatSet, ValueKind, WindowSpec};
use crate::units::{self, Conversion};
use component_kit::ConfigError;
use component_kit::Glob;
use edge_model::TopicFilter;
use std::sync::Arc;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct FilterAggregator {
    /// Where raw batches come from.
    pub input_topic: TopicFilter,
    /// Whether readings no rule selects are published unchanged.
    pub pass_unmatched: bool,
    /// Window closing period, ms.
    pub tick_interval_ms: u64,
    /// Idle-rule warning delay, ms (0 = never).
    pub idle_rule_warning_ms: u64,
    /// Usable rules, in evaluation order.
    pub rules: Vec<Rule>,
    /// Rules left out, with the reason.
    pub rejected: Vec<ConfigError>,
}

/// Validates the configuration; a bad rule is only left out, a bad top-level key fails.
pub fn validate(config: FilterAggregatorConfig) -> Result<FilterAggregator, ConfigError> {
    let input_topic = TopicFilter::new(config.input_topic.as_str())
        .map_err(|e| ConfigError::new("inputTopic", e.to_string()))?;
    let pass_unmatched = match config.unmatched.as_str() {
        "pass" => true,
        "drop" => false,
        other => {
            return Err(ConfigError::new(
                "unmatched",
                format!("must be pass or drop, not {other:?}"),
            ));
        }
    };
    if config.tick_interval_ms < 10 {
        return Err(ConfigError::new("tickIntervalMs", "must be at least 10"));
    }
    let mut rules = Vec::new();
    let mut rejected = Vec::new();
    for (id, rule) in config.rules {
        match validate_rule(&id, rule) {
            Ok(rule) => rules.push(rule),
            Err(e) => rejected.push(e.at(&format!("rules.{id}"))),
        }
    }
    rules.sort_by(|a, b| (a.source.priority, &a.id).cmp(&(b.source.priority, &b.id)));
    // Points keep their rule index in 16 bits; rules past that are left out, each named.
    for extra in rules.drain(rules.len().min(MAX_RULES)..) {
        rejected.push(ConfigError::new(
            format!("rules.{}", extra.id),
            format!("more than {MAX_RULES} rules; this one (by priority) is left out"),
        ));
    }
    Ok(FilterAggregator {
        input_topic,
        pass_unmatched,
        tick_interval_ms: config.tick_interval_ms,
        idle_rule_warning_ms: config.idle_rule_warning_ms,
        rules,
        rejected,
    })
}

/// Validates one rule; error paths are relative to the rule.
pub fn validate_rule(id: &str, config: RuleConfig) -> Result<Rule, ConfigError> {
    let v = &config.validate;
    let kind = match v.value_type.as_str() {
        "any" => ValueKind::Any,
        "number" => ValueKind::Number,
        "integer" => ValueKind::Integer,
        "bool" => ValueKind::Bool,
        "string" => ValueKind::Text,
        other => {
            return Err(ConfigError::new(
                "validate.type",
                format!("must be any, number, integer, bool or string, not {other:?}"),
            ));
        }
    };
    if let (Some(min), Some(max)) = (v.min, v.max)
        && min > max
    {
        return Err(ConfigError::new(
            "validate.min",
            format!("{min} is above max {max}"),
        ));
    }
    let clamp = match v.out_of_range.as_str() {
        "reject" => false,
        "clamp" => true,
        other => {
            return Err(ConfigError::new(
                "validate.outOfRange",
                format!("must be reject or clamp, not {other:?}"),
            ));
        }
    };
    let checks = Checks {
        kind,
        min: v.min,
        max: v.max,
        clamp,
        max_age_ms: v.max_age_ms.map(to_i64),
        max_future_ms: v.max_future_ms.map(to_i64),
    };
    let convert = config.convert.as_ref().map(validate_convert).transpose()?;
    let reduction = validate_reduction(&config)?;
    let mut windows = Vec::new();
    for (window_id, window) in &config.windows {
        windows.push(
            validate_window(window_id, window)
                .map_err(|e| e.at(&format!("windows.{window_id}")))?,
        );
    }
    Ok(Rule {
        id: Arc::from(id),
        devices: Glob::new(&config.devices),
        points: Glob::new(&config.points),
        checks,
        convert,
        reduction,
        windows,
        source: config,
    })
}

fn validate_convert(c: &crate::config::ConvertConfig) -> Result<Convert, ConfigError> {
    if !units::is_known(&c.to) {
        return Err(ConfigError::new(
            "convert.to",
            format!("unknown unit {:?}", c.to),
        ));
    }
    let from_conversion = c
        .from
        .as_deref()
        .map(|from| Conversion::between(from, &c.to))
        .transpose()
        .map_err(|e| ConfigError::new("convert.from", e.to_string()))?;
    let to = Conversion::between(&c.to, &c.to)
        .map_err(|e| ConfigError::new("convert.to", e.to_string()))?
        .to_unit();
    Ok(Convert {
        from: c.from.clone(),
        to,
        from_conversion,
    })
}

fn validate_reduction(config: &RuleConfig) -> Result<Reduction, ConfigError> {
    let (abs, pct) = match &config.deadband {
        Some(d) => (d.absolute, d.percent),
        None => (None, None),
    };
    for (key, band) in [("deadband.absolute", abs), ("deadband.percent", pct)] {
        if band.is_some_and(|b| b < 0.0) {
            return Err(ConfigError::new(key, "must not be negative"));
        }
    }
    let drop_bad = match config.bad_quality.as_str() {
        "pass" => false,
        "drop" => true,
        other => {
            return Err(ConfigError::new(
                "badQuality",
                format!("must be pass or drop, not {other:?}"),
            ));
        }
    };
    Ok(Reduction {
        deadband_abs: abs,
        deadband_pct: pct,
        heartbeat_ms: (config.heartbeat_ms > 0).then(|| to_i64(config.heartbeat_ms)),
        change_only: config.change_only,
        min_interval_ms: to_i64(config.min_interval_ms),
        drop_bad,
    })
}

/// Longest window accepted: one week. Longer windows belong in the cloud.
const MAX_WINDOW_MS: u64 = 7 * 24 * 3_600_000;
/// Most windows one reading may fall in (length / hop): bounds the work per reading.
const MAX_PANES_PER_WINDOW: u64 = 1000;

fn validate_window(id: &str, w: &WindowConfig) -> Result<WindowSpec, ConfigError> {
    if w.length_ms == 0 {
        return Err(ConfigError::new(
            "lengthMs",
            "is 0: a window must be at least 1 ms long",
        ));
    }
    if w.length_ms > MAX_WINDOW_MS {
        return Err(ConfigError::new(
            "lengthMs",
            format!("must be at most {MAX_WINDOW_MS} (one week)"),
        ));
    }
    let hop_ms = match (w.kind.as_str(), w.hop_ms) {
        ("tumbling", None) => w.length_ms,
        ("tumbling", Some(_)) => {
            return Err(ConfigError::new("hopMs", "only sliding windows have a hop"));
        }
        ("sliding", None) => {
            return Err(ConfigError::new("hopMs", "a sliding window needs hopMs"));
        }
        ("sliding", Some(hop)) => {
            if hop == 0 || !w.length_ms.is_multiple_of(hop) {
                return Err(ConfigError::new(
                    "hopMs",
                    format!("must be at least 1 and divide lengthMs {}", w.length_ms),
                ));
            }
            if w.length_ms / hop > MAX_PANES_PER_WINDOW {
                return Err(ConfigError::new(
                    "hopMs",
                    format!("lengthMs / hopMs must be at most {MAX_PANES_PER_WINDOW}"),
                ));
            }
            hop
        }
        (other, _) => {
            return Err(ConfigError::new(
                "type",
                format!("must be tumbling or sliding, not {other:?}"),
            ));
        }
    };
    if w.grace_ms > MAX_WINDOW_MS {
        return Err(ConfigError::new(
            "graceMs",
            format!("must be at most {MAX_WINDOW_MS} (one week)"),
        ));
    }
    let mut stats = StatSet::default();
    for name in &w.stats {
        let flag = StatSet::from_name(name).ok_or_else(|| {
            ConfigError::new(
                "stats",
                format!(
                    "unknown statistic {name:?} (count, min, max, mean, stddev, first, last, stateDurations)"
                ),
            )
        })?;
        stats.insert(flag);
    }
    let mut percentiles = Vec::new();
    for p in &w.percentiles {
        let p = p.0;
        if !(p > 0.0 && p <= 100.0) {
            return Err(ConfigError::new(
                "percentiles",
                format!("{p} is not in (0, 100]"),
            ));
        }
        percentiles.push(p);
    }
    if !w.states.is_empty() && !stats.contains(StatSet::STATES) {
        return Err(ConfigError::new(
            "states",
            "states are only used with the stateDurations statistic",
        ));
    }
    Ok(WindowSpec {
        id: id.to_owned(),
        length_ms: to_i64(w.length_ms),
        hop_ms: to_i64(hop_ms),
        grace_ms: to_i64(w.grace_ms),
        stats,
        percentiles,
        states: w.states.clone().into_iter().collect(),
    })
}

fn to_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}
