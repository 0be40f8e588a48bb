use super::*;
use crate::point::{PollGroup, Scaling, Table};

fn point(data_type: DataType, order: &str) -> Point {
    Point {
        id: "p".to_owned(),
        table: Table::Holding,
        address: 0,
        data_type,
        byte_order: ByteOrder::parse(order).expect("order"),
        scaling: None,
        unit: None,
        group: PollGroup::Fast,
        writable: false,
        unit_id: 1,
    }
}

fn words(t: DataType, order: &str, w: &[u16]) -> Value {
    decode_words(&point(t, order), w).expect("decodes")
}

#[test]
fn f32_in_every_byte_order() {
    // 21.5 = 0x41AC0000: bytes A=41 B=AC C=00 D=00.
    assert_eq!(
        words(DataType::F32, "ABCD", &[0x41AC, 0x0000]),
        Value::Float(21.5)
    );
    assert_eq!(
        words(DataType::F32, "CDAB", &[0x0000, 0x41AC]),
        Value::Float(21.5)
    );
    assert_eq!(
        words(DataType::F32, "BADC", &[0xAC41, 0x0000]),
        Value::Float(21.5)
    );
    assert_eq!(
        words(DataType::F32, "DCBA", &[0x0000, 0xAC41]),
        Value::Float(21.5)
    );
}

#[test]
fn u32_and_i32_in_every_byte_order() {
    // 0x12345678
    let v = Value::Int(0x1234_5678);
    assert_eq!(words(DataType::U32, "ABCD", &[0x1234, 0x5678]), v);
    assert_eq!(words(DataType::U32, "CDAB", &[0x5678, 0x1234]), v);
    assert_eq!(words(DataType::U32, "BADC", &[0x3412, 0x7856]), v);
    assert_eq!(words(DataType::U32, "DCBA", &[0x7856, 0x3412]), v);
    assert_eq!(
        words(DataType::I32, "ABCD", &[0xFFFF, 0xFFFE]),
        Value::Int(-2)
    );
    assert_eq!(
        words(DataType::U32, "ABCD", &[0xFFFF, 0xFFFF]),
        Value::Int(4_294_967_295)
    );
}

#[test]
fn sixty_four_bit_values_in_every_byte_order() {
    // 0x0102030405060708
    let v = Value::Int(0x0102_0304_0506_0708);
    assert_eq!(
        words(DataType::I64, "ABCD", &[0x0102, 0x0304, 0x0506, 0x0708]),
        v
    );
    assert_eq!(
        words(DataType::I64, "CDAB", &[0x0708, 0x0506, 0x0304, 0x0102]),
        v
    );
    assert_eq!(
        words(DataType::I64, "BADC", &[0x0201, 0x0403, 0x0605, 0x0807]),
        v
    );
    assert_eq!(
        words(DataType::I64, "DCBA", &[0x0807, 0x0605, 0x0403, 0x0201]),
        v
    );
    assert_eq!(words(DataType::I64, "ABCD", &[0xFFFF; 4]), Value::Int(-1));
    assert_eq!(
        words(DataType::U64, "ABCD", &[0x7FFF, 0xFFFF, 0xFFFF, 0xFFFF]),
        Value::Int(i64::MAX)
    );
    // f64 -1234.5 = 0xC0934A0000000000
    assert_eq!(
        words(DataType::F64, "ABCD", &[0xC093, 0x4A00, 0, 0]),
        Value::Float(-1234.5)
    );
    assert_eq!(
        words(DataType::F64, "CDAB", &[0, 0, 0x4A00, 0xC093]),
        Value::Float(-1234.5)
    );
    assert_eq!(
        words(DataType::F64, "DCBA", &[0, 0, 0x004A, 0x93C0]),
        Value::Float(-1234.5)
    );
}

#[test]
fn u64_beyond_i64_is_an_error_unless_scaled() {
    let p = point(DataType::U64, "ABCD");
    assert_eq!(
        decode_words(&p, &[0xFFFF; 4]),
        Err(DecodeError::OutOfRange(u64::MAX))
    );
    let scaled = Point {
        scaling: Some(Scaling {
            scale: 1.0,
            offset: 0.0,
        }),
        ..p
    };
    assert_eq!(
        decode_words(&scaled, &[0xFFFF; 4]),
        Ok(Value::Float(u64::MAX as f64))
    );
}

#[test]
fn sixteen_bit_values() {
    assert_eq!(words(DataType::U16, "ABCD", &[0xBEEF]), Value::Int(0xBEEF));
    assert_eq!(words(DataType::U16, "CDAB", &[0xBEEF]), Value::Int(0xBEEF));
    assert_eq!(words(DataType::U16, "BADC", &[0xEFBE]), Value::Int(0xBEEF));
    assert_eq!(words(DataType::U16, "DCBA", &[0xEFBE]), Value::Int(0xBEEF));
    assert_eq!(words(DataType::I16, "ABCD", &[0xFF38]), Value::Int(-200));
}

#[test]
fn half_floats() {
    assert_eq!(words(DataType::F16, "ABCD", &[0x3C00]), Value::Float(1.0));
    assert_eq!(words(DataType::F16, "ABCD", &[0xC500]), Value::Float(-5.0));
    assert_eq!(words(DataType::F16, "ABCD", &[0x4D60]), Value::Float(21.5));
    assert_eq!(
        words(DataType::F16, "ABCD", &[0x7BFF]),
        Value::Float(65504.0)
    );
    assert_eq!(
        words(DataType::F16, "ABCD", &[0x0001]),
        Value::Float(2f64.powi(-24))
    );
    assert_eq!(words(DataType::F16, "BADC", &[0x604D]), Value::Float(21.5));
    assert_eq!(
        decode_words(&point(DataType::F16, "ABCD"), &[0x7C00]),
        Err(DecodeError::NotFinite)
    );
    assert_eq!(
        decode_words(&point(DataType::F16, "ABCD"), &[0x7E00]),
        Err(DecodeError::NotFinite)
    );
}

#[test]
fn non_finite_floats_are_errors() {
    assert_eq!(
        decode_words(&point(DataType::F32, "ABCD"), &[0x7FC0, 0]),
        Err(DecodeError::NotFinite)
    );
}

#[test]
fn scale_and_offset_give_a_float() {
    let p = Point {
        scaling: Some(Scaling {
            scale: 0.1,
            offset: -40.0,
        }),
        ..point(DataType::I16, "ABCD")
    };
    let Value::Float(x) = decode_words(&p, &[653]).expect("decodes") else {
        panic!("a float")
    };
    assert!((x - 25.3).abs() < 1e-9);
}

#[test]
fn bits_in_registers() {
    assert_eq!(words(DataType::Bit(0), "ABCD", &[0b101]), Value::Bool(true));
    assert_eq!(
        words(DataType::Bit(1), "ABCD", &[0b101]),
        Value::Bool(false)
    );
    assert_eq!(
        words(DataType::Bit(15), "ABCD", &[0x8000]),
        Value::Bool(true)
    );
}

#[test]
fn strings() {
    // "PUMP-7" + NUL padding
    let w = [0x5055, 0x4D50, 0x2D37, 0x0000];
    assert_eq!(words(DataType::Text(4), "ABCD", &w), Value::from("PUMP-7"));
    let swapped = [0x5550, 0x504D, 0x372D, 0x2020];
    assert_eq!(
        words(DataType::Text(4), "BADC", &swapped),
        Value::from("PUMP-7")
    );
}

#[test]
fn coils_and_wrong_lengths() {
    let coil = Point {
        table: Table::Coil,
        ..point(DataType::Bool, "ABCD")
    };
    assert_eq!(decode_bits(&coil, &[true]), Ok(Value::Bool(true)));
    assert!(matches!(
        decode_bits(&coil, &[]),
        Err(DecodeError::WrongLength { .. })
    ));
    assert_eq!(
        decode_words(&point(DataType::U32, "ABCD"), &[1]),
        Err(DecodeError::WrongLength {
            expected: 2,
            got: 1
        })
    );
    assert_eq!(decode_words(&coil, &[1]), Err(DecodeError::WrongTable));
}

#[test]
fn eight_bit_values_take_one_byte_of_the_register() {
    let w = [0xBEEF];
    assert_eq!(
        words(DataType::U8 { high: true }, "ABCD", &w),
        Value::Int(0xBE)
    );
    assert_eq!(
        words(DataType::U8 { high: false }, "ABCD", &w),
        Value::Int(0xEF)
    );
    assert_eq!(
        words(DataType::I8 { high: true }, "ABCD", &w),
        Value::Int(-66)
    );
    assert_eq!(
        words(DataType::I8 { high: false }, "ABCD", &w),
        Value::Int(-17)
    );
}
