//! MQTT topic filter rules and matching; the local runtime's pub/sub reuses this matcher.

use edge_model::{ComponentName, DeviceId, Topic, TopicError, TopicFilter};
use proptest::prelude::*;
use proptest::sample::select;

fn filter(text: &str) -> TopicFilter {
    TopicFilter::new(text).unwrap()
}

#[test]
fn matches_as_the_mqtt_specification_says() {
    let cases = [
        // Plain levels match only themselves, case-sensitively.
        ("a/b/c", "a/b/c", true),
        ("a/b/c", "a/b", false),
        ("a/b", "a/b/c", false),
        ("A", "a", false),
        // `+` is exactly one level, which may be empty.
        ("a/+/c", "a/b/c", true),
        ("a/+/c", "a//c", true),
        ("a/+", "a/", true),
        ("a/+", "a", false),
        ("a/+", "a/b/c", false),
        ("+", "a", true),
        ("+", "a/b", false),
        ("+", "/", false),
        ("+/+", "/", true),
        ("+/+", "/finance", true),
        ("/+", "/finance", true),
        ("+", "/finance", false),
        // `#` is any number of levels, including none: `a/#` matches its parent `a`.
        ("a/#", "a", true),
        ("a/#", "a/", true),
        ("a/#", "a/b/c", true),
        ("a/#", "ab", false),
        ("a/#", "b/a", false),
        ("#", "a/b/c", true),
        ("#", "/", true),
        ("+/#", "a", true),
        ("a/+/#", "a", false),
        ("a/+/#", "a/b", true),
        // Wildcards at the first level do not reach `$` topics.
        ("#", "$SYS/broker", false),
        ("+/broker", "$SYS/broker", false),
        ("$SYS/#", "$SYS/broker", true),
        (
            "$aws/things/+/shadow/#",
            "$aws/things/gw/shadow/update",
            true,
        ),
        // A topic name with wildcards, or an empty one, matches nothing.
        ("a/+", "a/+", false),
        ("#", "a/#", false),
        ("#", "", false),
        // Our own streams.
        ("factory/raw/+", "factory/raw/press-1", true),
        ("factory/raw/+", "factory/raw/press-1/extra", false),
        ("factory/raw/+", "factory/filtered/press-1", false),
        (
            "factory/#",
            "factory/status/com.example.ModbusAdapter",
            true,
        ),
    ];
    for (filter_text, topic, expected) in cases {
        assert_eq!(
            filter(filter_text).matches(topic),
            expected,
            "{filter_text:?} matching {topic:?}"
        );
    }
}

#[test]
fn accepts_wildcards_that_fill_whole_levels() {
    for text in [
        "#", "+", "a/#", "+/+/#", "/+", "/", "//", "a//b", "$SYS/#", "a/+/b",
    ] {
        assert_eq!(filter(text).as_str(), text);
    }
}

#[test]
fn refuses_wildcards_inside_a_level_or_a_hash_before_the_end() {
    for text in [
        "a#", "a/#/b", "#/", "a+/b", "a/b+", "##", "++", "a/+b", "#/#",
    ] {
        assert_eq!(
            TopicFilter::new(text),
            Err(TopicError::MisplacedWildcard {
                filter: text.to_owned()
            }),
            "{text}"
        );
    }
    assert_eq!(TopicFilter::new(""), Err(TopicError::Empty));
    assert!(matches!(
        TopicFilter::new("a".repeat(257)),
        Err(TopicError::TooLong { .. })
    ));
    assert!(matches!(
        TopicFilter::new("a/\0"),
        Err(TopicError::NulChar { .. })
    ));
}

#[test]
fn stream_filters_match_the_topics_of_every_device_and_no_other_stream() {
    let device = DeviceId::new("press-1").unwrap();
    let component = ComponentName::new("com.example.ModbusAdapter").unwrap();
    let pairs = [
        (
            TopicFilter::all_readings_raw(),
            Topic::readings_raw(&device),
        ),
        (
            TopicFilter::all_readings_filtered(),
            Topic::readings_filtered(&device),
        ),
        (TopicFilter::all_aggregates(), Topic::aggregates(&device)),
        (TopicFilter::all_anomalies(), Topic::anomaly(&device)),
        (TopicFilter::all_alarms(), Topic::alarm(&device)),
        (TopicFilter::all_status(), Topic::status(&component)),
        (
            TopicFilter::all_command_responses(),
            Topic::command_response(&component),
        ),
        (
            TopicFilter::all_dead_letters(),
            Topic::dead_letter(&component),
        ),
    ];
    for (i, (filter, _)) in pairs.iter().enumerate() {
        for (j, (_, topic)) in pairs.iter().enumerate() {
            assert_eq!(
                filter.matches(topic.as_str()),
                i == j,
                "{filter} and {topic}"
            );
        }
        assert!(!filter.matches(Topic::command(&component).as_str()));
    }
    for (_, topic) in &pairs {
        assert!(TopicFilter::everything().matches(topic.as_str()));
    }
    assert!(!TopicFilter::everything().matches(Topic::cloudwatch_metric().as_str()));
}

/// The MQTT rule stated level by level, without a loop: the reference for the matcher.
fn reference_matches(filter: &str, topic: &str) -> bool {
    if topic.is_empty() || (topic.starts_with('$') && filter.starts_with(['+', '#'])) {
        return false;
    }
    let topic: Vec<&str> = topic.split('/').collect();
    let filter: Vec<&str> = filter.split('/').collect();
    let level_matches = |(f, t): (&&str, &&str)| *f == "+" || f == t;
    match filter.split_last() {
        Some((&"#", prefix)) => {
            topic.len() >= prefix.len() && prefix.iter().zip(&topic).all(level_matches)
        }
        _ => filter.len() == topic.len() && filter.iter().zip(&topic).all(level_matches),
    }
}

/// Topic names from a tiny alphabet, so that random filters often match them.
fn small_topic() -> impl Strategy<Value = String> {
    proptest::collection::vec(select(vec!["a", "b", "", "$"]), 1..5).prop_map(|l| l.join("/"))
}

/// Filters over the same alphabet, with `+` levels and maybe a final `#`.
fn small_filter() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(select(vec!["a", "b", "", "+", "$"]), 0..5),
        any::<bool>(),
    )
        .prop_filter_map("empty filter", |(mut levels, hash)| {
            if hash {
                levels.push("#");
            }
            let text = levels.join("/");
            (!levels.is_empty() && !text.is_empty()).then_some(text)
        })
}

/// Valid topic names made of non-empty levels that do not start with `$`.
fn topic_levels() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[^/+#\\p{Cc}$][^/+#\\p{Cc}]{0,8}", 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_matcher_agrees_with_the_level_by_level_rule(
        filter_text in small_filter(),
        topic in small_topic(),
    ) {
        let filter = TopicFilter::new(filter_text.as_str()).unwrap();
        prop_assert_eq!(
            filter.matches(&topic),
            reference_matches(&filter_text, &topic),
            "{} matching {}", filter_text, topic
        );
    }

    #[test]
    fn a_topic_matches_itself_and_any_plus_over_its_levels(
        levels in topic_levels(),
        pluses in proptest::collection::vec(any::<bool>(), 8),
    ) {
        let topic = levels.join("/");
        prop_assert!(TopicFilter::from(Topic::new(topic.as_str()).unwrap()).matches(&topic));
        let with_pluses: Vec<&str> = levels
            .iter()
            .zip(&pluses)
            .map(|(level, plus)| if *plus { "+" } else { level.as_str() })
            .collect();
        prop_assert!(filter(&with_pluses.join("/")).matches(&topic));
    }

    #[test]
    fn a_hash_after_any_prefix_matches_the_topic(levels in topic_levels(), keep in 0_usize..8) {
        let topic = levels.join("/");
        let mut prefix: Vec<&str> = levels.iter().take(keep).map(String::as_str).collect();
        prefix.push("#");
        prop_assert!(filter(&prefix.join("/")).matches(&topic));
    }

    #[test]
    fn a_filter_with_more_levels_than_the_topic_and_no_hash_does_not_match(
        levels in topic_levels(),
        extra in "[a-z]{1,4}",
    ) {
        let topic = levels.join("/");
        prop_assert!(!filter(&[topic.as_str(), extra.as_str()].join("/")).matches(&topic));
        prop_assert!(!filter(&[topic.as_str(), "+"].join("/")).matches(&topic));
    }

    #[test]
    fn matching_arbitrary_strings_never_panics(filter_text in ".{1,40}", topic in ".{0,40}") {
        if let Ok(filter) = TopicFilter::new(filter_text) {
            let _ = filter.matches(&topic);
        }
    }

    #[test]
    fn a_topic_name_is_always_a_valid_filter(topic in ".{1,60}") {
        if let Ok(topic) = Topic::new(topic) {
            prop_assert!(TopicFilter::new(topic.as_str()).is_ok());
        }
    }
}
