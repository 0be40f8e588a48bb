//! Topic filters: what a subscription receives, with MQTT wildcards.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::stream::Stream;
use super::{TOPIC_ROOT, Topic, TopicError, check_common};

/// A topic filter to subscribe with, checked once when made by MQTT 3.1.1/5 rules: not empty,
/// at most [`MAX_TOPIC_BYTES`](super::MAX_TOPIC_BYTES), no NUL; `+` and `#` only as whole
/// levels, and `#` only as the last level. Empty levels are allowed, as in MQTT.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct TopicFilter(String);

impl TopicFilter {
    /// Checks `filter` and wraps it.
    ///
    /// # Errors
    ///
    /// A [`TopicError`] naming the first rule `filter` breaks.
    pub fn new(filter: impl Into<String>) -> Result<Self, TopicError> {
        let filter = filter.into();
        check_filter(&filter)?;
        Ok(Self(filter))
    }

    /// `factory/raw/+`: raw readings of every device.
    pub fn all_readings_raw() -> Self {
        Self::all_of(Stream::Raw)
    }

    /// `factory/filtered/+`: filtered readings of every device.
    pub fn all_readings_filtered() -> Self {
        Self::all_of(Stream::Filtered)
    }

    /// `factory/agg/+`: aggregates of every device.
    pub fn all_aggregates() -> Self {
        Self::all_of(Stream::Aggregates)
    }

    /// `factory/anomaly/+`: anomaly events of every device.
    pub fn all_anomalies() -> Self {
        Self::all_of(Stream::Anomaly)
    }

    /// `factory/alarm/+`: alarm events of every device.
    pub fn all_alarms() -> Self {
        Self::all_of(Stream::Alarm)
    }

    /// `factory/status/+`: status events of every component.
    pub fn all_status() -> Self {
        Self::all_of(Stream::Status)
    }

    /// `factory/command-response/+`: command responses of every component.
    pub fn all_command_responses() -> Self {
        Self::all_of(Stream::CommandResponse)
    }

    /// `factory/dead-letter/+`: dead letters of every component.
    pub fn all_dead_letters() -> Self {
        Self::all_of(Stream::DeadLetter)
    }

    /// `factory/#`: every topic of this project.
    pub fn everything() -> Self {
        Self(format!("{TOPIC_ROOT}/#"))
    }

    /// The filter as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a message published on `topic` reaches a subscription with this filter.
    ///
    /// MQTT rules: a level matches itself; `+` matches exactly one level, empty or not; `#`
    /// matches any number of levels, including none, so `a/#` matches `a`. A filter that
    /// starts with a wildcard does not match a topic that starts with `$` (such as `$aws/…`).
    /// A `topic` that is empty or holds a wildcard is not a topic name and matches nothing.
    pub fn matches(&self, topic: &str) -> bool {
        if topic.is_empty() || topic.contains(['+', '#']) {
            return false;
        }
        if topic.starts_with('$') && self.0.starts_with(['+', '#']) {
            return false;
        }
        let mut filter_levels = self.0.split('/');
        let mut topic_levels = topic.split('/');
        loop {
            match (filter_levels.next(), topic_levels.next()) {
                (Some("#"), _) => return true,
                (None, None) => return true,
                (Some("+"), Some(_)) => {}
                (Some(wanted), Some(level)) if wanted == level => {}
                _ => return false,
            }
        }
    }

    /// `factory/{stream}/+`.
    fn all_of(stream: Stream) -> Self {
        Self(format!("{TOPIC_ROOT}/{}/+", stream.level()))
    }
}

/// Checks the rules of a topic filter.
fn check_filter(filter: &str) -> Result<(), TopicError> {
    check_common(filter)?;
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        let is_last = levels.peek().is_none();
        let well_placed = match level {
            "+" => true,
            "#" => is_last,
            other => !other.contains(['+', '#']),
        };
        if !well_placed {
            return Err(TopicError::MisplacedWildcard {
                filter: filter.to_owned(),
            });
        }
    }
    Ok(())
}

impl From<Topic> for TopicFilter {
    /// The filter that matches exactly `topic`.
    fn from(topic: Topic) -> Self {
        Self(topic.into())
    }
}

impl fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TopicFilter {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for TopicFilter {
    type Err = TopicError;

    fn from_str(filter: &str) -> Result<Self, TopicError> {
        Self::new(filter)
    }
}

impl TryFrom<String> for TopicFilter {
    type Error = TopicError;

    fn try_from(filter: String) -> Result<Self, TopicError> {
        Self::new(filter)
    }
}

impl From<TopicFilter> for String {
    fn from(filter: TopicFilter) -> String {
        filter.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_filters_take_one_level_under_the_root() {
        assert_eq!(TopicFilter::all_readings_raw().as_str(), "factory/raw/+");
        assert_eq!(
            TopicFilter::all_readings_filtered().as_str(),
            "factory/filtered/+"
        );
        assert_eq!(TopicFilter::all_aggregates().as_str(), "factory/agg/+");
        assert_eq!(TopicFilter::all_anomalies().as_str(), "factory/anomaly/+");
        assert_eq!(TopicFilter::all_alarms().as_str(), "factory/alarm/+");
        assert_eq!(TopicFilter::all_status().as_str(), "factory/status/+");
        assert_eq!(
            TopicFilter::all_command_responses().as_str(),
            "factory/command-response/+"
        );
        assert_eq!(
            TopicFilter::all_dead_letters().as_str(),
            "factory/dead-letter/+"
        );
        assert_eq!(TopicFilter::everything().as_str(), "factory/#");
    }

    #[test]
    fn helper_filters_pass_their_own_checks() {
        for filter in [
            TopicFilter::all_readings_raw(),
            TopicFilter::all_dead_letters(),
            TopicFilter::everything(),
        ] {
            assert_eq!(TopicFilter::new(filter.as_str()), Ok(filter));
        }
    }

    #[test]
    fn a_topic_becomes_the_filter_that_matches_only_it() {
        let filter = TopicFilter::from(Topic::new("factory/raw/a").unwrap());
        assert!(filter.matches("factory/raw/a"));
        assert!(!filter.matches("factory/raw/b"));
    }
}
