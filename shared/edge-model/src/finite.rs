//! Serde helpers that refuse to write NaN or infinite floats.
//!
//! serde_json writes a non-finite `f64` as `null`, which no schema here allows and which would
//! come back as a different type; failing the serialization is the honest answer.

use std::collections::BTreeMap;

use serde::ser::{Error as _, SerializeMap as _};
use serde::{Serialize, Serializer};

/// Writes `value`, or fails if it is NaN or infinite.
pub(crate) fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_finite() {
        serializer.serialize_f64(*value)
    } else {
        Err(S::Error::custom(format_args!(
            "{value} cannot be written as JSON, only finite numbers can"
        )))
    }
}

/// Writes an optional float (callers skip `None`), or fails if it is NaN or infinite.
pub(crate) fn serialize_option<S: Serializer>(
    value: &Option<f64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(x) => serialize(x, serializer),
        None => serializer.serialize_none(),
    }
}

/// Writes a map of floats, or fails if any value is NaN or infinite.
pub(crate) fn serialize_map<S: Serializer>(
    map: &BTreeMap<String, f64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut out = serializer.serialize_map(Some(map.len()))?;
    for (key, value) in map {
        out.serialize_entry(key, &Finite(*value))?;
    }
    out.end()
}

/// One float written through [`serialize`].
struct Finite(f64);

impl Serialize for Finite {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct One(#[serde(serialize_with = "serialize")] f64);

    #[test]
    fn finite_floats_are_written_as_floats() {
        assert_eq!(serde_json::to_string(&One(2.0)).unwrap(), "2.0");
    }

    #[test]
    fn nan_and_infinity_fail_to_serialize() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(serde_json::to_string(&One(bad)).is_err());
        }
    }
}
