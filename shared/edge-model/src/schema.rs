//! The JSON Schema of each message kind, embedded from `schemas/`.

use crate::MessageKind;

/// The JSON Schema (draft 2020-12) that every message of `kind` this crate writes satisfies.
pub fn schema_for(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Readings => include_str!("../schemas/reading-batch.schema.json"),
        MessageKind::Anomaly => include_str!("../schemas/anomaly-event.schema.json"),
        MessageKind::Alarm => include_str!("../schemas/alarm-event.schema.json"),
        MessageKind::Status => include_str!("../schemas/component-status.schema.json"),
        MessageKind::Aggregates => include_str!("../schemas/aggregate-batch.schema.json"),
        MessageKind::DeadLetter => include_str!("../schemas/dead-letter.schema.json"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_json_that_names_its_kind() {
        for kind in MessageKind::ALL {
            let schema: serde_json::Value = serde_json::from_str(schema_for(kind)).unwrap();
            assert_eq!(schema["properties"]["kind"]["const"], kind.as_str());
        }
    }
}
