//! The value of a reading: a float, an integer, a boolean or a string.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::finite;

/// A value read from a device.
///
/// On the wire it is a plain JSON number, boolean or string. A float is always written with a
/// fraction or an exponent (`1.0`, `1e300`) and an integer never is (`1`), so the two kinds stay
/// apart: a JSON number without fraction or exponent reads back as [`Value::Int`], any other as
/// [`Value::Float`].
///
/// Serializing a NaN or infinite [`Value::Float`] fails: JSON has no way to write one.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A floating-point number; must be finite to be serialized.
    Float(f64),
    /// A signed integer.
    Int(i64),
    /// A boolean, such as a coil or a digital input.
    Bool(bool),
    /// A string, such as a state name or a serial number.
    Text(String),
}

impl Value {
    /// The value as a float, for a float or an integer (which may round above 2^53).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Float(x) => Some(*x),
            Self::Int(i) => Some(*i as f64),
            Self::Bool(_) | Self::Text(_) => None,
        }
    }

    /// The value as an integer, for an integer only.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The value as a boolean, for a boolean only.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value as a string slice, for a string only.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Self::Float(x)
    }
}

impl From<f32> for Value {
    fn from(x: f32) -> Self {
        Self::Float(f64::from(x))
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Self::Int(i64::from(i))
    }
}

impl From<u32> for Value {
    fn from(i: u32) -> Self {
        Self::Int(i64::from(i))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Float(x) => finite::serialize(x, serializer),
            Self::Int(i) => serializer.serialize_i64(*i),
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::Text(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Maps each JSON scalar onto its [`Value`] variant.
struct ValueVisitor;

impl Visitor<'_> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, a boolean or a string")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        i64::try_from(u)
            .map(Value::Int)
            .map_err(|_| E::custom(format_args!("integer {u} does not fit in 64 signed bits")))
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Value, E> {
        Ok(Value::Float(x))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Text(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::Text(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: &Value) -> String {
        serde_json::to_string(value).unwrap()
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_whole_float_stays_a_float_and_an_int_stays_an_int() {
        assert_eq!(json(&Value::Float(1.0)), "1.0");
        assert_eq!(json(&Value::Int(1)), "1");
        assert_eq!(parse("1.0"), Value::Float(1.0));
        assert_eq!(parse("1"), Value::Int(1));
        assert_eq!(parse("-7"), Value::Int(-7));
        assert_eq!(parse("1e3"), Value::Float(1000.0));
    }

    #[test]
    fn booleans_and_strings_are_plain_json() {
        assert_eq!(json(&Value::Bool(true)), "true");
        assert_eq!(json(&Value::from("RUN")), "\"RUN\"");
        assert_eq!(parse("false"), Value::Bool(false));
        assert_eq!(parse("\"12\""), Value::Text("12".to_owned()));
    }

    #[test]
    fn integers_beyond_i64_are_refused() {
        assert_eq!(parse(&i64::MAX.to_string()), Value::Int(i64::MAX));
        assert!(serde_json::from_str::<Value>(&u64::MAX.to_string()).is_err());
    }

    #[test]
    fn null_arrays_and_objects_are_refused() {
        for text in ["null", "[1]", "{}"] {
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
        }
    }

    #[test]
    fn non_finite_floats_fail_to_serialize() {
        assert!(serde_json::to_string(&Value::Float(f64::NAN)).is_err());
    }

    #[test]
    fn accessors_return_only_their_own_kind() {
        assert_eq!(Value::Int(3).as_f64(), Some(3.0));
        assert_eq!(Value::Float(3.5).as_i64(), None);
        assert_eq!(Value::Bool(true).as_bool(), Some(true));
        assert_eq!(Value::from("x").as_str(), Some("x"));
        assert_eq!(Value::from("x").as_f64(), None);
    }
}
