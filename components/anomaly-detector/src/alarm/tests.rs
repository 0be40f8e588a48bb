use super::*;
use AlarmState::{Acknowledged, Active, Normal, Pending};

fn rules(latching: bool) -> AlarmRules {
    AlarmRules {
        threshold: 1.0,
        clear_ratio: 0.8,
        min_duration_ms: 3000,
        latching,
    }
}

/// Feeds (score, time) pairs and returns the states entered.
fn run(alarm: &mut Alarm, scores: &[(f64, i64)]) -> Vec<(AlarmState, i64)> {
    scores
        .iter()
        .filter_map(|&(s, t)| alarm.observe(s, t))
        .map(|tr| (tr.state, tr.time_ms))
        .collect()
}

#[test]
fn a_condition_held_for_the_minimum_duration_raises_the_alarm() {
    let mut a = Alarm::new(rules(false));
    let got = run(
        &mut a,
        &[(0.5, 0), (1.5, 1000), (1.5, 2000), (1.5, 3000), (1.5, 4000)],
    );
    assert_eq!(got, vec![(Pending, 1000), (Active, 4000)]);
}

#[test]
fn a_short_excursion_returns_to_normal_without_raising() {
    let mut a = Alarm::new(rules(false));
    let got = run(&mut a, &[(1.5, 0), (1.5, 1000), (0.5, 2000), (1.5, 3000)]);
    assert_eq!(got, vec![(Pending, 0), (Normal, 2000), (Pending, 3000)]);
}

#[test]
fn hysteresis_keeps_the_condition_between_the_two_levels() {
    let mut a = Alarm::new(rules(false));
    // 0.9 is below the threshold but above threshold x 0.8: the condition stays on.
    let got = run(
        &mut a,
        &[
            (1.5, 0),
            (0.9, 1000),
            (0.9, 2000),
            (0.9, 3000),
            (0.79, 4000),
        ],
    );
    assert_eq!(got, vec![(Pending, 0), (Active, 3000), (Normal, 4000)]);
}

#[test]
fn zero_minimum_duration_raises_at_once() {
    let mut a = Alarm::new(AlarmRules {
        min_duration_ms: 0,
        ..rules(false)
    });
    assert_eq!(run(&mut a, &[(2.0, 5)]), vec![(Active, 5)]);
}

#[test]
fn a_latching_alarm_stays_active_until_acknowledged() {
    let mut a = Alarm::new(rules(true));
    let got = run(&mut a, &[(1.5, 0), (1.5, 3000), (0.1, 4000), (0.1, 5000)]);
    assert_eq!(got, vec![(Pending, 0), (Active, 3000)]);
    let ack = a.acknowledge(6000).unwrap();
    assert_eq!((ack.state, ack.time_ms), (Normal, 6000));
}

#[test]
fn acknowledging_while_the_condition_holds_waits_for_it_to_clear() {
    let mut a = Alarm::new(rules(false));
    run(&mut a, &[(1.5, 0), (1.5, 3000)]);
    assert_eq!(a.state(), Active);
    let ack = a.acknowledge(3500).unwrap();
    assert_eq!(ack.state, Acknowledged);
    assert_eq!(ack.active_since_ms, Some(0));
    // Still anomalous: stays acknowledged; then clears to normal.
    assert_eq!(
        run(&mut a, &[(1.6, 4000), (0.2, 5000)]),
        vec![(Normal, 5000)]
    );
}

#[test]
fn only_an_active_alarm_can_be_acknowledged() {
    let mut a = Alarm::new(rules(false));
    assert_eq!(a.acknowledge(0), Err(AckError::NotActive(Normal)));
    run(&mut a, &[(1.5, 0)]);
    assert_eq!(a.acknowledge(1), Err(AckError::NotActive(Pending)));
}

#[test]
fn new_rules_apply_without_losing_the_state() {
    let mut a = Alarm::new(rules(false));
    run(&mut a, &[(1.5, 0), (1.5, 3000)]);
    a.set_rules(AlarmRules {
        threshold: 2.0,
        ..rules(false)
    });
    assert_eq!(a.state(), Active);
    // 1.5 is now below 2.0 x 0.8 = 1.6: the condition clears.
    assert_eq!(run(&mut a, &[(1.5, 4000)]), vec![(Normal, 4000)]);
}
