//! Topic names: where a message is published.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::stream::Stream;
use super::{CLOUDWATCH_METRIC_TOPIC, TOPIC_ROOT, TopicError, check_common};
use crate::{ComponentName, DeviceId};

/// A topic name to publish on, checked once when made: not empty, at most
/// [`MAX_TOPIC_BYTES`](super::MAX_TOPIC_BYTES), no `+` or `#`, no empty level, no NUL.
///
/// Components get their topics from the constructors here and never format one themselves.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Topic(String);

impl Topic {
    /// Checks `name` and wraps it, for topics that come from configuration.
    ///
    /// # Errors
    ///
    /// A [`TopicError`] naming the first rule `name` breaks.
    pub fn new(name: impl Into<String>) -> Result<Self, TopicError> {
        let name = name.into();
        check_name(&name)?;
        Ok(Self(name))
    }

    /// `factory/raw/{device}`: the device's reading batches, as read.
    pub fn readings_raw(device: &DeviceId) -> Self {
        Self::under_root(Stream::Raw, device.as_str())
    }

    /// `factory/filtered/{device}`: the device's readings after filtering.
    pub fn readings_filtered(device: &DeviceId) -> Self {
        Self::under_root(Stream::Filtered, device.as_str())
    }

    /// `factory/agg/{device}`: the device's windowed aggregates.
    pub fn aggregates(device: &DeviceId) -> Self {
        Self::under_root(Stream::Aggregates, device.as_str())
    }

    /// `factory/anomaly/{device}`: the device's anomaly events.
    pub fn anomaly(device: &DeviceId) -> Self {
        Self::under_root(Stream::Anomaly, device.as_str())
    }

    /// `factory/alarm/{device}`: the device's alarm events.
    pub fn alarm(device: &DeviceId) -> Self {
        Self::under_root(Stream::Alarm, device.as_str())
    }

    /// `factory/status/{component}`: the component's status events.
    pub fn status(component: &ComponentName) -> Self {
        Self::under_root(Stream::Status, component.as_str())
    }

    /// `factory/command/{component}`: commands sent to the component.
    pub fn command(component: &ComponentName) -> Self {
        Self::under_root(Stream::Command, component.as_str())
    }

    /// `factory/command-response/{component}`: the component's answers to commands.
    pub fn command_response(component: &ComponentName) -> Self {
        Self::under_root(Stream::CommandResponse, component.as_str())
    }

    /// `factory/dead-letter/{component}`: messages the component could not handle.
    pub fn dead_letter(component: &ComponentName) -> Self {
        Self::under_root(Stream::DeadLetter, component.as_str())
    }

    /// [`CLOUDWATCH_METRIC_TOPIC`]: metrics for the Greengrass CloudWatch metrics component.
    pub fn cloudwatch_metric() -> Self {
        Self(CLOUDWATCH_METRIC_TOPIC.to_owned())
    }

    /// The topic name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `factory/{stream}/{id}`. An id is one level of at most 128 bytes, so the result is
    /// always valid.
    fn under_root(stream: Stream, id: &str) -> Self {
        let name = format!("{TOPIC_ROOT}/{}/{id}", stream.level());
        debug_assert_eq!(check_name(&name), Ok(()));
        Self(name)
    }
}

/// Checks the rules of a topic name.
fn check_name(name: &str) -> Result<(), TopicError> {
    check_common(name)?;
    if name.contains(['+', '#']) {
        return Err(TopicError::Wildcard {
            topic: name.to_owned(),
        });
    }
    if name.split('/').any(str::is_empty) {
        return Err(TopicError::EmptyLevel {
            topic: name.to_owned(),
        });
    }
    Ok(())
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Topic {
    type Err = TopicError;

    fn from_str(name: &str) -> Result<Self, TopicError> {
        Self::new(name)
    }
}

impl TryFrom<String> for Topic {
    type Error = TopicError;

    fn try_from(name: String) -> Result<Self, TopicError> {
        Self::new(name)
    }
}

impl From<Topic> for String {
    fn from(topic: Topic) -> String {
        topic.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_ID_BYTES;

    fn device() -> DeviceId {
        DeviceId::new("press-1").unwrap()
    }

    fn component() -> ComponentName {
        ComponentName::new("com.example.ModbusAdapter").unwrap()
    }

    #[test]
    fn device_topics_sit_under_the_root() {
        let d = device();
        assert_eq!(Topic::readings_raw(&d).as_str(), "factory/raw/press-1");
        assert_eq!(
            Topic::readings_filtered(&d).as_str(),
            "factory/filtered/press-1"
        );
        assert_eq!(Topic::aggregates(&d).as_str(), "factory/agg/press-1");
        assert_eq!(Topic::anomaly(&d).as_str(), "factory/anomaly/press-1");
        assert_eq!(Topic::alarm(&d).as_str(), "factory/alarm/press-1");
    }

    #[test]
    fn component_topics_sit_under_the_root() {
        let c = component();
        assert_eq!(
            Topic::status(&c).as_str(),
            "factory/status/com.example.ModbusAdapter"
        );
        assert_eq!(
            Topic::command(&c).as_str(),
            "factory/command/com.example.ModbusAdapter"
        );
        assert_eq!(
            Topic::command_response(&c).as_str(),
            "factory/command-response/com.example.ModbusAdapter"
        );
        assert_eq!(
            Topic::dead_letter(&c).as_str(),
            "factory/dead-letter/com.example.ModbusAdapter"
        );
        assert_eq!(Topic::cloudwatch_metric().as_str(), "cloudwatch/metric/put");
    }

    #[test]
    fn the_longest_id_still_makes_a_valid_topic() {
        let long = ComponentName::new("c".repeat(MAX_ID_BYTES)).unwrap();
        let topic = Topic::command_response(&long);
        assert_eq!(Topic::new(topic.as_str()), Ok(topic));
    }

    #[test]
    fn refuses_wildcards_empty_levels_and_overlong_names() {
        assert_eq!(Topic::new(""), Err(TopicError::Empty));
        for bad in ["a/+", "a/#", "a+b"] {
            assert!(
                matches!(Topic::new(bad), Err(TopicError::Wildcard { .. })),
                "{bad}"
            );
        }
        for bad in ["/a", "a/", "a//b", "/"] {
            assert!(
                matches!(Topic::new(bad), Err(TopicError::EmptyLevel { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            Topic::new("a\0b"),
            Err(TopicError::NulChar { .. })
        ));
        assert!(Topic::new("a".repeat(256)).is_ok());
        assert!(matches!(
            Topic::new("a".repeat(257)),
            Err(TopicError::TooLong { len: 257, .. })
        ));
    }

    #[test]
    fn accepts_reserved_aws_topics() {
        assert!(Topic::new("$aws/things/gw-1/shadow/update").is_ok());
    }

    #[test]
    fn deserializing_checks_the_name() {
        let topic: Topic = serde_json::from_str("\"factory/raw/a\"").unwrap();
        assert_eq!(topic.as_str(), "factory/raw/a");
        assert!(serde_json::from_str::<Topic>("\"factory/raw/+\"").is_err());
    }
}
