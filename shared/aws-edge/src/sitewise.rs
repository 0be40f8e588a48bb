//! IoT SiteWise BatchPutAssetPropertyValue as the uploader and the enrichment Lambda use it:
//! entries built from a value, a time in epoch milliseconds and a quality; calls of at most
//! [`MAX_ENTRIES`]; and, per entry, what SiteWise made of it: stored, to retry (a call failure or a
//! "try later" error, which beats any other error of the entry) or rejected with its reasons.

use std::sync::Arc;

use aws_sdk_iotsitewise::Client;
use aws_sdk_iotsitewise::error::SdkError;
use aws_sdk_iotsitewise::operation::batch_put_asset_property_value::BatchPutAssetPropertyValueError;
use aws_sdk_iotsitewise::types::{
    AssetPropertyValue, BatchPutAssetPropertyError, BatchPutAssetPropertyValueErrorCode as Code,
    PutAssetPropertyValueEntry, Quality, TimeInNanos, Variant,
};

/// Entries per call (the API's limit).
pub const MAX_ENTRIES: usize = 10;

/// What became of one entry of [`put`].
#[derive(Debug, Clone)]
pub enum Put {
    /// SiteWise stored it.
    Stored,
    /// The whole call carrying it failed: every entry of that call shares the error.
    CallFailed(Arc<SdkError<BatchPutAssetPropertyValueError>>),
    /// Refused, but a later try can succeed: its "try later" errors, in the order of the answer.
    /// One such error is enough, whatever else the entry was refused for.
    Retry(Vec<Refusal>),
    /// Refused for good: every error SiteWise gave, in the order of the answer.
    Rejected(Vec<Refusal>),
}

/// One error SiteWise gave for an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The error code.
    pub code: Code,
    /// SiteWise's message.
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// The refusals as one reason: `code: message`, several joined by `; `.
pub fn reason(refusals: &[Refusal]) -> String {
    refusals
        .iter()
        .map(Refusal::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What becomes of an entry SiteWise answered with `errors`: stored when there are none, a
/// retry when any of them means "try later" (the record behind it stays queued), else rejected.
pub fn verdict<'a, I>(errors: I) -> Put
where
    I: IntoIterator<Item = &'a BatchPutAssetPropertyError>,
    I::IntoIter: Clone,
{
    let errors = errors.into_iter();
    let refusals = |retry: bool| {
        errors
            .clone()
            .filter(|e| !retry || retryable(e.error_code()))
            .map(|e| Refusal {
                code: e.error_code().clone(),
                message: e.error_message().to_owned(),
            })
            .collect::<Vec<_>>()
    };
    if errors.clone().next().is_none() {
        Put::Stored
    } else if errors.clone().any(|e| retryable(e.error_code())) {
        Put::Retry(refusals(true))
    } else {
        Put::Rejected(refusals(false))
    }
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

/// SiteWise's quality for a reading's quality.
pub fn quality(quality: edge_model::Quality) -> Quality {
    match quality {
        edge_model::Quality::Good => Quality::Good,
        edge_model::Quality::Uncertain => Quality::Uncertain,
        edge_model::Quality::Bad => Quality::Bad,
    }
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

/// Sends `entries` in calls of at most [`MAX_ENTRIES`], in order, and says what became of
/// each: one [`Put`] per entry, in the same order. `K` is whatever the caller needs to find the
/// record behind an entry; `put` does not look at it.
pub async fn put<K>(client: &Client, entries: &[(K, PutAssetPropertyValueEntry)]) -> Vec<Put> {
    let mut puts = Vec::with_capacity(entries.len());
    for chunk in entries.chunks(MAX_ENTRIES) {
        let reply = client
            .batch_put_asset_property_value()
            .set_entries(Some(chunk.iter().map(|(_, e)| e.clone()).collect()))
            .send()
            .await;
        match reply {
            Ok(output) => puts.extend(chunk.iter().map(|(_, entry)| {
                verdict(
                    output
                        .error_entries()
                        .iter()
                        .filter(|refused| refused.entry_id() == entry.entry_id())
                        .flat_map(|refused| refused.errors()),
                )
            })),
            Err(e) => {
                let e = Arc::new(e);
                puts.extend(chunk.iter().map(|_| Put::CallFailed(e.clone())));
            }
        }
    }
    puts
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
    fn each_reading_quality_has_its_sitewise_quality() {
        assert_eq!(quality(edge_model::Quality::Good), Quality::Good);
        assert_eq!(quality(edge_model::Quality::Uncertain), Quality::Uncertain);
        assert_eq!(quality(edge_model::Quality::Bad), Quality::Bad);
    }

    #[test]
    fn integers_wider_than_32_bits_go_as_doubles() {
        assert_eq!(integer(7).integer_value(), Some(7));
        assert_eq!(integer(1 << 40).double_value(), Some((1_i64 << 40) as f64));
        assert_eq!(integer(1 << 40).integer_value(), None);
    }

    fn error(code: Code, message: &str) -> BatchPutAssetPropertyError {
        BatchPutAssetPropertyError::builder()
            .error_code(code)
            .error_message(message)
            .set_timestamps(Some(Vec::new()))
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn refusal(code: Code, message: &str) -> Refusal {
        Refusal {
            code,
            message: message.to_owned(),
        }
    }

    fn refusals(put: &Put) -> Option<(bool, &[Refusal])> {
        match put {
            Put::Retry(r) => Some((true, r)),
            Put::Rejected(r) => Some((false, r)),
            Put::Stored | Put::CallFailed(_) => None,
        }
    }

    #[test]
    fn an_entry_without_errors_is_stored() {
        assert!(matches!(verdict(&[]), Put::Stored));
    }

    #[test]
    fn a_retryable_error_beats_rejections_before_and_after_it() {
        let errors = [
            error(Code::ResourceNotFoundException, "no such alias"),
            error(Code::ThrottlingException, "slow down"),
            error(Code::ConflictingOperationException, "busy"),
        ];
        let put = verdict(&errors);
        assert_eq!(
            refusals(&put),
            Some((true, &[refusal(Code::ThrottlingException, "slow down")][..]))
        );
        assert_eq!(
            reason(refusals(&put).map_or(&[][..], |r| r.1)),
            "ThrottlingException: slow down"
        );
    }

    #[test]
    fn a_rejection_keeps_every_reason_in_order() {
        let put = verdict(&[
            error(Code::ResourceNotFoundException, "no such alias"),
            error(Code::TimestampOutOfRangeException, "too old"),
        ]);
        let (retry, kept) = refusals(&put).unwrap_or_else(|| panic!("{put:?}"));
        assert!(!retry);
        assert_eq!(
            kept,
            [
                refusal(Code::ResourceNotFoundException, "no such alias"),
                refusal(Code::TimestampOutOfRangeException, "too old"),
            ]
        );
        assert_eq!(
            reason(kept),
            "ResourceNotFoundException: no such alias; TimestampOutOfRangeException: too old"
        );
    }

    #[test]
    fn only_try_later_codes_are_retryable() {
        assert!(retryable(&Code::ThrottlingException));
        assert!(retryable(&Code::LimitExceededException));
        assert!(!retryable(&Code::ResourceNotFoundException));
        assert!(!retryable(&Code::TimestampOutOfRangeException));
    }

    /// A mixed batch against the SiteWise stub: more entries than one call takes, stored,
    /// refused for good and throttled entries in both calls, each answer at its entry's place.
    #[cfg(feature = "testing")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn put_answers_each_entry_of_a_mixed_batch_in_order() {
        use crate::testing::{moto, sitewise_stub::SiteWiseStub};
        let stub = SiteWiseStub::start("/missing/", "/throttle/").await;
        let client = Client::new(&moto::sdk(stub.url()).await);
        // 13 entries: calls of 10 and 3. Missing at 2 and 11, throttled (once) at 4, and the
        // second throttle-marked alias, at 12, is stored.
        let alias = |i: usize| match i {
            2 | 11 => format!("/missing/{i}"),
            4 | 12 => format!("/throttle/{i}"),
            _ => format!("/ok/{i}"),
        };
        let entries: Vec<_> = (0..13)
            .map(|i| {
                let e = entry(format!("e{i}"), alias(i), integer(1), 1_000, Quality::Good);
                (i, e.unwrap_or_else(|e| panic!("{e}")))
            })
            .collect();
        let puts = put(&client, &entries).await;
        assert_eq!(puts.len(), 13);
        assert_eq!(
            stub.calls().iter().map(Vec::len).collect::<Vec<_>>(),
            [10, 3]
        );
        for (i, put) in puts.iter().enumerate() {
            match (i, put) {
                (2 | 11, Put::Rejected(r)) => {
                    assert_eq!(r.len(), 1);
                    assert_eq!(r[0].code, Code::ResourceNotFoundException);
                    assert_eq!(r[0].message, "no property with this alias");
                }
                (4, Put::Retry(r)) => assert_eq!(reason(r), "ThrottlingException: slow down"),
                (i, Put::Stored) if ![2, 4, 11].contains(&i) => {}
                (i, other) => panic!("entry {i}: {other:?}"),
            }
        }
    }

    /// No SiteWise at all: every entry of every call shares its call's failure.
    #[cfg(feature = "testing")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_call_fails_every_entry_in_it() {
        use crate::testing::moto;
        let closed = format!("http://127.0.0.1:{}", moto::free_port());
        let client = Client::new(&moto::sdk(&closed).await);
        let entries: Vec<_> = (0..12)
            .map(|i| {
                let e = entry(format!("e{i}"), "/a".into(), integer(1), 0, Quality::Good);
                ((), e.unwrap_or_else(|e| panic!("{e}")))
            })
            .collect();
        let puts = put(&client, &entries).await;
        assert_eq!(puts.len(), 12);
        assert!(
            puts.iter().all(|p| matches!(p, Put::CallFailed(_))),
            "{puts:?}"
        );
    }
}
