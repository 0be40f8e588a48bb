//! The batch splitter keeps every batch under its cap and loses or reorders nothing.

use edge_model::{
    BatchBuilder, BatchError, DeviceId, GatewayId, MAX_IPC_MESSAGE_BYTES, Quality, Reading,
    ReadingBatch, Source,
};
use proptest::prelude::*;

use crate::strategies;

fn device() -> DeviceId {
    DeviceId::new("press-1").unwrap()
}

fn gateway() -> GatewayId {
    GatewayId::new("line3-gw").unwrap()
}

fn json_len(batch: &ReadingBatch) -> usize {
    serde_json::to_vec(batch).unwrap().len()
}

/// Length of a batch holding only `reading`, numbered `sequence`.
fn alone_len(reading: &Reading, sequence: u64) -> usize {
    let mut builder = BatchBuilder::new(gateway(), device(), sequence).with_max_bytes(usize::MAX);
    builder.push(reading.clone()).unwrap();
    json_len(&builder.finish().unwrap())
}

/// Readings of `device()` with sizes from tiny to about a kilobyte.
fn readings() -> impl Strategy<Value = Vec<Reading>> {
    let sized = (
        strategies::reading_of(device()),
        proptest::option::of(0_usize..1200),
    )
        .prop_map(|(reading, padding)| match padding {
            Some(len) => reading.with_quality_detail("x".repeat(len)),
            None => reading,
        });
    proptest::collection::vec(sized, 0..120)
}

#[test]
fn the_default_cap_leaves_room_under_the_nucleus_lite_frame_limit() {
    assert_eq!(MAX_IPC_MESSAGE_BYTES, 9000);
    let builder = BatchBuilder::new(gateway(), device(), 0);
    assert_eq!(builder.max_bytes(), MAX_IPC_MESSAGE_BYTES);
}

#[test]
fn a_thousand_small_readings_fill_batches_close_to_the_cap() {
    let readings: Vec<Reading> = (0..1000_i64)
        .map(|i| {
            Reading::new(
                Source::new(device(), format!("hr{i}")),
                i,
                Quality::Good,
                1_718_000_000_000,
            )
            .with_unit("rpm")
        })
        .collect();
    let batches = BatchBuilder::new(gateway(), device(), 0)
        .split(readings)
        .unwrap();
    assert!(batches.len() > 1);
    for batch in &batches[..batches.len() - 1] {
        let len = json_len(batch);
        assert!(
            len <= MAX_IPC_MESSAGE_BYTES && len > MAX_IPC_MESSAGE_BYTES - 200,
            "{len}"
        );
    }
}

#[test]
fn a_reading_too_large_for_any_batch_is_an_error_not_a_panic() {
    let huge = Reading::new(
        Source::new(device(), "blob"),
        "y".repeat(20_000),
        Quality::Good,
        1,
    );
    let mut builder = BatchBuilder::new(gateway(), device(), 0);
    match builder.push(huge.clone()) {
        Err(BatchError::ReadingTooLarge {
            bytes,
            max_bytes,
            reading,
        }) => {
            assert!(bytes > max_bytes);
            assert_eq!(*reading, huge);
        }
        other => panic!("expected ReadingTooLarge, got {other:?}"),
    }
    assert!(builder.split(vec![huge]).is_err());
}

#[test]
fn a_cap_too_small_for_the_envelope_refuses_every_reading() {
    let mut builder = BatchBuilder::new(gateway(), device(), 0).with_max_bytes(10);
    let reading = Reading::new(Source::new(device(), "p"), 1_i64, Quality::Good, 1);
    assert!(matches!(
        builder.push(reading),
        Err(BatchError::ReadingTooLarge { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_batch_fits_the_cap_and_no_reading_is_lost_or_reordered(
        readings in readings(),
        max_bytes in prop_oneof![Just(MAX_IPC_MESSAGE_BYTES), 250_usize..3000],
        first_sequence in prop_oneof![any::<u64>(), Just(u64::MAX - 2), 0_u64..20],
    ) {
        let mut builder =
            BatchBuilder::new(gateway(), device(), first_sequence).with_max_bytes(max_bytes);
        match builder.split(readings.clone()) {
            Ok(batches) => {
                let mut sequence = first_sequence;
                for batch in &batches {
                    prop_assert!(!batch.readings().is_empty());
                    prop_assert!(json_len(batch) <= max_bytes);
                    prop_assert_eq!(batch.sequence(), sequence);
                    sequence = sequence.wrapping_add(1);
                }
                prop_assert_eq!(builder.next_sequence(), sequence);
                // Greedy: the first reading of each batch would not have fit in the one before.
                for pair in batches.windows(2) {
                    let first_of_next = pair[1].readings()[0].clone();
                    let grown = json_len(&pair[0])
                        + 1
                        + serde_json::to_vec(&first_of_next).unwrap().len();
                    prop_assert!(grown > max_bytes);
                }
                let rejoined: Vec<Reading> =
                    batches.into_iter().flat_map(ReadingBatch::into_readings).collect();
                prop_assert_eq!(rejoined, readings);
            }
            Err(BatchError::ReadingTooLarge { bytes, max_bytes: cap, reading }) => {
                prop_assert_eq!(cap, max_bytes);
                prop_assert!(bytes > max_bytes);
                prop_assert!(readings.contains(&reading));
                // The size reported is the real size of a batch holding only that reading,
                // whose sequence has some number of digits.
                let mut real = (0..20).map(|digits| alone_len(&reading, 10_u64.pow(digits)));
                prop_assert!(real.any(|len| len == bytes));
                prop_assert_eq!(builder.next_sequence(), first_sequence);
            }
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
    }

    #[test]
    fn pushing_one_by_one_gives_the_same_batches_as_split(readings in readings()) {
        let mut split_builder = BatchBuilder::new(gateway(), device(), 0);
        let expected = split_builder.split(readings.clone());
        let mut builder = BatchBuilder::new(gateway(), device(), 0);
        let mut batches = Vec::new();
        let mut refused = false;
        for reading in readings {
            match builder.push(reading) {
                Ok(closed) => batches.extend(closed),
                Err(_) => {
                    refused = true;
                    break;
                }
            }
        }
        batches.extend(builder.finish());
        match expected {
            Ok(expected) => prop_assert_eq!(batches, expected),
            Err(_) => prop_assert!(refused),
        }
    }

    #[test]
    fn batches_read_back_equal(readings in readings()) {
        let mut builder = BatchBuilder::new(gateway(), device(), 7);
        if let Ok(batches) = builder.split(readings) {
            for batch in batches {
                let text = serde_json::to_string(&batch).unwrap();
                prop_assert_eq!(serde_json::from_str::<ReadingBatch>(&text).unwrap(), batch);
            }
        }
    }
}
