//! Why a string is not a valid topic name or filter.

use thiserror::Error;

use super::MAX_TOPIC_BYTES;

/// Why a string is not a valid topic name or topic filter.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopicError {
    /// The string is empty.
    #[error("topic is empty")]
    Empty,
    /// The string is longer than [`MAX_TOPIC_BYTES`].
    #[error("topic {topic:?} is {len} bytes long, the limit is {MAX_TOPIC_BYTES}")]
    TooLong {
        /// The refused string.
        topic: String,
        /// Its length in bytes.
        len: usize,
    },
    /// The string holds a NUL character.
    #[error("topic {topic:?} contains a NUL character")]
    NulChar {
        /// The refused string.
        topic: String,
    },
    /// A topic name holds `+` or `#`; only filters may.
    #[error("topic name {topic:?} contains a wildcard, which only a filter may")]
    Wildcard {
        /// The refused string.
        topic: String,
    },
    /// A topic name has an empty level (a leading, trailing or doubled `/`).
    #[error("topic name {topic:?} has an empty level")]
    EmptyLevel {
        /// The refused string.
        topic: String,
    },
    /// A filter has a wildcard that is not a whole level, or a `#` that is not the last level.
    #[error("topic filter {filter:?} has a misplaced wildcard")]
    MisplacedWildcard {
        /// The refused string.
        filter: String,
    },
}
