//! Sparkplug B (Eclipse Tahu payload, `spBv1.0/{group}/{type}/{edgeNode}[/{device}]` topics):
//! BIRTH messages declare metric names and aliases, DATA messages may carry only aliases.

mod aliases;
mod proto;
mod topic;

pub use aliases::{AliasTables, decode_sparkplug};
pub use proto::{Metric, Payload, metric};
pub use topic::{MessageType, SparkplugTopic};
