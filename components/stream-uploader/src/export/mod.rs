//! Destinations. Each exporter sends one batch and says, per record, whether the destination
//! acknowledged it; the drain loop deletes only acknowledged (or dead-lettered) records.

pub mod aws_client;
pub mod classify;
pub mod envelope;
pub mod iot_core;
pub mod kinesis;
pub mod s3;
pub mod sitewise;

use crate::store::StoredRecord;
use std::future::Future;

/// What became of one record of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The destination acknowledged it: delete it.
    Delivered,
    /// Not delivered; try again later (network, server error, garbage answer, credentials).
    Retry(String),
    /// The destination asked us to slow down; try again later.
    Throttled(String),
    /// The destination will never take it (too large, not convertible, refused as invalid):
    /// dead-letter it with this reason and delete it.
    Reject(String),
}

impl Outcome {
    /// Whether the record leaves the queue.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Delivered | Self::Reject(_))
    }
}

/// A destination.
pub trait Exporter: Send + Sync + 'static {
    /// Sends `batch` (records of one export, in drain order) and returns one outcome per
    /// record, in the same order. `store_id` makes record ids (see [`envelope::record_id`]).
    fn send(
        &self,
        store_id: &str,
        batch: &[StoredRecord],
    ) -> impl Future<Output = Vec<Outcome>> + Send;
}

/// The same outcome for every record (a whole call failed or succeeded).
pub fn all(batch: &[StoredRecord], outcome: &Outcome) -> Vec<Outcome> {
    vec![outcome.clone(); batch.len()]
}
