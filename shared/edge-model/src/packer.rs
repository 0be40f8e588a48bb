//! The greedy packer behind [`BatchBuilder`](crate::BatchBuilder) and
//! [`AggregateBatchBuilder`](crate::AggregateBatchBuilder): items go into the open batch while
//! its JSON stays under the cap, and batches are numbered consecutively.

use serde::Serialize;

/// Why an item was refused; the item itself is handed back beside it.
#[derive(Debug)]
pub(crate) enum Refused {
    /// A batch holding only the item would be `bytes` long, over the cap.
    TooLarge { bytes: usize },
    /// The item cannot be written as JSON.
    Serialize(serde_json::Error),
}

/// A closed batch: its sequence number and items.
pub(crate) type Closed<T> = (u64, Vec<T>);

/// Items waiting for the open batch, with the exact JSON length it would have.
#[derive(Debug, Clone)]
pub(crate) struct Packer<T> {
    pub(crate) max_bytes: usize,
    pub(crate) next_sequence: u64,
    pub(crate) pending: Vec<T>,
    /// Length of the JSON of the pending batch; meaningless while `pending` is empty.
    pub(crate) pending_bytes: usize,
}

impl<T: Serialize> Packer<T> {
    pub(crate) fn new(max_bytes: usize, first_sequence: u64) -> Self {
        Self {
            max_bytes,
            next_sequence: first_sequence,
            pending: Vec::new(),
            pending_bytes: 0,
        }
    }

    /// Adds `item`. When it does not fit, closes the open batch (returned as its sequence
    /// number and items) and starts the next one with `item`. `empty_bytes(sequence)` is the
    /// JSON length of a batch numbered `sequence` without items. On refusal the packer is
    /// unchanged.
    pub(crate) fn push(
        &mut self,
        item: T,
        empty_bytes: impl Fn(u64) -> usize,
    ) -> Result<Option<Closed<T>>, (Refused, T)> {
        let item_bytes = match serde_json::to_vec(&item) {
            Ok(json) => json.len(),
            Err(e) => return Err((Refused::Serialize(e), item)),
        };
        if !self.pending.is_empty() {
            // One comma separates it from the previous item.
            let together = self.pending_bytes + 1 + item_bytes;
            if together <= self.max_bytes {
                self.pending.push(item);
                self.pending_bytes = together;
                return Ok(None);
            }
        }
        let next_sequence = if self.pending.is_empty() {
            self.next_sequence
        } else {
            self.next_sequence.wrapping_add(1)
        };
        let alone = empty_bytes(next_sequence).saturating_add(item_bytes);
        if alone > self.max_bytes {
            return Err((Refused::TooLarge { bytes: alone }, item));
        }
        let closed = self.finish();
        self.pending.push(item);
        self.pending_bytes = alone;
        Ok(closed)
    }

    /// Closes the open batch, if it holds any item: its sequence number and items.
    pub(crate) fn finish(&mut self) -> Option<Closed<T>> {
        if self.pending.is_empty() {
            return None;
        }
        let items = std::mem::take(&mut self.pending);
        let sequence = self.next_sequence;
        self.next_sequence = self.next_sequence.wrapping_add(1);
        self.pending_bytes = 0;
        Some((sequence, items))
    }
}
