//! Settings from the function's environment (the template's `Environment.Variables`).

use std::time::Duration;
use thiserror::Error;

/// Everything the handler needs to know about its surroundings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// DynamoDB table of device metadata (`DEVICE_TABLE`).
    pub device_table: String,
    /// DynamoDB table of processed record ids (`DEDUP_TABLE`); `None` de-duplicates within one
    /// invocation only.
    pub dedup_table: Option<String>,
    /// How long a processed record id is remembered (`DEDUP_TTL_HOURS`, default 48; longer than
    /// the stream's retention in Development, and than any gateway outage the queue rides out
    /// in practice).
    pub dedup_ttl: Duration,
    /// Bucket of enriched readings and dead letters (`PROCESSED_BUCKET`).
    pub processed_bucket: String,
    /// Key prefix of enriched readings (`READINGS_PREFIX`, default `readings/`), the Glue
    /// table's location.
    pub readings_prefix: String,
    /// Key prefix of rejected records (`DEAD_LETTER_PREFIX`, default `dead-letter/`).
    pub dead_letter_prefix: String,
    /// SiteWise property alias template (`SITEWISE_ALIAS_TEMPLATE`, `{device}` and `{point}`);
    /// empty or unset turns SiteWise off.
    pub sitewise_alias_template: Option<String>,
    /// How long device metadata is cached (`METADATA_CACHE_SECONDS`, default 300).
    pub metadata_ttl: Duration,
}

/// A setting that is missing or unreadable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SettingsError {
    /// A required variable is unset or empty.
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    /// A number could not be read.
    #[error("environment variable {name} must be a whole number, got {value:?}")]
    NotANumber {
        /// The variable.
        name: &'static str,
        /// What it held.
        value: String,
    },
}

impl Settings {
    /// Reads the process environment.
    ///
    /// # Errors
    ///
    /// [`SettingsError`] naming the variable.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `get` (the environment, or a map in tests).
    ///
    /// # Errors
    ///
    /// [`SettingsError`] naming the variable.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let text = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| text(name).ok_or(SettingsError::Missing(name));
        let number = |name: &'static str, default: u64| match text(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| SettingsError::NotANumber {
                name,
                value: v.clone(),
            }),
        };
        Ok(Self {
            device_table: required("DEVICE_TABLE")?,
            dedup_table: text("DEDUP_TABLE"),
            dedup_ttl: Duration::from_secs(number("DEDUP_TTL_HOURS", 48)? * 3600),
            processed_bucket: required("PROCESSED_BUCKET")?,
            readings_prefix: prefix(text("READINGS_PREFIX"), "readings/"),
            dead_letter_prefix: prefix(text("DEAD_LETTER_PREFIX"), "dead-letter/"),
            sitewise_alias_template: text("SITEWISE_ALIAS_TEMPLATE"),
            metadata_ttl: Duration::from_secs(number("METADATA_CACHE_SECONDS", 300)?),
        })
    }
}

/// A key prefix that ends in `/`.
fn prefix(value: Option<String>, default: &str) -> String {
    let mut p = value.unwrap_or_else(|| default.to_owned());
    if !p.ends_with('/') {
        p.push('/');
    }
    p
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_fill_what_the_template_leaves_out() {
        let s = from(&[("DEVICE_TABLE", "t"), ("PROCESSED_BUCKET", "b")]).unwrap();
        assert_eq!(s.readings_prefix, "readings/");
        assert_eq!(s.dead_letter_prefix, "dead-letter/");
        assert_eq!(s.dedup_table, None);
        assert_eq!(s.sitewise_alias_template, None);
        assert_eq!(s.metadata_ttl, Duration::from_secs(300));
        assert_eq!(s.dedup_ttl, Duration::from_secs(48 * 3600));
    }

    #[test]
    fn a_missing_table_or_a_bad_number_is_named() {
        assert_eq!(
            from(&[("PROCESSED_BUCKET", "b")]),
            Err(SettingsError::Missing("DEVICE_TABLE"))
        );
        let err = from(&[
            ("DEVICE_TABLE", "t"),
            ("PROCESSED_BUCKET", "b"),
            ("METADATA_CACHE_SECONDS", "5m"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("METADATA_CACHE_SECONDS"));
    }

    #[test]
    fn prefixes_end_in_a_slash() {
        let s = from(&[
            ("DEVICE_TABLE", "t"),
            ("PROCESSED_BUCKET", "b"),
            ("READINGS_PREFIX", "lake/readings"),
        ])
        .unwrap();
        assert_eq!(s.readings_prefix, "lake/readings/");
    }
}
