use super::*;
use crate::interaction::{InteractionKind, Roles, Speaker};
use crate::scan::result::{Evidence, RulesetId, Violation, SCHEMA_VERSION};

fn ev(turn: usize) -> Evidence {
    Evidence {
        turn,
        speaker: Speaker::Agent,
        start_s: 0.0,
        end_s: 1.0,
        matched: "不知道".into(),
        text: "我不知道".into(),
        start_byte: 3,
        end_byte: 12,
        fuzzy: false,
        dismissed: false,
    }
}

fn violation(rule_id: &str, kind: RuleKind, evidence: usize) -> Violation {
    Violation {
        rule_id: rule_id.into(),
        kind,
        severity: Severity::Major,
        deduct: 10,
        evidence: (1..=evidence).map(ev).collect(),
        value: None,
        limit: None,
        outside_window: Vec::new(),
        detail: None,
        added_by_verdict: None,
    }
}

fn result(
    id: &str,
    agent: &str,
    started_at: Option<&str>,
    score: u32,
    violations: Vec<Violation>,
) -> InteractionResult {
    let all = [
        "forbidden.dont-know",
        "metric.first-response",
        "required.greeting",
    ];
    let passed_rules = all
        .iter()
        .filter(|r| !violations.iter().any(|v| *v.rule_id == ***r))
        .map(|r| (*r).into())
        .collect();
    InteractionResult {
        schema_version: SCHEMA_VERSION,
        interaction_id: id.into(),
        kind: InteractionKind::Chat,
        source: "chats.jsonl".into(),
        agent_id: agent.into(),
        started_at: started_at.map(str::to_string),
        duration_s: 60.0,
        roles: Roles::Known,
        roles_reason: None,
        ruleset: RulesetId {
            name: "t".into(),
            version: "1".into(),
            sha256: "0".into(),
        },
        score,
        dimension_scores: Default::default(),
        passed: score >= 80,
        fatal: false,
        violations,
        passed_rules,
        metrics: Default::default(),
        review: None,
        turns: Vec::new(),
    }
}

fn rules() -> Vec<RuleInfo> {
    let info = |id: &str, kind| RuleInfo {
        id: id.into(),
        kind,
        title: format!("title {id}"),
        severity: Severity::Major,
    };
    // Deliberately not in id order.
    vec![
        info("required.greeting", RuleKind::Required),
        info("forbidden.dont-know", RuleKind::Forbidden),
        info("metric.first-response", RuleKind::Metric),
    ]
}

fn bands() -> Vec<Band> {
    vec![
        Band {
            min: 90.0,
            label: "excellent".into(),
            coefficient: 1.2,
        },
        Band {
            min: 70.0,
            label: "good".into(),
            coefficient: 1.0,
        },
    ]
}

const MON: &str = "2026-11-16T09:00:00+08:00"; // 2026-W47
const NEXT: &str = "2026-11-23T09:00:00+08:00"; // 2026-W48

fn sample() -> Vec<InteractionResult> {
    use RuleKind::*;
    vec![
        result("c1", "A02", Some(MON), 100, vec![]),
        result(
            "c2",
            "A01",
            Some(MON),
            80,
            vec![violation("forbidden.dont-know", Forbidden, 2)],
        ),
        result(
            "c3",
            "A01",
            Some(MON),
            60,
            vec![
                violation("forbidden.dont-know", Forbidden, 3),
                violation("required.greeting", Required, 0),
            ],
        ),
        result(
            "c4",
            "A01",
            Some(NEXT),
            90,
            vec![violation("metric.first-response", Metric, 0)],
        ),
        result(
            "c5",
            "A01",
            None,
            40,
            vec![violation("required.greeting", Required, 0)],
        ),
    ]
}

#[test]
fn agent_weeks_are_ordered_and_counted() {
    let a = aggregate(&sample(), &Setup::new(&rules(), &bands()));
    let keys: Vec<(String, String)> = a
        .agents
        .iter()
        .map(|r| (r.agent_id.clone(), r.period.to_string()))
        .collect();
    assert_eq!(
        keys,
        [
            ("A01", "2026-W47"),
            ("A01", "2026-W48"),
            ("A01", "unknown"),
            ("A02", "2026-W47")
        ]
        .map(|(a, w)| (a.to_string(), w.to_string()))
    );
    let w47 = &a.agents[0].stats;
    assert_eq!((w47.assessed, w47.passed), (2, 1));
    assert_eq!(w47.adherence_rate, Some(0.5));
    assert_eq!(w47.mean_score, Some(70.0));
    assert_eq!(w47.band.as_ref().map(|b| b.label.as_str()), Some("good"));
    let i = w47.wilson.unwrap();
    assert!(
        (i.low - 0.0945).abs() < 1e-4 && (i.high - 0.9055).abs() < 1e-4,
        "{i:?}"
    );
    assert_eq!(a.agents[2].stats.band, None, "mean 40 reaches no band");
    assert_eq!(
        a.agents[3].stats.band.as_ref().map(|b| b.coefficient),
        Some(1.2)
    );
}

#[test]
fn totals_weeks_and_agents() {
    let a = aggregate(&sample(), &Setup::new(&rules(), &bands()));
    let t = &a.totals;
    assert_eq!(
        (t.stats.assessed, t.stats.passed, t.agents, t.violations),
        (5, 3, 2, 5)
    );
    assert_eq!(t.stats.mean_score, Some(74.0));
    let weeks: Vec<String> = a
        .periods
        .iter()
        .map(|w| format!("{}:{}", w.period, w.stats.assessed))
        .collect();
    assert_eq!(weeks, ["2026-W47:3", "2026-W48:1", "unknown:1"]);
    let agents: Vec<String> = a
        .agent_totals
        .iter()
        .map(|w| format!("{}:{}/{}", w.agent_id, w.stats.passed, w.stats.assessed))
        .collect();
    assert_eq!(agents, ["A01:2/4", "A02:1/1"]);
}

#[test]
fn rule_hits_count_evidence_for_forbidden_and_violations_otherwise() {
    let a = aggregate(&sample(), &Setup::new(&rules(), &bands()));
    let ids: Vec<&str> = a.rules.iter().map(|r| r.rule_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "forbidden.dont-know",
            "metric.first-response",
            "required.greeting"
        ]
    );
    let f = &a.rules[0];
    assert_eq!((f.hits, f.interactions_violated, f.assessed), (5, 2, 5));
    assert_eq!(f.hit_rate, Some(0.4));
    assert_eq!(f.title, "title forbidden.dont-know");
    let m = &a.rules[1];
    assert_eq!((m.hits, m.interactions_violated), (1, 1));
    let g = &a.rules[2];
    assert_eq!(
        (g.hits, g.interactions_violated, g.hit_rate),
        (2, 2, Some(0.4))
    );
    let w47: Vec<(usize, usize)> = a
        .rule_periods
        .iter()
        .filter(|r| r.period.to_string() == "2026-W47")
        .map(|r| (r.stat.hits, r.stat.interactions_violated))
        .collect();
    assert_eq!(w47, [(5, 2), (0, 0), (1, 1)]);
}

#[test]
fn unchecked_rules_have_no_rate_and_unknown_ids_are_kept() {
    let mut r = result(
        "x",
        "A9",
        Some(MON),
        90,
        vec![violation("forbidden.other", RuleKind::Forbidden, 1)],
    );
    r.passed_rules.clear();
    let a = aggregate(&[r], &Setup::new(&rules(), &bands()));
    let greeting = a
        .rules
        .iter()
        .find(|s| &*s.rule_id == "required.greeting")
        .unwrap();
    assert_eq!((greeting.assessed, greeting.hit_rate), (0, None));
    let other = a
        .rules
        .iter()
        .find(|s| &*s.rule_id == "forbidden.other")
        .unwrap();
    assert_eq!(
        (other.hits, other.assessed, other.hit_rate),
        (1, 1, Some(1.0))
    );
}

#[test]
fn order_of_results_does_not_matter_and_shards_merge_by_concatenation() {
    let all = sample();
    let whole = aggregate(&all, &Setup::new(&rules(), &bands()));
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(aggregate(&reversed, &Setup::new(&rules(), &bands())), whole);
    let (a, b) = all.split_at(2);
    let merged: Vec<InteractionResult> = b.iter().chain(a).cloned().collect();
    assert_eq!(aggregate(&merged, &Setup::new(&rules(), &bands())), whole);
}

#[test]
fn empty_input_has_no_rates() {
    let a = aggregate(&[], &Setup::new(&rules(), &bands()));
    assert_eq!(a.totals.stats.assessed, 0);
    assert_eq!(a.totals.stats.adherence_rate, None);
    assert_eq!(a.totals.stats.wilson, None);
    assert_eq!(a.totals.stats.mean_score, None);
    assert!(a.agents.is_empty());
    assert_eq!(a.rules.len(), 3);
    assert!(a.rules.iter().all(|r| r.hit_rate.is_none()));
}
