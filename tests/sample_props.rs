//! Sampling invariants: deterministic, quota and minimum per stratum, stable under
//! added interactions (earlier selections kept), rate 1.0 selects everything.

use callqa::sample::{quota, select, SampleItem, Selection};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashSet};

fn items_strategy() -> impl Strategy<Value = Vec<SampleItem>> {
    // Few agents and weeks, so strata have several members.
    prop::collection::vec((0u32..10_000, 0u8..3, 0u8..3), 0..120).prop_map(|raw| {
        let mut seen = HashSet::new();
        raw.into_iter()
            .filter(|(id, _, _)| seen.insert(*id))
            .map(|(id, a, w)| {
                SampleItem::new(
                    format!("c-{id}"),
                    format!("agent-{a}"),
                    if w == 2 {
                        "unknown".to_string()
                    } else {
                        format!("2026-W{:02}", 46 + w)
                    },
                )
            })
            .collect()
    })
}

fn rate_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.2), Just(0.1), Just(0.7), Just(1.0), 0.001f64..=1.0]
}

fn selected(sel: &[Selection]) -> HashSet<String> {
    sel.iter()
        .filter(|s| s.selected)
        .map(|s| s.id.clone())
        .collect()
}

fn per_stratum(sel: &[Selection]) -> BTreeMap<(String, String), (usize, usize)> {
    let mut m: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for s in sel {
        let e = m.entry((s.agent_id.clone(), s.week.clone())).or_default();
        e.0 += 1;
        e.1 += usize::from(s.selected);
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn deterministic_and_independent_of_input_order(items in items_strategy(), rate in rate_strategy(), seed in any::<u64>()) {
        let a = select(&items, rate, seed, &HashSet::new()).unwrap();
        let mut reversed = items.clone();
        reversed.reverse();
        let b = select(&reversed, rate, seed, &HashSet::new()).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.len(), items.len());
    }

    #[test]
    fn each_stratum_gets_exactly_its_quota_and_at_least_one(items in items_strategy(), rate in rate_strategy(), seed in any::<u64>()) {
        let sel = select(&items, rate, seed, &HashSet::new()).unwrap();
        for ((agent, week), (n, chosen)) in per_stratum(&sel) {
            let want = ((rate * n as f64) - 1e-9).ceil().max(1.0) as usize;
            prop_assert_eq!(chosen, want.min(n), "stratum {} {} of {}", agent, week, n);
            prop_assert!(chosen >= 1);
        }
    }

    #[test]
    fn the_lowest_ranks_are_selected(items in items_strategy(), rate in rate_strategy(), seed in any::<u64>()) {
        let sel = select(&items, rate, seed, &HashSet::new()).unwrap();
        let mut strata: BTreeMap<(String, String), Vec<&Selection>> = BTreeMap::new();
        for s in &sel {
            strata.entry((s.agent_id.clone(), s.week.clone())).or_default().push(s);
        }
        for members in strata.values() {
            let max_selected = members.iter().filter(|s| s.selected).map(|s| s.key).max();
            let min_unselected = members.iter().filter(|s| !s.selected).map(|s| s.key).min();
            if let (Some(a), Some(b)) = (max_selected, min_unselected) {
                prop_assert!(a < b);
            }
        }
    }

    #[test]
    fn ranks_are_the_review_order_within_each_stratum(
        items in items_strategy(), more in items_strategy(), rate in rate_strategy(), seed in any::<u64>()
    ) {
        // With earlier selections too: a kept selection may have a higher key than
        // an unselected newcomer, and still comes first.
        let first = select(&items, rate, seed, &HashSet::new()).unwrap();
        let mut all = items.clone();
        all.extend(more);
        let sel = select(&all, rate, seed, &selected(&first)).unwrap();
        let mut strata: BTreeMap<(String, String), Vec<&Selection>> = BTreeMap::new();
        for s in &sel {
            strata.entry((s.agent_id.clone(), s.week.clone())).or_default().push(s);
        }
        for members in strata.values() {
            let ranks: Vec<usize> = members.iter().map(|s| s.rank).collect();
            prop_assert_eq!(ranks, (1..=members.len()).collect::<Vec<_>>());
            let chosen = members.iter().filter(|s| s.selected).count();
            for s in members {
                prop_assert_eq!(s.selected, s.rank <= chosen, "rank {} of {} chosen", s.rank, chosen);
            }
            for w in members.windows(2) {
                if w[0].selected == w[1].selected {
                    prop_assert!(w[0].key < w[1].key);
                }
            }
        }
    }

    #[test]
    fn added_items_never_drop_a_selection_and_top_up_to_the_new_quota(
        items in items_strategy(), more in items_strategy(), rate in rate_strategy(), seed in any::<u64>()
    ) {
        let first = select(&items, rate, seed, &HashSet::new()).unwrap();
        let before = selected(&first);
        let known: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
        let mut all = items.clone();
        all.extend(more.into_iter().filter(|m| !known.contains(m.id.as_str())));
        let second = select(&all, rate, seed, &before).unwrap();
        let after = selected(&second);
        prop_assert!(before.is_subset(&after), "dropped: {:?}", before.difference(&after).collect::<Vec<_>>());
        let old_per_stratum = per_stratum(&first);
        for (key, (n, chosen)) in per_stratum(&second) {
            let kept = old_per_stratum.get(&key).map_or(0, |(_, c)| *c);
            prop_assert_eq!(chosen, quota(rate, n).max(kept));
        }
    }

    #[test]
    fn rate_one_selects_everything(items in items_strategy(), seed in any::<u64>()) {
        let sel = select(&items, 1.0, seed, &HashSet::new()).unwrap();
        prop_assert!(sel.iter().all(|s| s.selected));
    }
}

#[test]
fn quota_is_ceil_with_a_minimum_of_one() {
    assert_eq!(quota(0.2, 0), 0);
    assert_eq!(quota(0.2, 1), 1);
    assert_eq!(quota(0.2, 5), 1);
    assert_eq!(quota(0.2, 6), 2);
    assert_eq!(quota(0.2, 10), 2);
    assert_eq!(quota(0.7, 10), 7, "float noise must not round up");
    assert_eq!(quota(0.01, 3), 1);
    assert_eq!(quota(1.0, 9), 9);
}

#[test]
fn a_bad_rate_is_refused() {
    for rate in [0.0, -0.2, 1.5, f64::NAN] {
        let err = select(&[], rate, 1, &HashSet::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("--sample 0.2"), "{err}");
    }
}

#[test]
fn a_different_seed_gives_a_different_sample() {
    let items: Vec<SampleItem> = (0..200)
        .map(|i| SampleItem::new(format!("c-{i}"), "a", "2026-W47"))
        .collect();
    let a = selected(&select(&items, 0.2, 1, &HashSet::new()).unwrap());
    let b = selected(&select(&items, 0.2, 2, &HashSet::new()).unwrap());
    assert_eq!(a.len(), 40);
    assert_ne!(a, b);
}
