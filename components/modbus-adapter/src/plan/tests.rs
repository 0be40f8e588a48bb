use super::*;
use proptest::prelude::*;

fn span(table: Table, start: u32, width: u32) -> Span {
    Span {
        unit: 1,
        table,
        group: PollGroup::Fast,
        start,
        end: start + width,
    }
}

fn limits(max_gap: u16, max_registers: u16, cuts: &[u16]) -> Limits {
    Limits {
        max_gap,
        max_registers,
        max_bits: 2000,
        no_merge_across: cuts.to_vec(),
        one_request_per_point: false,
    }
}

#[test]
fn adjacent_and_near_points_merge_far_ones_do_not() {
    let spans = [
        span(Table::Holding, 0, 1),
        span(Table::Holding, 1, 2),
        span(Table::Holding, 5, 1),
        span(Table::Holding, 100, 2),
    ];
    let plan = plan_spans(&spans, &limits(2, 125, &[]));
    let ranges: Vec<(u16, u16)> = plan.iter().map(|r| (r.start, r.count)).collect();
    assert_eq!(ranges, [(0, 6), (100, 2)]);
}

#[test]
fn tables_groups_and_units_are_never_merged() {
    let mut slow = span(Table::Holding, 1, 1);
    slow.group = PollGroup::Slow;
    let mut other_unit = span(Table::Holding, 3, 1);
    other_unit.unit = 2;
    let spans = [
        span(Table::Holding, 0, 1),
        slow,
        span(Table::Input, 2, 1),
        other_unit,
    ];
    let plan = plan_spans(&spans, &limits(10, 125, &[]));
    assert_eq!(plan.len(), 4);
    assert!(plan.iter().any(|r| r.unit == 2 && r.start == 3));
}

#[test]
fn the_register_limit_splits_requests() {
    let spans: Vec<Span> = (0..10).map(|i| span(Table::Holding, i * 4, 4)).collect();
    let plan = plan_spans(&spans, &limits(0, 12, &[]));
    let ranges: Vec<(u16, u16)> = plan.iter().map(|r| (r.start, r.count)).collect();
    assert_eq!(ranges, [(0, 12), (12, 12), (24, 12), (36, 4)]);
}

#[test]
fn no_merge_addresses_split_requests() {
    let spans = [span(Table::Holding, 0, 2), span(Table::Holding, 2, 2)];
    assert_eq!(plan_spans(&spans, &limits(10, 125, &[2])).len(), 2);
    assert_eq!(plan_spans(&spans, &limits(10, 125, &[1])).len(), 2);
    assert_eq!(plan_spans(&spans, &limits(10, 125, &[0, 4])).len(), 1);
}

#[test]
fn two_bits_of_one_register_share_a_request() {
    let spans = [span(Table::Holding, 7, 1), span(Table::Holding, 7, 1)];
    let plan = plan_spans(&spans, &limits(0, 125, &[]));
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].items.len(), 2);
}

/// Whether one request may cover exactly these spans (same key; any order).
fn valid_request(spans: &[&Span], l: &Limits) -> bool {
    if l.one_request_per_point && spans.len() > 1 {
        return false;
    }
    let mut s: Vec<&Span> = spans.to_vec();
    s.sort_by_key(|x| (x.start, x.end));
    let first = s[0];
    if s.iter()
        .any(|x| x.table != first.table || x.group != first.group || x.unit != first.unit)
    {
        return false;
    }
    let start = first.start;
    let mut end = first.end;
    for x in &s[1..] {
        if x.start.saturating_sub(end) > u32::from(l.max_gap) {
            return false;
        }
        end = end.max(x.end);
    }
    end - start <= l.max_per_read(first.table) && !l.crosses_boundary(start, end)
}

/// The fewest requests over every set partition of `spans` (small inputs only).
fn brute_force_optimum(spans: &[Span], l: &Limits) -> usize {
    fn go(i: usize, spans: &[Span], blocks: &mut Vec<Vec<usize>>, l: &Limits, best: &mut usize) {
        if blocks.len() >= *best {
            return;
        }
        if i == spans.len() {
            let ok = blocks.iter().all(|b| {
                let members: Vec<&Span> = b.iter().map(|&k| &spans[k]).collect();
                valid_request(&members, l)
            });
            if ok {
                *best = blocks.len();
            }
            return;
        }
        for b in 0..blocks.len() {
            blocks[b].push(i);
            go(i + 1, spans, blocks, l, best);
            blocks[b].pop();
        }
        blocks.push(vec![i]);
        go(i + 1, spans, blocks, l, best);
        blocks.pop();
    }
    let mut best = spans.len() + 1;
    go(0, spans, &mut Vec::new(), l, &mut best);
    best
}

/// Disjoint spans (like validated points) with random widths, gaps, units, tables and groups.
fn spans_strategy(max: usize) -> impl Strategy<Value = Vec<Span>> {
    let item = (0u32..6, 1u32..5, 0..2u8, any::<bool>(), 1..3u8);
    prop::collection::vec(item, 1..=max).prop_map(|items| {
        let mut next = [0u32; 8];
        items
            .into_iter()
            .map(|(gap, width, table, slow, unit)| {
                let table = if table == 0 {
                    Table::Holding
                } else {
                    Table::Coil
                };
                let k = usize::from(unit - 1) * 4
                    + usize::from(table == Table::Coil) * 2
                    + usize::from(slow);
                let start = next[k] + gap;
                next[k] = start + width;
                Span {
                    unit,
                    table,
                    group: if slow {
                        PollGroup::Slow
                    } else {
                        PollGroup::Fast
                    },
                    start,
                    end: start + width,
                }
            })
            .collect()
    })
}

fn limits_strategy() -> impl Strategy<Value = Limits> {
    (
        0u16..4,
        4u16..12,
        4u16..40,
        prop::collection::vec(0u16..40, 0..3),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(max_gap, max_registers, max_bits, cuts, alone)| Limits {
            max_gap,
            max_registers,
            max_bits,
            no_merge_across: cuts,
            one_request_per_point: alone,
        })
}

/// Inputs the planner accepts: every span fits in one read and crosses no boundary
/// (validation refuses the others).
fn plannable(spans: &[Span], l: &Limits) -> bool {
    spans
        .iter()
        .all(|s| s.end - s.start <= l.max_per_read(s.table) && !l.crosses_boundary(s.start, s.end))
}

proptest! {
    #[test]
    fn every_span_is_covered_by_exactly_one_valid_request(
        spans in spans_strategy(40),
        l in limits_strategy(),
    ) {
        prop_assume!(plannable(&spans, &l));
        let plan = plan_spans(&spans, &l);
        let mut seen = vec![0usize; spans.len()];
        for req in &plan {
            let members: Vec<&Span> = req.items.iter().map(|&i| &spans[i]).collect();
            prop_assert!(valid_request(&members, &l), "invalid request {req:?}");
            prop_assert!(u32::from(req.count) <= l.max_per_read(req.table));
            for &i in &req.items {
                seen[i] += 1;
                prop_assert!(spans[i].start >= u32::from(req.start) && spans[i].end <= req.end());
            }
        }
        prop_assert!(seen.iter().all(|&n| n == 1), "coverage {seen:?}");
    }

    #[test]
    fn the_plan_has_the_fewest_requests(
        spans in spans_strategy(7),
        l in limits_strategy(),
    ) {
        prop_assume!(plannable(&spans, &l));
        let plan = plan_spans(&spans, &l);
        prop_assert_eq!(plan.len(), brute_force_optimum(&spans, &l));
    }
}

proptest! {
    #[test]
    fn the_dynamic_programme_agrees_with_brute_force_and_greedy(
        spans in spans_strategy(7),
        l in limits_strategy(),
    ) {
        prop_assume!(plannable(&spans, &l));
        prop_assert_eq!(optimal_request_count(&spans, &l), brute_force_optimum(&spans, &l));
    }

    #[test]
    fn the_greedy_matches_the_dynamic_programme_on_large_inputs(
        spans in spans_strategy(200),
        l in limits_strategy(),
    ) {
        prop_assume!(plannable(&spans, &l));
        prop_assert_eq!(plan_spans(&spans, &l).len(), optimal_request_count(&spans, &l));
    }
}
