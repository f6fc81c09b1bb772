//! Aggregates are a pure function of the results: any order, and any split into
//! shards merged by concatenating their results, gives the same aggregates. This is
//! what lets `callqa merge` recompute totals from shard outputs.

use callqa::aggregate::{aggregate, Aggregates, RuleInfo, Setup};
use callqa::interaction::{InteractionKind, Roles, Speaker};
use callqa::rules::Band;
use callqa::scan::result::{Evidence, InteractionResult, RuleKind, RulesetId, Severity, Violation};
use proptest::prelude::*;

const RULES: [(&str, RuleKind); 3] = [
    ("forbidden.a", RuleKind::Forbidden),
    ("metric.b", RuleKind::Metric),
    ("required.c", RuleKind::Required),
];

fn rules() -> Vec<RuleInfo> {
    RULES
        .iter()
        .map(|(id, kind)| RuleInfo {
            id: id.to_string(),
            kind: *kind,
            title: id.to_string(),
            severity: Severity::Major,
        })
        .collect()
}

fn bands() -> Vec<Band> {
    vec![
        Band {
            min: 85.0,
            label: "a".into(),
            coefficient: 1.1,
        },
        Band {
            min: 60.0,
            label: "b".into(),
            coefficient: 1.0,
        },
    ]
}

fn evidence() -> Evidence {
    Evidence {
        turn: 1,
        speaker: Speaker::Agent,
        start_s: 0.0,
        end_s: 1.0,
        matched: "x".into(),
        text: "x".into(),
        start_byte: 0,
        end_byte: 1,
        fuzzy: false,
    }
}

/// (agent, day offset or none, score, hits per rule: None = not checked)
type Spec = (u8, Option<u16>, u32, [Option<u8>; 3]);

fn build(i: usize, (agent, day, score, hits): &Spec) -> InteractionResult {
    let mut violations = Vec::new();
    let mut passed_rules = Vec::new();
    for ((id, kind), h) in RULES.iter().zip(hits) {
        match h {
            None => {}
            Some(0) => passed_rules.push((*id).into()),
            Some(n) => violations.push(Violation {
                rule_id: (*id).into(),
                kind: *kind,
                severity: Severity::Major,
                deduct: 5,
                evidence: if *kind == RuleKind::Forbidden {
                    vec![evidence(); *n as usize]
                } else {
                    vec![]
                },
                value: None,
                limit: None,
                outside_window: vec![],
                detail: None,
            }),
        }
    }
    // Days around the 2026/2027 year boundary, in two offsets.
    let started_at = day.map(|d| {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 20).unwrap()
            + chrono::Days::new(u64::from(d % 30));
        let offset = if d % 2 == 0 { "+08:00" } else { "-05:00" };
        format!("{date}T{:02}:30:00{offset}", d % 24)
    });
    InteractionResult {
        schema_version: 1,
        interaction_id: format!("i{i}"),
        kind: InteractionKind::Chat,
        source: "s".into(),
        agent_id: format!("A{agent}"),
        started_at,
        duration_s: 1.0,
        roles: Roles::Known,
        ruleset: RulesetId {
            name: "n".into(),
            version: "v".into(),
            sha256: "h".into(),
        },
        score: *score,
        dimension_scores: Default::default(),
        passed: *score >= 80,
        fatal: *score == 0,
        violations,
        passed_rules,
        metrics: Default::default(),
        turns: vec![],
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u8..4,
        proptest::option::of(0u16..400),
        0u32..=100,
        proptest::array::uniform3(proptest::option::of(0u8..3)),
    )
}

fn agg(r: &[InteractionResult]) -> Aggregates {
    aggregate(r, &Setup::new(&rules(), &bands()))
}

proptest! {
    #[test]
    fn shards_merged_in_any_order_equal_the_whole(
        specs in proptest::collection::vec(spec(), 0..60),
        cut in 0usize..60,
        seed in any::<u64>(),
    ) {
        let results: Vec<InteractionResult> = specs.iter().enumerate().map(|(i, s)| build(i, s)).collect();
        let whole = agg(&results);
        let cut = cut.min(results.len());
        let (a, b) = results.split_at(cut);
        let mut merged: Vec<InteractionResult> = b.iter().chain(a).cloned().collect();
        // A deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..merged.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            merged.swap(i, (s % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(agg(&merged), whole.clone());

        // Counts add up across the breakdowns.
        let n = results.len();
        prop_assert_eq!(whole.totals.stats.assessed, n);
        prop_assert_eq!(whole.agents.iter().map(|a| a.stats.assessed).sum::<usize>(), n);
        prop_assert_eq!(whole.periods.iter().map(|w| w.stats.passed).sum::<usize>(), whole.totals.stats.passed);
        for r in &whole.rules {
            let weekly: usize = whole.rule_periods.iter().filter(|w| w.stat.rule_id == r.rule_id).map(|w| w.stat.hits).sum();
            prop_assert_eq!(weekly, r.hits);
            prop_assert!(r.interactions_violated <= r.assessed);
        }
        // Ordered by (agent, week) without duplicates.
        prop_assert!(whole.agents.windows(2).all(|w| (&w[0].agent_id, w[0].period) < (&w[1].agent_id, w[1].period)));
    }
}
