//! Messages read back equal to what was written, and integers stay apart from floats.

use edge_model::{AlarmEvent, AnomalyEvent, ComponentStatus, Reading, Value};
use proptest::prelude::*;

use crate::strategies;

fn round_trip<T>(message: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    serde_json::from_str(&serde_json::to_string(message).unwrap()).unwrap()
}

proptest! {
    #[test]
    fn a_value_reads_back_as_the_same_variant(value in strategies::value()) {
        prop_assert_eq!(round_trip(&value), value);
    }

    #[test]
    fn a_whole_float_is_written_with_a_fraction_or_exponent(x in -1.0e18..1.0e18_f64) {
        let whole = x.trunc();
        let text = serde_json::to_string(&Value::Float(whole)).unwrap();
        prop_assert!(text.contains(['.', 'e', 'E']), "{}", text);
        prop_assert_eq!(round_trip(&Value::Float(whole)), Value::Float(whole));
    }

    #[test]
    fn an_integer_is_written_without_fraction(i in any::<i64>()) {
        let text = serde_json::to_string(&Value::Int(i)).unwrap();
        prop_assert_eq!(text, i.to_string());
    }

    #[test]
    fn a_reading_reads_back_equal(reading in strategies::device_id().prop_flat_map(strategies::reading_of)) {
        prop_assert_eq!(round_trip::<Reading>(&reading), reading);
    }

    #[test]
    fn an_anomaly_event_reads_back_equal(event in strategies::anomaly_event()) {
        prop_assert_eq!(round_trip::<AnomalyEvent>(&event), event);
    }

    #[test]
    fn an_alarm_event_reads_back_equal(event in strategies::alarm_event()) {
        prop_assert_eq!(round_trip::<AlarmEvent>(&event), event);
    }

    #[test]
    fn a_status_event_reads_back_equal(status in strategies::component_status()) {
        prop_assert_eq!(round_trip::<ComponentStatus>(&status), status);
    }
}
