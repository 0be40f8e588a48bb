//! Batches of readings, packed so that each one fits in a single IPC message.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kind::{ReadingsTag, VersionTag};
use crate::packer::{Packer, Refused};
use crate::{DeviceId, GatewayId, MessageKind, Reading, SCHEMA_VERSION};

/// Default cap, in bytes, on the JSON of one batch.
///
/// Greengrass nucleus lite drops IPC frames over 10,000 bytes, and the frame adds its headers
/// and the topic to the payload; 9,000 bytes of payload leaves room for both.
pub const MAX_IPC_MESSAGE_BYTES: usize = 9000;

/// Readings of one device, published together on its raw readings topic.
///
/// JSON fields: `schemaVersion`, `kind` (`"readings"`), `gatewayId`, `device`, `sequence`,
/// `readings`. Batches are made by a [`BatchBuilder`], which keeps each one under its byte cap
/// and puts only readings of the batch's device in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadingBatch {
    schema_version: VersionTag,
    kind: ReadingsTag,
    gateway_id: GatewayId,
    device: DeviceId,
    sequence: u64,
    readings: Vec<Reading>,
}

impl ReadingBatch {
    /// Always [`SCHEMA_VERSION`].
    pub fn schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    /// Always [`MessageKind::Readings`].
    pub fn kind(&self) -> MessageKind {
        MessageKind::Readings
    }

    /// The gateway that read the device.
    pub fn gateway_id(&self) -> &GatewayId {
        &self.gateway_id
    }

    /// The device all readings come from.
    pub fn device(&self) -> &DeviceId {
        &self.device
    }

    /// The batch's number: consecutive batches of one builder count up by one, so a consumer
    /// can spot a gap.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The readings, in the order they were pushed.
    pub fn readings(&self) -> &[Reading] {
        &self.readings
    }

    /// Takes the readings out of the batch.
    pub fn into_readings(self) -> Vec<Reading> {
        self.readings
    }
}

/// Why a reading could not be put in a batch. The errors that refuse a reading hand it back.
#[derive(Debug, Error)]
pub enum BatchError {
    /// The reading alone, in an otherwise empty batch, is larger than the cap.
    #[error("a batch holding only this reading is {bytes} bytes, more than the cap of {max_bytes}")]
    ReadingTooLarge {
        /// Size of the one-reading batch, in bytes.
        bytes: usize,
        /// The builder's cap.
        max_bytes: usize,
        /// The refused reading.
        reading: Box<Reading>,
    },
    /// The reading comes from another device than the builder's.
    #[error("reading from device {found} pushed into a batch for device {expected}")]
    WrongDevice {
        /// The builder's device.
        expected: DeviceId,
        /// The reading's device.
        found: DeviceId,
        /// The refused reading.
        reading: Box<Reading>,
    },
    /// The reading cannot be written as JSON (a NaN or infinite float).
    #[error("reading cannot be serialized: {source}")]
    Serialize {
        /// What serde_json reported.
        source: serde_json::Error,
        /// The refused reading.
        reading: Box<Reading>,
    },
}

impl BatchError {
    /// Hands back the refused reading.
    pub fn into_reading(self) -> Reading {
        match self {
            Self::ReadingTooLarge { reading, .. }
            | Self::WrongDevice { reading, .. }
            | Self::Serialize { reading, .. } => *reading,
        }
    }
}

/// Packs the readings of one device into [`ReadingBatch`]es whose JSON is at most `max_bytes`
/// long, keeping the readings' order and numbering the batches consecutively.
///
/// Packing is greedy: a batch is closed when the next reading would not fit in it.
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    gateway_id: GatewayId,
    device: DeviceId,
    packer: Packer<Reading>,
}

impl BatchBuilder {
    /// A builder for `device`'s readings, whose first batch gets number `first_sequence` and
    /// whose cap is [`MAX_IPC_MESSAGE_BYTES`].
    pub fn new(gateway_id: GatewayId, device: DeviceId, first_sequence: u64) -> Self {
        Self {
            gateway_id,
            device,
            packer: Packer::new(MAX_IPC_MESSAGE_BYTES, first_sequence),
        }
    }

    /// Sets the cap on a batch's JSON, in bytes.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.packer.max_bytes = max_bytes;
        self
    }

    /// The cap on a batch's JSON, in bytes.
    pub fn max_bytes(&self) -> usize {
        self.packer.max_bytes
    }

    /// The number the next batch will get.
    pub fn next_sequence(&self) -> u64 {
        self.packer.next_sequence
    }

    /// How many readings wait in the open batch.
    pub fn pending_len(&self) -> usize {
        self.packer.pending.len()
    }

    /// Adds `reading` to the open batch. When it does not fit, closes the open batch, returns
    /// it, and starts the next batch with `reading`.
    ///
    /// # Errors
    ///
    /// A [`BatchError`] holding `reading` if it belongs to another device, cannot be
    /// serialized, or is too large for a batch of its own. The builder is then unchanged.
    pub fn push(&mut self, reading: Reading) -> Result<Option<ReadingBatch>, BatchError> {
        if reading.source().device() != &self.device {
            return Err(BatchError::WrongDevice {
                expected: self.device.clone(),
                found: reading.source().device().clone(),
                reading: Box::new(reading),
            });
        }
        let (gateway_id, device) = (&self.gateway_id, &self.device);
        let pushed = self.packer.push(reading, |sequence| {
            empty_batch_bytes(gateway_id, device, sequence)
        });
        match pushed {
            Ok(closed) => Ok(closed.map(|(sequence, readings)| self.batch(sequence, readings))),
            Err((Refused::Serialize(source), reading)) => Err(BatchError::Serialize {
                source,
                reading: Box::new(reading),
            }),
            Err((Refused::TooLarge { bytes }, reading)) => Err(BatchError::ReadingTooLarge {
                bytes,
                max_bytes: self.packer.max_bytes,
                reading: Box::new(reading),
            }),
        }
    }

    /// Closes and returns the open batch, if it holds any reading.
    pub fn finish(&mut self) -> Option<ReadingBatch> {
        let (sequence, readings) = self.packer.finish()?;
        Some(self.batch(sequence, readings))
    }

    /// Packs all `readings` after the open batch's, and closes every batch.
    ///
    /// # Errors
    ///
    /// The first reading that [`push`](Self::push) refuses; then no batch is returned and the
    /// builder is unchanged.
    pub fn split(
        &mut self,
        readings: impl IntoIterator<Item = Reading>,
    ) -> Result<Vec<ReadingBatch>, BatchError> {
        let mut trial = self.clone();
        let mut batches = Vec::new();
        for reading in readings {
            batches.extend(trial.push(reading)?);
        }
        batches.extend(trial.finish());
        *self = trial;
        Ok(batches)
    }

    fn batch(&self, sequence: u64, readings: Vec<Reading>) -> ReadingBatch {
        envelope(&self.gateway_id, &self.device, sequence, readings)
    }
}

fn envelope(
    gateway_id: &GatewayId,
    device: &DeviceId,
    sequence: u64,
    readings: Vec<Reading>,
) -> ReadingBatch {
    ReadingBatch {
        schema_version: VersionTag,
        kind: ReadingsTag::Readings,
        gateway_id: gateway_id.clone(),
        device: device.clone(),
        sequence,
        readings,
    }
}

/// Length of the JSON of a batch with no reading, numbered `sequence`.
fn empty_batch_bytes(gateway_id: &GatewayId, device: &DeviceId, sequence: u64) -> usize {
    // Ids are strings and the rest are integers, so this cannot fail; if it did, the maximum
    // size would make every reading "too large" rather than let a batch overflow.
    serde_json::to_vec(&envelope(gateway_id, device, sequence, Vec::new()))
        .map_or(usize::MAX, |json| json.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Quality, Source};

    fn builder() -> BatchBuilder {
        BatchBuilder::new(
            GatewayId::new("gw-1").unwrap(),
            DeviceId::new("press-1").unwrap(),
            0,
        )
    }

    fn reading(point: &str) -> Reading {
        Reading::new(
            Source::new(DeviceId::new("press-1").unwrap(), point),
            1.5,
            Quality::Good,
            1,
        )
    }

    #[test]
    fn writes_the_envelope_fields_in_camel_case() {
        let mut builder = builder();
        assert!(builder.push(reading("p")).unwrap().is_none());
        let batch = builder.finish().unwrap();
        let json = serde_json::to_value(&batch).unwrap();
        assert_eq!(json["schemaVersion"], 1);
        assert_eq!(json["kind"], "readings");
        assert_eq!(json["gatewayId"], "gw-1");
        assert_eq!(json["device"], "press-1");
        assert_eq!(json["sequence"], 0);
        assert_eq!(json["readings"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn tracks_the_exact_size_of_the_open_batch() {
        let mut builder = builder();
        for point in ["a", "bb", "ccc"] {
            builder.push(reading(point)).unwrap();
        }
        let expected = builder.packer.pending_bytes;
        let batch = builder.finish().unwrap();
        assert_eq!(serde_json::to_vec(&batch).unwrap().len(), expected);
    }

    #[test]
    fn closes_a_batch_when_the_next_reading_does_not_fit() {
        let one = serde_json::to_vec(&reading("p")).unwrap().len();
        let b = builder();
        let cap = empty_batch_bytes(&b.gateway_id, &b.device, 0) + 2 * one + 1;
        let mut builder = builder().with_max_bytes(cap);
        assert!(builder.push(reading("p")).unwrap().is_none());
        assert!(builder.push(reading("p")).unwrap().is_none());
        let closed = builder.push(reading("p")).unwrap().unwrap();
        assert_eq!(closed.readings().len(), 2);
        assert_eq!(closed.sequence(), 0);
        assert_eq!(builder.finish().unwrap().sequence(), 1);
        assert_eq!(builder.next_sequence(), 2);
    }

    #[test]
    fn a_reading_too_large_alone_is_handed_back_and_the_builder_is_unchanged() {
        let mut builder = builder().with_max_bytes(200);
        builder.push(reading("p")).unwrap();
        let huge = reading("p").with_quality_detail("x".repeat(500));
        let err = builder.push(huge.clone()).unwrap_err();
        assert!(matches!(
            err,
            BatchError::ReadingTooLarge { max_bytes: 200, .. }
        ));
        assert_eq!(err.into_reading(), huge);
        assert_eq!(builder.pending_len(), 1);
        assert_eq!(builder.next_sequence(), 0);
    }

    #[test]
    fn a_reading_of_another_device_is_refused() {
        let other = Reading::new(
            Source::new(DeviceId::new("press-2").unwrap(), "p"),
            1_i64,
            Quality::Good,
            1,
        );
        let err = builder().push(other).unwrap_err();
        assert!(matches!(err, BatchError::WrongDevice { .. }));
    }

    #[test]
    fn a_nan_reading_is_refused_not_written_as_null() {
        let nan = Reading::new(
            Source::new(DeviceId::new("press-1").unwrap(), "p"),
            f64::NAN,
            Quality::Good,
            1,
        );
        assert!(matches!(
            builder().push(nan),
            Err(BatchError::Serialize { .. })
        ));
    }

    #[test]
    fn split_is_all_or_nothing() {
        let mut builder = builder().with_max_bytes(400);
        let readings = vec![reading("a"), reading(&"x".repeat(500)), reading("b")];
        assert!(builder.split(readings).is_err());
        assert_eq!(builder.pending_len(), 0);
        assert_eq!(builder.next_sequence(), 0);
        let batches = builder.split(vec![reading("a"), reading("b")]).unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(builder.next_sequence(), 1);
    }

    #[test]
    fn finishing_an_empty_builder_yields_nothing() {
        assert!(builder().finish().is_none());
        assert!(builder().split(Vec::new()).unwrap().is_empty());
    }
}
