//! The second level of each topic: which stream of messages it carries.

/// A stream of messages; each has its own second topic level under the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stream {
    Raw,
    Filtered,
    Aggregates,
    Anomaly,
    Alarm,
    Status,
    Command,
    CommandResponse,
    DeadLetter,
}

impl Stream {
    /// The topic level that names the stream.
    pub(super) const fn level(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Filtered => "filtered",
            Self::Aggregates => "agg",
            Self::Anomaly => "anomaly",
            Self::Alarm => "alarm",
            Self::Status => "status",
            Self::Command => "command",
            Self::CommandResponse => "command-response",
            Self::DeadLetter => "dead-letter",
        }
    }
}
