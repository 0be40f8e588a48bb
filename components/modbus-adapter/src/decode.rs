//! Raw registers or bits → typed, scaled [`Value`].

use crate::f16;
use crate::point::{ByteOrder, DataType, Point};
use edge_model::Value;

/// Why a raw value could not become a reading value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The slice does not have the point's width (a short response).
    #[error("expected {expected} addresses, got {got}")]
    WrongLength {
        /// The point's width.
        expected: usize,
        /// What the response held.
        got: usize,
    },
    /// A u64 above i64::MAX with no scaling.
    #[error("value {0} does not fit in a signed 64-bit integer")]
    OutOfRange(u64),
    /// NaN or infinite (cannot be published as JSON).
    #[error("value is not a finite number")]
    NotFinite,
    /// A bit table point decoded from registers, or the reverse.
    #[error("point type does not match the table")]
    WrongTable,
}

/// Decodes the bits of a coil or discrete input point (`bits` is exactly the point's range).
pub fn decode_bits(point: &Point, bits: &[bool]) -> Result<Value, DecodeError> {
    match (point.data_type, bits) {
        (DataType::Bool, [b]) => Ok(Value::Bool(*b)),
        (DataType::Bool, _) => Err(DecodeError::WrongLength {
            expected: 1,
            got: bits.len(),
        }),
        _ => Err(DecodeError::WrongTable),
    }
}

/// Decodes the registers of a holding or input register point (`words` is exactly its range).
pub fn decode_words(point: &Point, words: &[u16]) -> Result<Value, DecodeError> {
    let width = usize::from(point.data_type.width());
    if words.len() != width {
        return Err(DecodeError::WrongLength {
            expected: width,
            got: words.len(),
        });
    }
    let order = point.byte_order;
    let number = match point.data_type {
        DataType::Bool => return Err(DecodeError::WrongTable),
        DataType::Bit(bit) => return Ok(Value::Bool(words[0] >> bit & 1 == 1)),
        DataType::Text(_) => return Ok(Value::Text(text(words, order))),
        DataType::U8 { high } => Number::Int(i64::from(byte_of(words[0], high))),
        DataType::I8 { high } => Number::Int(i64::from(byte_of(words[0], high) as i8)),
        DataType::U16 => Number::Int(i64::from(u16::from_be_bytes(be::<2>(words, order)))),
        DataType::I16 => Number::Int(i64::from(i16::from_be_bytes(be::<2>(words, order)))),
        DataType::U32 => Number::Int(i64::from(u32::from_be_bytes(be::<4>(words, order)))),
        DataType::I32 => Number::Int(i64::from(i32::from_be_bytes(be::<4>(words, order)))),
        DataType::I64 => Number::Int(i64::from_be_bytes(be::<8>(words, order))),
        DataType::U64 => Number::Unsigned(u64::from_be_bytes(be::<8>(words, order))),
        DataType::F16 => Number::Float(f16::to_f64(u16::from_be_bytes(be::<2>(words, order)))),
        DataType::F32 => Number::Float(f64::from(f32::from_be_bytes(be::<4>(words, order)))),
        DataType::F64 => Number::Float(f64::from_be_bytes(be::<8>(words, order))),
    };
    match point.scaling {
        Some(s) => finite(number.as_f64() * s.scale + s.offset),
        None => number.into_value(),
    }
}

/// The high (first on the wire) or low byte of a register.
fn byte_of(word: u16, high: bool) -> u8 {
    let [hi, lo] = word.to_be_bytes();
    if high { hi } else { lo }
}

/// An unscaled number before it becomes a [`Value`].
enum Number {
    Int(i64),
    Unsigned(u64),
    Float(f64),
}

impl Number {
    fn as_f64(&self) -> f64 {
        match *self {
            Self::Int(i) => i as f64,
            Self::Unsigned(u) => u as f64,
            Self::Float(x) => x,
        }
    }

    fn into_value(self) -> Result<Value, DecodeError> {
        match self {
            Self::Int(i) => Ok(Value::Int(i)),
            Self::Unsigned(u) => i64::try_from(u)
                .map(Value::Int)
                .map_err(|_| DecodeError::OutOfRange(u)),
            Self::Float(x) => finite(x),
        }
    }
}

fn finite(x: f64) -> Result<Value, DecodeError> {
    if x.is_finite() {
        Ok(Value::Float(x))
    } else {
        Err(DecodeError::NotFinite)
    }
}

/// The value's bytes, most significant first, from registers in `order`.
fn be<const N: usize>(words: &[u16], order: ByteOrder) -> [u8; N] {
    let mut out = [0u8; N];
    let mut put = |k: usize, w: u16| {
        let [hi, lo] = w.to_be_bytes();
        let (first, second) = if order.swaps_bytes() {
            (lo, hi)
        } else {
            (hi, lo)
        };
        if let Some(slot) = out.get_mut(2 * k..2 * k + 2) {
            slot.copy_from_slice(&[first, second]);
        }
    };
    if order.swaps_words() {
        words.iter().rev().enumerate().for_each(|(k, &w)| put(k, w));
    } else {
        words.iter().enumerate().for_each(|(k, &w)| put(k, w));
    }
    out
}

/// A string of two characters per register (first character in the high byte, or the low byte
/// when the order swaps bytes), with trailing NULs and spaces removed.
fn text(words: &[u16], order: ByteOrder) -> String {
    let bytes: Vec<u8> = words
        .iter()
        .flat_map(|w| {
            let [hi, lo] = w.to_be_bytes();
            if order.swaps_bytes() {
                [lo, hi]
            } else {
                [hi, lo]
            }
        })
        .collect();
    let text = String::from_utf8_lossy(&bytes);
    text.trim_end_matches(['\0', ' ']).to_owned()
}

#[cfg(test)]
mod tests;
