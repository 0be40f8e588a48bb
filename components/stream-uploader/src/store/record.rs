//! What the queue holds: one record per (message, export), with a checksum over everything that
//! is sent so a damaged row is caught before it leaves the gateway.

/// A record to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// Export (destination) name, as configured.
    pub export: String,
    /// Local topic the message arrived on.
    pub topic: String,
    /// Message bytes (the JSON document as received).
    pub payload: Vec<u8>,
    /// When the gateway accepted it, epoch ms.
    pub created_ms: i64,
}

/// A record read back from the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Sequence number: unique in this store, never reused.
    pub seq: i64,
    /// Local topic the message arrived on.
    pub topic: String,
    /// Message bytes.
    pub payload: Vec<u8>,
    /// When the gateway accepted it, epoch ms.
    pub created_ms: i64,
}

impl StoredRecord {
    /// Bytes the record counts against the queue's size cap.
    pub fn size(&self) -> u64 {
        record_size(&self.topic, &self.payload)
    }
}

/// Bytes a record counts against the size cap: topic plus payload.
pub fn record_size(topic: &str, payload: &[u8]) -> u64 {
    (topic.len() + payload.len()) as u64
}

/// CRC32 over the fields that leave the gateway, with lengths so fields cannot shift into one
/// another.
pub fn checksum(created_ms: i64, topic: &str, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&created_ms.to_le_bytes());
    h.update(&(topic.len() as u64).to_le_bytes());
    h.update(topic.as_bytes());
    h.update(&(payload.len() as u64).to_le_bytes());
    h.update(payload);
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_changes_when_any_field_changes() {
        let base = checksum(1, "a/b", b"{}");
        assert_ne!(base, checksum(2, "a/b", b"{}"));
        assert_ne!(base, checksum(1, "a/c", b"{}"));
        assert_ne!(base, checksum(1, "a/b", b"{ }"));
        // Moving a byte from topic to payload is caught thanks to the lengths.
        assert_ne!(checksum(1, "ab", b"c"), checksum(1, "a", b"bc"));
    }
}
