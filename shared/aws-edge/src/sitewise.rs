//! IoT SiteWise BatchPutAssetPropertyValue as the uploader and the enrichment Lambda use it:
//! entries built from a value, a time in epoch milliseconds and a quality; calls of at most
//! [`MAX_ENTRIES`]; and the failures SiteWise reports, per call and per entry, handed back to the
//! caller, which decides what becomes of the record behind each entry.

use aws_sdk_iotsitewise::Client;
use aws_sdk_iotsitewise::error::SdkError;
use aws_sdk_iotsitewise::operation::batch_put_asset_property_value::BatchPutAssetPropertyValueError;
use aws_sdk_iotsitewise::types::{
    AssetPropertyValue, BatchPutAssetPropertyError, BatchPutAssetPropertyValueErrorCode as Code,
    PutAssetPropertyValueEntry, Quality, TimeInNanos, Variant,
};

/// Entries per call (the API's limit).
pub const MAX_ENTRIES: usize = 10;

/// Why SiteWise did not store an entry.
#[derive(Debug)]
pub enum Failure<'a> {
    /// The whole call failed: every entry in it is affected.
    Call(&'a SdkError<BatchPutAssetPropertyValueError>),
    /// SiteWise refused the entry; [`retryable`] tells whether a later try can succeed.
    Entry(&'a BatchPutAssetPropertyError),
}

/// Whether a per-entry error code means "try later" (throttling, limits, service trouble)
/// rather than "never" (no property with that alias, timestamp out of range, conflict).
pub fn retryable(code: &Code) -> bool {
    matches!(
        code,
        Code::InternalFailureException
            | Code::ServiceUnavailableException
            | Code::ThrottlingException
            | Code::LimitExceededException
    )
}

/// An integer value: SiteWise integers are 32-bit, wider ones go as doubles.
pub fn integer(i: i64) -> Variant {
    match i32::try_from(i) {
        Ok(i) => Variant::builder().integer_value(i).build(),
        Err(_) => Variant::builder().double_value(i as f64).build(),
    }
}

/// One entry: `value` at `time_ms` (epoch milliseconds) for the property `alias`.
///
/// # Errors
/// The SDK's builder refuses it (a required field is missing).
pub fn entry(
    entry_id: String,
    alias: String,
    value: Variant,
    time_ms: i64,
    quality: Quality,
) -> Result<PutAssetPropertyValueEntry, String> {
    // rem_euclid keeps the offset in 0..1000 ms, so the nanoseconds always fit an i32.
    let nanos = i32::try_from(time_ms.rem_euclid(1000) * 1_000_000).map_err(|e| e.to_string())?;
    let time = TimeInNanos::builder()
        .time_in_seconds(time_ms.div_euclid(1000))
        .offset_in_nanos(nanos)
        .build()
        .map_err(|e| e.to_string())?;
    PutAssetPropertyValueEntry::builder()
        .entry_id(entry_id)
        .property_alias(alias)
        .property_values(
            AssetPropertyValue::builder()
                .value(value)
                .timestamp(time)
                .quality(quality)
                .build(),
        )
        .build()
        .map_err(|e| e.to_string())
}

/// Sends `entries` in calls of at most [`MAX_ENTRIES`], in order. For each entry SiteWise did
/// not store, calls `failed` with the entry's key (what the caller needs to find the record
/// behind it), the entry and why: once per entry of a failed call, once per error of a
/// refused entry, in the order of the answer. Entries never named there were stored.
pub async fn put<K: Copy>(
    client: &Client,
    entries: &[(K, PutAssetPropertyValueEntry)],
    mut failed: impl FnMut(K, &PutAssetPropertyValueEntry, Failure<'_>),
) {
    for chunk in entries.chunks(MAX_ENTRIES) {
        let reply = client
            .batch_put_asset_property_value()
            .set_entries(Some(chunk.iter().map(|(_, e)| e.clone()).collect()))
            .send()
            .await;
        let output = match reply {
            Ok(output) => output,
            Err(e) => {
                for (key, entry) in chunk {
                    failed(*key, entry, Failure::Call(&e));
                }
                continue;
            }
        };
        for refused in output.error_entries() {
            let Some((key, entry)) = chunk
                .iter()
                .find(|(_, e)| e.entry_id() == refused.entry_id())
            else {
                continue;
            };
            for error in refused.errors() {
                failed(*key, entry, Failure::Entry(error));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_carries_alias_value_quality_and_time_to_the_nanosecond() {
        let e = entry(
            "e1".into(),
            "/f/plc1/temp".into(),
            Variant::builder().double_value(21.5).build(),
            1_700_000_000_123,
            Quality::Good,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (e.entry_id(), e.property_alias()),
            ("e1", Some("/f/plc1/temp"))
        );
        let v = &e.property_values()[0];
        assert_eq!(v.value().and_then(|v| v.double_value()), Some(21.5));
        let t = v
            .timestamp()
            .map(|t| (t.time_in_seconds(), t.offset_in_nanos()));
        assert_eq!(t, Some((1_700_000_000, Some(123_000_000))));
        assert_eq!(v.quality(), Some(&Quality::Good));
    }

    #[test]
    fn a_time_before_1970_keeps_its_offset_positive() {
        let e = entry("e".into(), "a".into(), integer(1), -1, Quality::Bad)
            .unwrap_or_else(|e| panic!("{e}"));
        let t = e.property_values()[0]
            .timestamp()
            .map(|t| (t.time_in_seconds(), t.offset_in_nanos()));
        assert_eq!(t, Some((-1, Some(999_000_000))));
    }

    #[test]
    fn integers_wider_than_32_bits_go_as_doubles() {
        assert_eq!(integer(7).integer_value(), Some(7));
        assert_eq!(integer(1 << 40).double_value(), Some((1_i64 << 40) as f64));
        assert_eq!(integer(1 << 40).integer_value(), None);
    }

    #[test]
    fn only_try_later_codes_are_retryable() {
        assert!(retryable(&Code::ThrottlingException));
        assert!(retryable(&Code::LimitExceededException));
        assert!(!retryable(&Code::ResourceNotFoundException));
        assert!(!retryable(&Code::TimestampOutOfRangeException));
    }
}
