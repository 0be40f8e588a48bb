//! Topic names to publish on and filters to subscribe with, all under the root `factory/`.
//!
//! | stream | topic | filter for all |
//! |---|---|---|
//! | raw readings | `factory/raw/{device}` | `factory/raw/+` |
//! | filtered readings | `factory/filtered/{device}` | `factory/filtered/+` |
//! | aggregates | `factory/agg/{device}` | `factory/agg/+` |
//! | anomaly events | `factory/anomaly/{device}` | `factory/anomaly/+` |
//! | alarm events | `factory/alarm/{device}` | `factory/alarm/+` |
//! | component status | `factory/status/{component}` | `factory/status/+` |
//! | commands | `factory/command/{component}` | `factory/command/+` |
//! | command responses | `factory/command-response/{component}` | `factory/command-response/+` |
//! | dead letters | `factory/dead-letter/{component}` | `factory/dead-letter/+` |

mod error;
mod filter;
mod name;
mod stream;

pub use error::TopicError;
pub use filter::TopicFilter;
pub use name::Topic;

/// The first level of every topic of this project.
pub const TOPIC_ROOT: &str = "factory";

/// Longest topic name or filter, in bytes (the AWS IoT Core limit).
pub const MAX_TOPIC_BYTES: usize = 256;

/// The topic the Greengrass CloudWatch metrics component (`aws.greengrass.Cloudwatch`) reads
/// metrics from.
pub const CLOUDWATCH_METRIC_TOPIC: &str = "cloudwatch/metric/put";

/// Checks the rules topic names and filters share: not empty, not too long, no NUL.
fn check_common(text: &str) -> Result<(), TopicError> {
    if text.is_empty() {
        return Err(TopicError::Empty);
    }
    if text.len() > MAX_TOPIC_BYTES {
        return Err(TopicError::TooLong {
            topic: text.to_owned(),
            len: text.len(),
        });
    }
    if text.contains('\0') {
        return Err(TopicError::NulChar {
            topic: text.to_owned(),
        });
    }
    Ok(())
}
