//! Lenient scalars for configuration fields.
//!
//! Greengrass may hand a number back as a float (`5.0`) or a deployment may write it as a string
//! (`"5"`), so every numeric or boolean config field should use one of these:
//!
//! ```
//! use serde::Deserialize;
//!
//! #[derive(Debug, Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! struct DeviceConfig {
//!     /// Poll period in milliseconds.
//!     #[serde(deserialize_with = "component_kit::lenient::u64")]
//!     poll_interval_ms: u64,
//!     /// Optional scale factor.
//!     #[serde(default, deserialize_with = "component_kit::lenient::option::f64")]
//!     scale: Option<f64>,
//! }
//!
//! let c: DeviceConfig = serde_json::from_str(r#"{"pollIntervalMs": "250.0", "scale": 2}"#).unwrap();
//! assert_eq!(c.poll_interval_ms, 250);
//! assert_eq!(c.scale, Some(2.0));
//! ```
//!
//! Integers accept `5`, `5.0`, `"5"`, `"5.0"` and `" 5 "`, and reject `5.5` ("expected a whole
//! number") and out-of-range values (naming the range). Floats accept numbers and numeric strings
//! and reject NaN and infinities. Booleans accept `true`/`false`, the strings `"true"`/`"false"`
//! (any case), and `0`/`1` as numbers or strings. Inside collections, where `deserialize_with`
//! does not reach, use the [`Lenient`] newtype (`HashMap<String, Lenient<u32>>`).

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

/// Largest float magnitude that converts exactly into an `i128` for the range checks below.
const EXACT_FLOAT_BOUND: f64 = 1.0e30;

/// An integer type that lenient parsing can produce.
pub trait LenientInt: Sized + Copy + TryFrom<i128> {
    /// Smallest value, for the error message.
    const MIN: i128;
    /// Largest value, for the error message.
    const MAX: i128;
}

macro_rules! lenient_int {
    ($($t:ty),*) => {$(
        impl LenientInt for $t {
            const MIN: i128 = <$t>::MIN as i128;
            const MAX: i128 = <$t>::MAX as i128;
        }
    )*};
}
lenient_int!(u8, u16, u32, u64, usize, i8, i16, i32, i64);

/// A float type that lenient parsing can produce.
pub trait LenientFloat: Sized + Copy {
    /// Converts from `f64`; `None` when the value does not fit.
    fn from_f64(value: f64) -> Option<Self>;
}

impl LenientFloat for f64 {
    fn from_f64(value: f64) -> Option<Self> {
        Some(value)
    }
}

impl LenientFloat for f32 {
    fn from_f64(value: f64) -> Option<Self> {
        let narrowed = value as f32;
        narrowed.is_finite().then_some(narrowed)
    }
}

struct IntVisitor<T>(PhantomData<T>);

impl<T: LenientInt> IntVisitor<T> {
    fn from_i128<E: de::Error>(value: i128, unexpected: Unexpected<'_>) -> Result<T, E> {
        T::try_from(value).map_err(|_| {
            let expected = if T::MIN == 0 {
                format!("a whole number between 0 and {}", T::MAX)
            } else {
                format!("a whole number between {} and {}", T::MIN, T::MAX)
            };
            E::invalid_value(unexpected, &expected.as_str())
        })
    }

    fn from_float<E: de::Error>(value: f64, unexpected: Unexpected<'_>) -> Result<T, E> {
        if !value.is_finite() || value.fract() != 0.0 {
            return Err(E::invalid_value(unexpected, &"a whole number"));
        }
        if value.abs() >= EXACT_FLOAT_BOUND {
            return Self::from_i128(i128::MAX, unexpected);
        }
        Self::from_i128(value as i128, unexpected)
    }
}

impl<'de, T: LenientInt> Visitor<'de> for IntVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Self::from_i128(i128::from(v), Unexpected::Unsigned(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Self::from_i128(i128::from(v), Unexpected::Signed(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<T, E> {
        let wide = i128::try_from(v).unwrap_or(i128::MAX);
        Self::from_i128(wide, Unexpected::Other("a large integer"))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<T, E> {
        Self::from_i128(v, Unexpected::Other("a large integer"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Self::from_float(v, Unexpected::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        let text = v.trim();
        if let Ok(int) = text.parse::<i128>() {
            return Self::from_i128(int, Unexpected::Str(v));
        }
        match text.parse::<f64>() {
            Ok(float) if float.is_finite() => Self::from_float(float, Unexpected::Str(v)),
            _ => Err(E::invalid_value(Unexpected::Str(v), &self)),
        }
    }
}

struct FloatVisitor<T>(PhantomData<T>);

impl<T: LenientFloat> FloatVisitor<T> {
    fn from_f64<E: de::Error>(value: f64, unexpected: Unexpected<'_>) -> Result<T, E> {
        if !value.is_finite() {
            return Err(E::invalid_value(unexpected, &"a finite number"));
        }
        T::from_f64(value).ok_or_else(|| E::invalid_value(unexpected, &"a number in range"))
    }
}

impl<'de, T: LenientFloat> Visitor<'de> for FloatVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Self::from_f64(v as f64, Unexpected::Unsigned(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Self::from_f64(v as f64, Unexpected::Signed(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Self::from_f64(v, Unexpected::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        match v.trim().parse::<f64>() {
            Ok(float) => Self::from_f64(float, Unexpected::Str(v)),
            Err(_) => Err(E::invalid_value(Unexpected::Str(v), &self)),
        }
    }
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("true or false")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        if v == 0.0 {
            Ok(false)
        } else if v == 1.0 {
            Ok(true)
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        let text = v.trim();
        if text.eq_ignore_ascii_case("true") || text == "1" {
            Ok(true)
        } else if text.eq_ignore_ascii_case("false") || text == "0" {
            Ok(false)
        } else {
            Err(E::invalid_value(Unexpected::Str(v), &self))
        }
    }
}

/// Deserializes any [`LenientInt`] leniently.
pub fn int<'de, D: Deserializer<'de>, T: LenientInt>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(IntVisitor(PhantomData))
}

/// Deserializes any [`LenientFloat`] leniently.
pub fn float<'de, D: Deserializer<'de>, T: LenientFloat>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(FloatVisitor(PhantomData))
}

macro_rules! int_fns {
    ($($name:ident),*) => {$(
        #[doc = concat!("`deserialize_with` for a `", stringify!($name), "` field.")]
        pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
            int(d)
        }
    )*};
}
int_fns!(u8, u16, u32, u64, usize, i8, i16, i32, i64);

/// `deserialize_with` for an `f64` field.
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    float(d)
}

/// `deserialize_with` for an `f32` field.
pub fn f32<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    float(d)
}

/// `deserialize_with` for a `bool` field.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    d.deserialize_any(BoolVisitor)
}

/// `deserialize_with` for a [`Duration`] written as whole milliseconds (`pollIntervalMs`).
pub fn duration_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64(d).map(Duration::from_millis)
}

/// `deserialize_with` for a [`Duration`] written as whole seconds (`requestTimeoutSecs`).
pub fn duration_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64(d).map(Duration::from_secs)
}

/// The same helpers for `Option<_>` fields: `null` (or a missing key, with `#[serde(default)]`)
/// is `None`.
pub mod option {
    use super::Lenient;
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    macro_rules! option_fns {
        ($($name:ident: $t:ty),*) => {$(
            #[doc = concat!("`deserialize_with` for an `Option<", stringify!($t), ">` field.")]
            pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$t>, D::Error> {
                Ok(Option::<Lenient<$t>>::deserialize(d)?.map(Lenient::into_inner))
            }
        )*};
    }
    option_fns!(
        u8: u8, u16: u16, u32: u32, u64: u64, usize: usize,
        i8: i8, i16: i16, i32: i32, i64: i64,
        f64: f64, f32: f32, bool: bool
    );

    /// `deserialize_with` for an `Option<Duration>` written as whole milliseconds.
    pub fn duration_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(u64(d)?.map(Duration::from_millis))
    }

    /// `deserialize_with` for an `Option<Duration>` written as whole seconds.
    pub fn duration_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(u64(d)?.map(Duration::from_secs))
    }
}

/// A scalar parsed leniently, for places `deserialize_with` cannot reach (map values, list items).
/// Serializes as the plain value.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Lenient<T>(pub T);

impl<T> Lenient<T> {
    /// The wrapped value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Scalars that [`Lenient`] can wrap.
pub trait LenientScalar: Sized {
    /// Deserializes leniently.
    fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

macro_rules! scalar_int {
    ($($t:ty),*) => {$(
        impl LenientScalar for $t {
            fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                int(d)
            }
        }
    )*};
}
scalar_int!(u8, u16, u32, u64, usize, i8, i16, i32, i64);

impl LenientScalar for f64 {
    fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        float(d)
    }
}

impl LenientScalar for f32 {
    fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        float(d)
    }
}

impl LenientScalar for bool {
    fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
}

impl<'de, T: LenientScalar> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize_lenient(d).map(Lenient)
    }
}

#[cfg(test)]
mod tests;
