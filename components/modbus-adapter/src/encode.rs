//! A [`Value`] → the coil or registers to write for a point: the inverse of `decode.rs`.

use crate::point::{ByteOrder, DataType, Point};
use edge_model::Value;

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteData {
    /// One coil (function 5).
    Coil(bool),
    /// One bit inside a register, set on the device itself (function 22, mask write register),
    /// so the other bits are never overwritten with a stale copy.
    Mask {
        /// Bits to keep.
        and: u16,
        /// Bits to set.
        or: u16,
    },
    /// Registers, in wire order (function 6 for one, 16 for more).
    Registers(Vec<u16>),
}

/// Why a value cannot be written to a point.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    /// The value's kind does not fit the point's type.
    #[error("a {0} point needs a {1} value")]
    WrongKind(&'static str, &'static str),
    /// The (unscaled) value is outside the type's range, or not a whole number.
    #[error("value {0} does not fit the point's type")]
    OutOfRange(f64),
    /// The string is longer than the point.
    #[error("string longer than {0} characters")]
    TooLong(usize),
}

/// Encodes `value` for `point` (inverse scaling, byte order, range checks).
pub fn encode(point: &Point, value: &Value) -> Result<WriteData, EncodeError> {
    let order = point.byte_order;
    match point.data_type {
        DataType::Bool => match value {
            Value::Bool(b) => Ok(WriteData::Coil(*b)),
            _ => Err(EncodeError::WrongKind("bool", "boolean")),
        },
        DataType::Bit(bit) => match value {
            Value::Bool(b) => Ok(WriteData::Mask {
                and: !(1u16 << bit),
                or: u16::from(*b) << bit,
            }),
            _ => Err(EncodeError::WrongKind("bit", "boolean")),
        },
        DataType::Text(len) => match value {
            Value::Text(s) => text(s, usize::from(len), order),
            _ => Err(EncodeError::WrongKind("string", "string")),
        },
        DataType::U8 { high } | DataType::I8 { high } => {
            let x = raw(point, value)?.round();
            let fits = match point.data_type {
                DataType::U8 { .. } => (0.0..=255.0).contains(&x),
                _ => (-128.0..=127.0).contains(&x),
            };
            if !fits {
                return Err(EncodeError::OutOfRange(x));
            }
            // The other byte of the register is left alone (function 22).
            let byte = u16::from((x as i64 & 0xFF) as u8);
            Ok(if high {
                WriteData::Mask {
                    and: 0x00FF,
                    or: byte << 8,
                }
            } else {
                WriteData::Mask {
                    and: 0xFF00,
                    or: byte,
                }
            })
        }
        DataType::F16 => {
            let x = raw(point, value)?;
            let half = crate::f16::from_f64(x).ok_or(EncodeError::OutOfRange(x))?;
            Ok(regs(&half.to_be_bytes(), order))
        }
        DataType::F32 => Ok(regs(&(raw(point, value)? as f32).to_be_bytes(), order)),
        DataType::F64 => Ok(regs(&raw(point, value)?.to_be_bytes(), order)),
        t => {
            let x = raw(point, value)?.round();
            let fits = |lo: f64, hi: f64| (lo..=hi).contains(&x);
            let bytes: Vec<u8> = match t {
                DataType::U16 if fits(0.0, 65_535.0) => (x as u16).to_be_bytes().to_vec(),
                DataType::I16 if fits(-32_768.0, 32_767.0) => (x as i16).to_be_bytes().to_vec(),
                DataType::U32 if fits(0.0, 4_294_967_295.0) => (x as u32).to_be_bytes().to_vec(),
                DataType::I32 if fits(-2_147_483_648.0, 2_147_483_647.0) => {
                    (x as i32).to_be_bytes().to_vec()
                }
                DataType::U64 => match value {
                    Value::Int(i) if point.scaling.is_none() && *i >= 0 => i.to_be_bytes().to_vec(),
                    _ if fits(0.0, 1.8e19) => (x as u64).to_be_bytes().to_vec(),
                    _ => return Err(EncodeError::OutOfRange(x)),
                },
                DataType::I64 => match value {
                    Value::Int(i) if point.scaling.is_none() => i.to_be_bytes().to_vec(),
                    _ if fits(-9.2e18, 9.2e18) => (x as i64).to_be_bytes().to_vec(),
                    _ => return Err(EncodeError::OutOfRange(x)),
                },
                _ => return Err(EncodeError::OutOfRange(x)),
            };
            Ok(regs(&bytes, order))
        }
    }
}

/// The number to store before scaling: `(value - offset) / scale`.
fn raw(point: &Point, value: &Value) -> Result<f64, EncodeError> {
    let x = value
        .as_f64()
        .ok_or(EncodeError::WrongKind("numeric", "number"))?;
    let x = match point.scaling {
        Some(s) => (x - s.offset) / s.scale,
        None => x,
    };
    if x.is_finite() {
        Ok(x)
    } else {
        Err(EncodeError::OutOfRange(x))
    }
}

/// Big-endian value bytes → registers in wire order for `order`.
fn regs(bytes: &[u8], order: ByteOrder) -> WriteData {
    let mut words: Vec<u16> = bytes
        .chunks(2)
        .map(|c| {
            let (a, b) = (c[0], c.get(1).copied().unwrap_or(0));
            if order.swaps_bytes() {
                u16::from_be_bytes([b, a])
            } else {
                u16::from_be_bytes([a, b])
            }
        })
        .collect();
    if order.swaps_words() {
        words.reverse();
    }
    WriteData::Registers(words)
}

fn text(s: &str, registers: usize, order: ByteOrder) -> Result<WriteData, EncodeError> {
    let mut bytes = s.as_bytes().to_vec();
    if bytes.len() > 2 * registers {
        return Err(EncodeError::TooLong(2 * registers));
    }
    bytes.resize(2 * registers, 0);
    let words = bytes
        .chunks(2)
        .map(|c| {
            if order.swaps_bytes() {
                u16::from_be_bytes([c[1], c[0]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        })
        .collect();
    Ok(WriteData::Registers(words))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode_words;
    use crate::point::{PollGroup, Scaling, Table};

    fn point(data_type: DataType, order: ByteOrder) -> Point {
        Point {
            id: "p".to_owned(),
            table: Table::Holding,
            address: 0,
            data_type,
            byte_order: order,
            scaling: None,
            unit: None,
            group: PollGroup::Fast,
            writable: true,
            unit_id: 1,
        }
    }

    fn round_trip(p: &Point, v: Value) {
        let WriteData::Registers(words) = encode(p, &v).expect("encodes") else {
            panic!("registers")
        };
        assert_eq!(decode_words(p, &words).expect("decodes"), v, "{p:?}");
    }

    #[test]
    fn every_type_and_order_round_trips_through_decode() {
        for order in [
            ByteOrder::Abcd,
            ByteOrder::Dcba,
            ByteOrder::Badc,
            ByteOrder::Cdab,
        ] {
            round_trip(&point(DataType::U16, order), Value::Int(0xBEEF));
            round_trip(&point(DataType::I16, order), Value::Int(-1234));
            round_trip(&point(DataType::U32, order), Value::Int(3_000_000_000));
            round_trip(&point(DataType::I32, order), Value::Int(-123_456_789));
            round_trip(&point(DataType::I64, order), Value::Int(-9_876_543_210_123));
            round_trip(&point(DataType::U64, order), Value::Int(i64::MAX));
            round_trip(&point(DataType::F32, order), Value::Float(21.5));
            round_trip(&point(DataType::F64, order), Value::Float(-1234.5678));
            round_trip(&point(DataType::F16, order), Value::Float(21.5));
            round_trip(&point(DataType::Text(4), order), Value::from("LINE2"));
        }
    }

    #[test]
    fn the_known_vector_and_inverse_scaling() {
        let p = point(DataType::F32, ByteOrder::Abcd);
        assert_eq!(
            encode(&p, &Value::Float(21.5)),
            Ok(WriteData::Registers(vec![0x41AC, 0x0000]))
        );
        let scaled = Point {
            scaling: Some(Scaling {
                scale: 0.1,
                offset: -40.0,
            }),
            ..point(DataType::I16, ByteOrder::Abcd)
        };
        assert_eq!(
            encode(&scaled, &Value::Float(25.3)),
            Ok(WriteData::Registers(vec![653]))
        );
    }

    #[test]
    fn bad_values_are_refused() {
        let u16p = point(DataType::U16, ByteOrder::Abcd);
        assert!(matches!(
            encode(&u16p, &Value::Int(70_000)),
            Err(EncodeError::OutOfRange(_))
        ));
        assert!(matches!(
            encode(&u16p, &Value::Int(-1)),
            Err(EncodeError::OutOfRange(_))
        ));
        assert!(matches!(
            encode(&u16p, &Value::Bool(true)),
            Err(EncodeError::WrongKind(..))
        ));
        let s = point(DataType::Text(1), ByteOrder::Abcd);
        assert_eq!(
            encode(&s, &Value::from("abc")),
            Err(EncodeError::TooLong(2))
        );
        let bit = point(DataType::Bit(3), ByteOrder::Abcd);
        assert_eq!(
            encode(&bit, &Value::Bool(true)),
            Ok(WriteData::Mask {
                and: 0xFFF7,
                or: 0x0008
            })
        );
        assert_eq!(
            encode(&bit, &Value::Bool(false)),
            Ok(WriteData::Mask { and: 0xFFF7, or: 0 })
        );
        assert!(matches!(
            encode(&point(DataType::F16, ByteOrder::Abcd), &Value::Float(1e6)),
            Err(EncodeError::OutOfRange(_))
        ));
        let low = point(DataType::I8 { high: false }, ByteOrder::Abcd);
        assert_eq!(
            encode(&low, &Value::Int(-17)),
            Ok(WriteData::Mask {
                and: 0xFF00,
                or: 0x00EF
            })
        );
        let high = point(DataType::U8 { high: true }, ByteOrder::Abcd);
        assert_eq!(
            encode(&high, &Value::Int(0xBE)),
            Ok(WriteData::Mask {
                and: 0x00FF,
                or: 0xBE00
            })
        );
        assert!(matches!(
            encode(&high, &Value::Int(256)),
            Err(EncodeError::OutOfRange(_))
        ));
        let coil = Point {
            table: Table::Coil,
            ..point(DataType::Bool, ByteOrder::Abcd)
        };
        assert_eq!(
            encode(&coil, &Value::Bool(false)),
            Ok(WriteData::Coil(false))
        );
    }
}
