//! Unit tests of the lenient scalars.

use super::*;
use serde_json::{Value, json};

fn u64_of(v: Value) -> Result<u64, String> {
    u64(v).map_err(|e| e.to_string())
}

#[test]
fn integers_accept_ints_whole_floats_and_numeric_strings() {
    for v in [
        json!(5),
        json!(5.0),
        json!("5"),
        json!("5.0"),
        json!(" 5 "),
        json!("5e0"),
    ] {
        assert_eq!(u64_of(v.clone()), Ok(5), "{v}");
    }
}

#[test]
fn integers_reject_fractions_with_a_clear_message() {
    assert_eq!(
        u64_of(json!(5.5)).unwrap_err(),
        "invalid value: floating point `5.5`, expected a whole number"
    );
    assert_eq!(
        u64_of(json!("5.5")).unwrap_err(),
        "invalid value: string \"5.5\", expected a whole number"
    );
}

#[test]
fn integers_reject_words_and_other_types() {
    assert_eq!(
        u64_of(json!("fast")).unwrap_err(),
        "invalid value: string \"fast\", expected a number"
    );
    assert_eq!(
        u64_of(json!(true)).unwrap_err(),
        "invalid type: boolean `true`, expected a number"
    );
    assert_eq!(
        u64_of(json!("NaN")).unwrap_err(),
        "invalid value: string \"NaN\", expected a number"
    );
}

#[test]
fn integers_name_their_range_when_out_of_it() {
    assert_eq!(
        u64_of(json!(-1)).unwrap_err(),
        "invalid value: integer `-1`, expected a whole number between 0 and 18446744073709551615"
    );
    assert_eq!(
        u8(json!(256.0)).map_err(|e| e.to_string()).unwrap_err(),
        "invalid value: floating point `256.0`, expected a whole number between 0 and 255"
    );
    assert_eq!(
        i8(json!("-129")).map_err(|e| e.to_string()).unwrap_err(),
        "invalid value: string \"-129\", expected a whole number between -128 and 127"
    );
    assert!(u64(json!(1e40)).is_err());
    assert_eq!(i64(json!(-7.0)).ok(), Some(-7));
}

#[test]
fn floats_accept_numbers_and_strings_but_not_nan() {
    for v in [
        json!(2),
        json!(2.0),
        json!("2"),
        json!(" 2.0 "),
        json!(-0.0),
    ] {
        assert_eq!(
            f64(v.clone()).ok().map(f64::abs),
            Some(if v == json!(-0.0) { 0.0 } else { 2.0 })
        );
    }
    assert_eq!(
        f64(json!("NaN")).map_err(|e| e.to_string()).unwrap_err(),
        "invalid value: string \"NaN\", expected a finite number"
    );
    assert!(f64(json!("inf")).is_err());
    assert!(f32(json!(1e300)).is_err());
    assert_eq!(f32(json!(1.5)).ok(), Some(1.5));
}

#[test]
fn bools_accept_strings_and_zero_one() {
    for (v, want) in [
        (json!(true), true),
        (json!("TRUE"), true),
        (json!("1"), true),
        (json!(1), true),
        (json!(1.0), true),
        (json!(false), false),
        (json!("False"), false),
        (json!(0), false),
    ] {
        assert_eq!(bool(v.clone()).ok(), Some(want), "{v}");
    }
    assert_eq!(
        bool(json!("maybe")).map_err(|e| e.to_string()).unwrap_err(),
        "invalid value: string \"maybe\", expected true or false"
    );
    assert!(bool(json!(2)).is_err());
}

#[test]
fn durations_and_options() {
    assert_eq!(
        duration_ms(json!("250")).ok(),
        Some(Duration::from_millis(250))
    );
    assert_eq!(duration_secs(json!(3.0)).ok(), Some(Duration::from_secs(3)));
    assert_eq!(option::u32(json!(null)).ok(), Some(None));
    assert_eq!(option::u32(json!("7")).ok(), Some(Some(7)));
    assert_eq!(option::duration_ms(json!(null)).ok(), Some(None));
    assert!(option::u32(json!("x")).is_err());
}

#[test]
fn lenient_newtype_works_inside_collections() {
    let map: std::collections::BTreeMap<String, Lenient<u16>> =
        serde_json::from_value(json!({"a": "1", "b": 2.0})).unwrap();
    assert_eq!(map["a"], Lenient(1));
    assert_eq!(map["b"].into_inner(), 2);
    assert_eq!(serde_json::to_value(Lenient(3u8)).unwrap(), json!(3));
}
