//! Machine states to IoT SiteWise: BatchPutAssetPropertyValue by property alias, at most ten
//! entries per call (the API's limit). A repeated value (same alias and timestamp) is harmless,
//! so SiteWise is written before S3 and a retried record may send its states again.

use crate::enrich::{SiteValue, StateValue};
use aws_edge::sitewise::{self, Put};
use aws_sdk_iotsitewise::types::{PutAssetPropertyValueEntry, Variant};

/// What became of one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Accepted.
    Stored,
    /// Failed in a way a retry can fix (throttling, service errors, network): retry the record.
    Retry(String),
    /// Refused for good (no property with that alias, timestamp out of range): dead-letter it.
    Rejected(String),
}

/// The SiteWise writer.
#[derive(Debug, Clone)]
pub struct SiteWise {
    client: aws_sdk_iotsitewise::Client,
    alias_template: String,
}

impl SiteWise {
    /// A writer using `alias_template` (`{device}`, `{point}`).
    pub fn new(client: aws_sdk_iotsitewise::Client, alias_template: &str) -> Self {
        Self {
            client,
            alias_template: alias_template.to_owned(),
        }
    }

    /// The property alias of a state.
    pub fn alias(&self, state: &StateValue) -> String {
        self.alias_template
            .replace("{device}", &state.device)
            .replace("{point}", &state.point)
    }

    /// Sends every state; the answer has one [`Sent`] per state, in order.
    pub async fn send(&self, states: &[StateValue]) -> Vec<Sent> {
        let mut results = vec![Sent::Stored; states.len()];
        let mut entries = Vec::new();
        for (i, state) in states.iter().enumerate() {
            match entry(state, self.alias(state), format!("s{i}")) {
                Ok(e) => entries.push((i, e)),
                Err(e) => results[i] = Sent::Rejected(format!("SiteWise entry: {e}")),
            }
        }
        let puts = sitewise::put(&self.client, &entries).await;
        for ((i, entry), put) in entries.iter().zip(puts) {
            let reason = |refusals| {
                format!(
                    "SiteWise refused {}: {}",
                    entry.property_alias().unwrap_or_default(),
                    sitewise::reason(refusals)
                )
            };
            results[*i] = match put {
                Put::Stored => continue,
                Put::CallFailed(e) => Sent::Retry(format!(
                    "SiteWise BatchPutAssetPropertyValue failed: {}",
                    aws_sdk_iotsitewise::error::DisplayErrorContext(&*e)
                )),
                Put::Retry(refusals) => Sent::Retry(reason(&refusals)),
                Put::Rejected(refusals) => Sent::Rejected(reason(&refusals)),
            };
        }
        results
    }
}

fn entry(
    state: &StateValue,
    alias: String,
    entry_id: String,
) -> Result<PutAssetPropertyValueEntry, String> {
    let value = match &state.value {
        SiteValue::Integer(i) => sitewise::integer(*i),
        SiteValue::Double(x) => Variant::builder().double_value(*x).build(),
        SiteValue::Boolean(b) => Variant::builder().boolean_value(*b).build(),
        SiteValue::Text(s) => Variant::builder().string_value(s.clone()).build(),
    };
    let quality = sitewise::quality(state.quality);
    sitewise::entry(entry_id, alias, value, state.time_ms, quality)
}
