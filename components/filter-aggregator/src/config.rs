//! Configuration as deployed: rules keyed by id, windows keyed by id, units in names, lenient
//! numbers. Validation into the working form is in `validate.rs`.

use component_kit::lenient::{self, Lenient, option};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The component configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct FilterAggregatorConfig {
    /// Local topic filter the raw reading batches come from. Default `factory/raw/+`.
    pub input_topic: String,
    /// What happens to a reading no rule selects: `pass` (published unchanged, the default) or
    /// `drop`.
    pub unmatched: String,
    /// How often open windows are closed by the gateway clock, ms (≥ 10). Default 1000.
    #[serde(deserialize_with = "lenient::u64")]
    pub tick_interval_ms: u64,
    /// A rule that selected no reading for this long gets one warning, ms (0 = never). Default
    /// 300000.
    #[serde(deserialize_with = "lenient::u64")]
    pub idle_rule_warning_ms: u64,
    /// Rules keyed by rule id. A reading is handled by the first rule that selects it, by
    /// ascending `priority`, then by id.
    pub rules: BTreeMap<String, RuleConfig>,
}

/// One rule: which points it selects and what it does to them, in order: validate, convert,
/// reduce, aggregate.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct RuleConfig {
    /// Lower runs first. Default 100.
    #[serde(deserialize_with = "lenient::i64")]
    pub priority: i64,
    /// Glob on the device id (`*` any run, `?` one character). Default `*`.
    pub devices: String,
    /// Glob on the point name. Default `*`.
    pub points: String,
    /// Type, range and timestamp checks.
    pub validate: ValidateConfig,
    /// Unit conversion, applied after validation.
    pub convert: Option<ConvertConfig>,
    /// Publish only when the value moved by more than this.
    pub deadband: Option<DeadbandConfig>,
    /// Publish at least this often even without change, ms (0 = off). Default 0.
    #[serde(deserialize_with = "lenient::u64")]
    pub heartbeat_ms: u64,
    /// Publish only when the value or quality changed. Default false.
    #[serde(deserialize_with = "lenient::bool")]
    pub change_only: bool,
    /// Publish a point at most once per this many ms (0 = no limit). Default 0.
    #[serde(deserialize_with = "lenient::u64")]
    pub min_interval_ms: u64,
    /// `pass` (default) or `drop` readings of quality bad.
    pub bad_quality: String,
    /// Windowed aggregates keyed by window id.
    pub windows: BTreeMap<String, WindowConfig>,
}

impl Default for RuleConfig {
    fn default() -> Self {
        Self {
            priority: 100,
            devices: "*".to_owned(),
            points: "*".to_owned(),
            validate: ValidateConfig::default(),
            convert: None,
            deadband: None,
            heartbeat_ms: 0,
            change_only: false,
            min_interval_ms: 0,
            bad_quality: "pass".to_owned(),
            windows: BTreeMap::new(),
        }
    }
}

/// Checks on each reading; a failed check sends the reading to the dead-letter topic.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ValidateConfig {
    /// Expected value type: `any` (default), `number`, `integer`, `bool` or `string`.
    #[serde(rename = "type")]
    pub value_type: String,
    /// Smallest accepted number, in the unit the reading arrives in.
    #[serde(deserialize_with = "option::f64")]
    pub min: Option<f64>,
    /// Largest accepted number, in the unit the reading arrives in.
    #[serde(deserialize_with = "option::f64")]
    pub max: Option<f64>,
    /// `reject` (default) or `clamp` (to the range, quality uncertain) a number out of range.
    pub out_of_range: String,
    /// Reject readings whose timestamp is older than this, ms.
    #[serde(deserialize_with = "option::u64")]
    pub max_age_ms: Option<u64>,
    /// Reject readings whose timestamp is ahead of the gateway clock by more than this, ms.
    #[serde(deserialize_with = "option::u64")]
    pub max_future_ms: Option<u64>,
}

impl Default for ValidateConfig {
    fn default() -> Self {
        Self {
            value_type: "any".to_owned(),
            min: None,
            max: None,
            out_of_range: "reject".to_owned(),
            max_age_ms: None,
            max_future_ms: None,
        }
    }
}

/// Unit conversion of numeric values (see `units.rs` for the table).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ConvertConfig {
    /// Unit assumed when a reading names none.
    pub from: Option<String>,
    /// Unit to convert to.
    pub to: String,
}

/// Deadband: a number is published when it moved by more than `absolute` or by more than
/// `percent` of the last published value; either may be left out.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct DeadbandConfig {
    /// Absolute band, in the unit after conversion.
    #[serde(deserialize_with = "option::f64")]
    pub absolute: Option<f64>,
    /// Band in percent of the last published value.
    #[serde(deserialize_with = "option::f64")]
    pub percent: Option<f64>,
}

/// One windowed aggregate.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct WindowConfig {
    /// `tumbling` (default) or `sliding`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Window length, ms (≥ 1).
    #[serde(deserialize_with = "lenient::u64")]
    pub length_ms: u64,
    /// Sliding windows: a new window starts every `hopMs` (divides `lengthMs`).
    #[serde(deserialize_with = "option::u64")]
    pub hop_ms: Option<u64>,
    /// Readings this late (by timestamp) still land in their window, ms. Default 0.
    #[serde(deserialize_with = "lenient::u64")]
    pub grace_ms: u64,
    /// Statistics: `count`, `min`, `max`, `mean`, `stddev`, `first`, `last`, `stateDurations`.
    /// Default count, min, max, mean.
    pub stats: Vec<String>,
    /// Percentiles to compute, each in (0, 100].
    pub percentiles: Vec<Lenient<f64>>,
    /// For `stateDurations`: a reading's value as text (`"true"`, `"1"`, `"RUN"`) → state name.
    /// Values not listed count under their own text.
    pub states: BTreeMap<String, String>,
}

impl Default for WindowConfig {
    fn default() -> Self {
        Self {
            kind: "tumbling".to_owned(),
            length_ms: 60_000,
            hop_ms: None,
            grace_ms: 0,
            stats: ["count", "min", "max", "mean"].map(str::to_owned).to_vec(),
            percentiles: Vec::new(),
            states: BTreeMap::new(),
        }
    }
}

impl Default for FilterAggregatorConfig {
    /// Rules for the simulated PLC of the Modbus adapter's default configuration; the recipe's
    /// DefaultConfiguration is the same.
    fn default() -> Self {
        let temperature = RuleConfig {
            priority: 10,
            points: "temperature".to_owned(),
            validate: ValidateConfig {
                value_type: "number".to_owned(),
                min: Some(-40.0),
                max: Some(200.0),
                max_age_ms: Some(300_000),
                max_future_ms: Some(5_000),
                ..ValidateConfig::default()
            },
            deadband: Some(DeadbandConfig {
                absolute: Some(0.5),
                percent: None,
            }),
            heartbeat_ms: 60_000,
            windows: BTreeMap::from([(
                "1m".to_owned(),
                WindowConfig {
                    grace_ms: 5_000,
                    stats: ["count", "min", "max", "mean", "stddev", "first", "last"]
                        .map(str::to_owned)
                        .to_vec(),
                    percentiles: vec![Lenient(95.0)],
                    ..WindowConfig::default()
                },
            )]),
            ..RuleConfig::default()
        };
        let running = RuleConfig {
            priority: 20,
            points: "running".to_owned(),
            change_only: true,
            heartbeat_ms: 60_000,
            windows: BTreeMap::from([(
                "1m".to_owned(),
                WindowConfig {
                    grace_ms: 5_000,
                    stats: vec!["count".to_owned(), "stateDurations".to_owned()],
                    states: BTreeMap::from([
                        ("true".to_owned(), "running".to_owned()),
                        ("false".to_owned(), "idle".to_owned()),
                    ]),
                    ..WindowConfig::default()
                },
            )]),
            ..RuleConfig::default()
        };
        Self {
            input_topic: "factory/raw/+".to_owned(),
            unmatched: "pass".to_owned(),
            tick_interval_ms: 1000,
            idle_rule_warning_ms: 300_000,
            rules: BTreeMap::from([
                ("temperature".to_owned(), temperature),
                ("running".to_owned(), running),
            ]),
        }
    }
}
