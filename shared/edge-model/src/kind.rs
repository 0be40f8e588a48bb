//! The `kind` and `schemaVersion` fields that every message carries.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Version of the message schemas this crate writes, and the only one it reads.
pub const SCHEMA_VERSION: u32 = 1;

/// What a message is; the value of its `kind` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// A [`ReadingBatch`](crate::ReadingBatch): `"readings"`.
    Readings,
    /// An [`AnomalyEvent`](crate::AnomalyEvent): `"anomaly"`.
    Anomaly,
    /// An [`AlarmEvent`](crate::AlarmEvent): `"alarm"`.
    Alarm,
    /// A [`ComponentStatus`](crate::ComponentStatus): `"status"`.
    Status,
    /// An [`AggregateBatch`](crate::AggregateBatch): `"aggregates"`.
    Aggregates,
    /// A [`DeadLetter`](crate::DeadLetter): `"dead-letter"`.
    #[serde(rename = "dead-letter")]
    DeadLetter,
}

impl MessageKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 6] = [
        Self::Readings,
        Self::Anomaly,
        Self::Alarm,
        Self::Status,
        Self::Aggregates,
        Self::DeadLetter,
    ];

    /// The value of the `kind` field for this kind.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Readings => "readings",
            Self::Anomaly => "anomaly",
            Self::Alarm => "alarm",
            Self::Status => "status",
            Self::Aggregates => "aggregates",
            Self::DeadLetter => "dead-letter",
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `schemaVersion` field: always writes [`SCHEMA_VERSION`], refuses any other on read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct VersionTag;

impl Serialize for VersionTag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(SCHEMA_VERSION)
    }
}

impl<'de> Deserialize<'de> for VersionTag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let version = u32::deserialize(deserializer)?;
        if version == SCHEMA_VERSION {
            Ok(Self)
        } else {
            Err(D::Error::custom(format_args!(
                "unsupported schemaVersion {version}, this build reads {SCHEMA_VERSION}"
            )))
        }
    }
}

/// The `kind` field of a [`ReadingBatch`](crate::ReadingBatch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum ReadingsTag {
    #[default]
    #[serde(rename = "readings")]
    Readings,
}

/// The `kind` field of an [`AnomalyEvent`](crate::AnomalyEvent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum AnomalyTag {
    #[default]
    #[serde(rename = "anomaly")]
    Anomaly,
}

/// The `kind` field of an [`AlarmEvent`](crate::AlarmEvent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum AlarmTag {
    #[default]
    #[serde(rename = "alarm")]
    Alarm,
}

/// The `kind` field of a [`ComponentStatus`](crate::ComponentStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum StatusTag {
    #[default]
    #[serde(rename = "status")]
    Status,
}

/// The `kind` field of an [`AggregateBatch`](crate::AggregateBatch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum AggregatesTag {
    #[default]
    #[serde(rename = "aggregates")]
    Aggregates,
}

/// The `kind` field of a [`DeadLetter`](crate::DeadLetter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum DeadLetterTag {
    #[default]
    #[serde(rename = "dead-letter")]
    DeadLetter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_match_their_serde_form() {
        for kind in MessageKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn version_tag_refuses_other_versions() {
        assert!(serde_json::from_str::<VersionTag>("1").is_ok());
        let err = serde_json::from_str::<VersionTag>("2").unwrap_err();
        assert!(err.to_string().contains("unsupported schemaVersion 2"));
        assert!(serde_json::from_str::<VersionTag>("\"1\"").is_err());
    }

    #[test]
    fn kind_tags_refuse_other_kinds() {
        assert!(serde_json::from_str::<ReadingsTag>("\"readings\"").is_ok());
        assert!(serde_json::from_str::<ReadingsTag>("\"alarm\"").is_err());
        assert_eq!(
            serde_json::to_string(&StatusTag::Status).unwrap(),
            "\"status\""
        );
    }
}
