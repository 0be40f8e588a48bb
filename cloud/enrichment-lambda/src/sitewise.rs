//! Machine states to IoT SiteWise: BatchPutAssetPropertyValue by property alias, at most ten
//! entries per call (the API's limit). A repeated value (same alias and timestamp) is harmless,
//! so SiteWise is written before S3 and a retried record may send its states again.

use crate::enrich::{SiteValue, StateValue};
use aws_sdk_iotsitewise::types::{
    AssetPropertyValue, BatchPutAssetPropertyValueErrorCode as Code, PutAssetPropertyValueEntry,
    Quality, TimeInNanos, Variant,
};

/// Entries per call.
pub const MAX_ENTRIES: usize = 10;

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
        for chunk in entries.chunks(MAX_ENTRIES) {
            let reply = self
                .client
                .batch_put_asset_property_value()
                .set_entries(Some(chunk.iter().map(|(_, e)| e.clone()).collect()))
                .send()
                .await;
            let output = match reply {
                Ok(o) => o,
                Err(e) => {
                    let reason = format!(
                        "SiteWise BatchPutAssetPropertyValue failed: {}",
                        aws_sdk_iotsitewise::error::DisplayErrorContext(&e)
                    );
                    for (i, _) in chunk {
                        results[*i] = Sent::Retry(reason.clone());
                    }
                    continue;
                }
            };
            for failed in output.error_entries() {
                let Some((i, e)) = chunk
                    .iter()
                    .find(|(_, e)| e.entry_id() == failed.entry_id())
                else {
                    continue;
                };
                for error in failed.errors() {
                    let reason = format!(
                        "SiteWise refused {}: {}: {}",
                        e.property_alias().unwrap_or_default(),
                        error.error_code().as_str(),
                        error.error_message()
                    );
                    results[*i] = if retryable(error.error_code()) {
                        Sent::Retry(reason)
                    } else if matches!(results[*i], Sent::Retry(_)) {
                        continue;
                    } else {
                        Sent::Rejected(reason)
                    };
                }
            }
        }
        results
    }
}

fn retryable(code: &Code) -> bool {
    matches!(
        code,
        Code::InternalFailureException
            | Code::ServiceUnavailableException
            | Code::ThrottlingException
            | Code::LimitExceededException
    )
}

fn entry(
    state: &StateValue,
    alias: String,
    entry_id: String,
) -> Result<PutAssetPropertyValueEntry, String> {
    let variant = match &state.value {
        SiteValue::Integer(i) => match i32::try_from(*i) {
            Ok(i) => Variant::builder().integer_value(i),
            Err(_) => Variant::builder().double_value(*i as f64),
        },
        SiteValue::Double(x) => Variant::builder().double_value(*x),
        SiteValue::Boolean(b) => Variant::builder().boolean_value(*b),
        SiteValue::Text(s) => Variant::builder().string_value(s.clone()),
    }
    .build();
    let ms = state.time_ms;
    let nanos = i32::try_from(ms.rem_euclid(1000) * 1_000_000).map_err(|e| e.to_string())?;
    let time = TimeInNanos::builder()
        .time_in_seconds(ms.div_euclid(1000))
        .offset_in_nanos(nanos)
        .build()
        .map_err(|e| e.to_string())?;
    let quality = match state.quality {
        edge_model::Quality::Good => Quality::Good,
        edge_model::Quality::Uncertain => Quality::Uncertain,
        edge_model::Quality::Bad => Quality::Bad,
    };
    PutAssetPropertyValueEntry::builder()
        .entry_id(entry_id)
        .property_alias(alias)
        .property_values(
            AssetPropertyValue::builder()
                .value(variant)
                .timestamp(time)
                .quality(quality)
                .build(),
        )
        .build()
        .map_err(|e| e.to_string())
}
