//! Aggregates are a pure function of the results: any order, and any split into
//! shards merged by concatenating their results, gives the same aggregates. This is
//! what lets `callqa merge` recompute totals from shard outputs.

use callqa::aggregate::{aggregate, Aggregates, Group, PeriodKind, RuleInfo, Setup};
use callqa::input::roster::Roster;
use callqa::interaction::{InteractionKind, Roles, Speaker};
use callqa::rules::{Band, Dimension};
use callqa::scan::result::{Evidence, InteractionResult, RuleKind, RulesetId, Severity, Violation};
use proptest::prelude::*;
use std::collections::BTreeMap;

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
        dismissed: false,
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
                added_by_verdict: None,
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
        roles_reason: None,
        ruleset: RulesetId {
            name: "n".into(),
            version: "v".into(),
            sha256: "h".into(),
        },
        score: *score,
        dimension_scores: [("a".into(), *score), ("b".into(), (*score * 7) % 101)]
            .into_iter()
            .collect(),
        passed: *score >= 80,
        fatal: *score == 0,
        violations,
        passed_rules,
        metrics: Default::default(),
        review: None,
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

/// (agents, assessed, passed, fatal, score sum, dimension score sums)
type TeamSums = (usize, usize, usize, usize, f64, Vec<f64>);

fn dimensions() -> Vec<Dimension> {
    [("a", 70.0), ("b", 30.0)]
        .into_iter()
        .map(|(id, weight)| Dimension {
            id: id.into(),
            title: id.into(),
            weight,
        })
        .collect()
}

proptest! {
    /// teams.csv equals the sum of its agents; every period ranks its agents 1..n
    /// with about a fifth in each outer group; merged shards assess the same.
    #[test]
    fn teams_are_the_sum_of_their_agents_and_ranks_are_a_permutation(
        specs in proptest::collection::vec(spec(), 0..80),
        period in prop_oneof![Just(PeriodKind::Week), Just(PeriodKind::Month), Just(PeriodKind::Quarter)],
    ) {
        let results: Vec<InteractionResult> = specs.iter().enumerate().map(|(i, s)| build(i, s)).collect();
        // A3 is not in the roster: it lands in team "(none)".
        let roster = Roster::from_members([("A0", "甲", "T1"), ("A1", "乙", "T1"), ("A2", "丙", "T2")]);
        let (rules, bands, dims) = (rules(), bands(), dimensions());
        let setup = Setup { dimensions: &dims, period, roster: Some(&roster), ..Setup::new(&rules, &bands) };
        let a = aggregate(&results, &setup);
        let mut reversed = results.clone();
        reversed.reverse();
        prop_assert_eq!(&aggregate(&reversed, &setup), &a);
        prop_assert_eq!(a.unrostered.clone(), if results.iter().any(|r| r.agent_id == "A3") { vec!["A3".to_string()] } else { vec![] });

        // Per (team, period): the sums of the agent rows.
        let mut sums: BTreeMap<(String, String), TeamSums> = BTreeMap::new();
        for row in &a.agents {
            let e = sums.entry((row.team.clone(), row.period.to_string())).or_insert((0, 0, 0, 0, 0.0, vec![0.0; 2]));
            e.0 += 1;
            e.1 += row.stats.assessed;
            e.2 += row.stats.passed;
            e.3 += row.stats.fatal;
            let n = row.stats.assessed as f64;
            e.4 += row.stats.mean_score.unwrap_or(0.0) * n;
            for (s, m) in e.5.iter_mut().zip(&row.stats.dimension_means) {
                *s += m * n;
            }
        }
        let team_rows: Vec<_> = a.teams.iter().filter(|t| t.period.is_some()).collect();
        prop_assert_eq!(team_rows.len(), sums.len());
        for t in team_rows {
            let key = (t.team.clone(), t.period.unwrap().to_string());
            let (agents, assessed, passed, fatal, score_sum, dim_sums) = &sums[&key];
            prop_assert_eq!((t.agents, t.stats.assessed, t.stats.passed, t.stats.fatal), (*agents, *assessed, *passed, *fatal));
            let n = *assessed as f64;
            prop_assert!((t.stats.mean_score.unwrap() - score_sum / n).abs() < 1e-9);
            for (m, s) in t.stats.dimension_means.iter().zip(dim_sums) {
                prop_assert!((m - s / n).abs() < 1e-9);
            }
        }

        // Ranks: a permutation of 1..n per period (and per team in it), best first.
        let mut by_period: BTreeMap<String, Vec<&callqa::aggregate::Assessment>> = BTreeMap::new();
        for row in &a.assessment {
            by_period.entry(row.period.to_string()).or_default().push(row);
        }
        prop_assert_eq!(a.assessment.len(), a.agents.len());
        for rows in by_period.values() {
            let n = rows.len();
            let ranks: Vec<usize> = rows.iter().map(|r| r.centre_rank.rank).collect();
            prop_assert_eq!(ranks, (1..=n).collect::<Vec<_>>());
            prop_assert!(rows.windows(2).all(|w| w[0].stats.mean_score >= w[1].stats.mean_score));
            let top = rows.iter().filter(|r| r.group == Group::Top20).count();
            let bottom = rows.iter().filter(|r| r.group == Group::Bottom20).count();
            // Mid-rank percentiles put round(n/5) (+/- 1 at .5) in each outer group.
            let fifth = n as f64 / 5.0;
            prop_assert!((top as f64 - fifth).abs() <= 1.0 && (bottom as f64 - fifth).abs() <= 1.0, "n={} top={} bottom={}", n, top, bottom);
            let mut teams: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for r in rows {
                teams.entry(r.team.as_str()).or_default().push(r.team_rank.rank);
            }
            for ranks in teams.values() {
                prop_assert_eq!(ranks.clone(), (1..=ranks.len()).collect::<Vec<_>>());
            }
        }
    }
}
