//! Turns rule hits and metrics into violations and a score: 100 minus deductions,
//! never below 0; any fatal violation gives 0; passing needs score >= pass-score and
//! no fatal violation.

use crate::interaction::Interaction;
use crate::rules::detail;
use crate::rules::{Rule, Ruleset, Window};
use crate::scan::matcher::{Hits, RuleHits};
use crate::scan::result::{InteractionResult, RuleKind, Severity, Violation, SCHEMA_VERSION};
use crate::scan::{conditions, metrics};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const BASE_SCORE: u32 = 100;

/// The scored result; its `turns` are left empty for the caller to fill (copied or
/// moved from the interaction). The evidence moves from `hits` into the violations.
pub fn score(interaction: &Interaction, ruleset: &Ruleset, mut hits: Hits) -> InteractionResult {
    let measured = metrics::compute(interaction);
    let mut violations = Vec::new();
    let mut passed_rules = Vec::with_capacity(ruleset.rules.len());
    let mut deducted = vec![0u32; ruleset.dimensions.len()];
    for (r, rule) in ruleset.rules.iter().enumerate() {
        if !rule.applies_to_kind(interaction.kind) {
            continue;
        }
        let mut hits = hits.take(r);
        let violation = match rule.kind {
            RuleKind::Forbidden => {
                conditions::forbidden_after(rule, &mut hits, interaction);
                forbidden(rule, hits)
            }
            RuleKind::Required => required(rule, hits, interaction),
            RuleKind::Metric => {
                let bound = rule.metric.expect("metric rules have a bound");
                let excused = rule.conditions.except_after.as_ref().and_then(|e| {
                    measured.get(&bound.metric)?;
                    crate::scan::holds::excused_value(interaction, bound.metric, e)
                });
                match excused.as_ref().or(measured.get(&bound.metric)) {
                    // Not measurable here (no customer message, no audio): not checked.
                    None => continue,
                    Some(&value) => metric(rule, value),
                }
            }
        };
        match violation {
            Some(v) => {
                if let Some(d) = rule.dimension {
                    deducted[d] = deducted[d].saturating_add(v.deduct);
                }
                violations.push(v)
            }
            None => passed_rules.push(rule.id.clone()),
        }
    }
    let Totals {
        score,
        dimension_scores,
        fatal,
        passed,
    } = totals(ruleset, &violations, deducted);
    InteractionResult {
        schema_version: SCHEMA_VERSION,
        interaction_id: interaction.id.clone(),
        kind: interaction
            .kind
            .unwrap_or(crate::interaction::InteractionKind::Chat),
        source: interaction.source.clone(),
        agent_id: interaction.agent_id.clone(),
        started_at: interaction.started_at.map(|t| t.to_rfc3339()),
        duration_s: round3(interaction.duration_s),
        roles: interaction.roles,
        roles_reason: interaction.roles_reason.clone(),
        ruleset: ruleset.id(),
        score,
        dimension_scores,
        passed,
        fatal,
        violations,
        passed_rules,
        metrics: measured
            .iter()
            .map(|(m, v)| (m.output_key().to_string(), round3(*v)))
            .collect::<BTreeMap<_, _>>(),
        review: None,
        turns: Vec::new(),
    }
}

/// What the violations add up to.
pub(crate) struct Totals {
    pub score: u32,
    pub dimension_scores: BTreeMap<Arc<str>, u32>,
    pub fatal: bool,
    pub passed: bool,
}

/// The score of `violations` (`deducted`: their deductions summed per dimension of
/// the ruleset): 0 with a fatal one, else 100 minus the deductions, or with
/// dimensions the weighted sum of the dimension scores; passed needs the pass score
/// and nothing fatal.
pub(crate) fn totals(ruleset: &Ruleset, violations: &[Violation], deducted: Vec<u32>) -> Totals {
    let fatal = violations.iter().any(|v| v.severity == Severity::Fatal);
    let dimension_scores = dimension_scores(ruleset, deducted);
    let score = if fatal {
        0
    } else if dimension_scores.is_empty() {
        let deducted: u32 = violations.iter().map(|v| v.deduct).sum();
        BASE_SCORE.saturating_sub(deducted)
    } else {
        weighted(ruleset, &dimension_scores)
    };
    let passed = !fatal && f64::from(score) >= ruleset.pass_score;
    Totals {
        score,
        dimension_scores,
        fatal,
        passed,
    }
}

/// Each dimension's score: 100 minus the deductions of its rules' violations, never
/// below 0. Empty when the ruleset has no dimensions.
fn dimension_scores(ruleset: &Ruleset, deducted: Vec<u32>) -> BTreeMap<Arc<str>, u32> {
    ruleset
        .dimensions
        .iter()
        .zip(deducted)
        .map(|(d, off)| (d.id.clone(), BASE_SCORE.saturating_sub(off)))
        .collect()
}

/// The weighted sum of the dimension scores (weights are percents summing to 100),
/// rounded half up to a whole point.
fn weighted(ruleset: &Ruleset, scores: &BTreeMap<Arc<str>, u32>) -> u32 {
    let sum: f64 = ruleset
        .dimensions
        .iter()
        .map(|d| d.weight * f64::from(scores.get(&d.id).copied().unwrap_or(BASE_SCORE)))
        .sum();
    ((sum / 100.0) + 1e-9)
        .round()
        .clamp(0.0, f64::from(BASE_SCORE)) as u32
}

pub(crate) fn base(rule: &Rule, deduct: u32) -> Violation {
    Violation {
        rule_id: rule.id.clone(),
        kind: rule.kind,
        severity: rule.severity,
        deduct,
        evidence: Vec::new(),
        value: None,
        limit: None,
        outside_window: Vec::new(),
        detail: None,
        added_by_verdict: None,
    }
}

/// A forbidden rule's deduction for `n` counted hits: per hit, up to `max-deduct`.
pub(crate) fn forbidden_deduct(rule: &Rule, n: u32) -> u32 {
    let deduct = rule.deduct.saturating_mul(n);
    rule.max_deduct.map_or(deduct, |cap| deduct.min(cap))
}

fn forbidden(rule: &Rule, hits: RuleHits) -> Option<Violation> {
    if hits.counted.is_empty() {
        return None;
    }
    let n = u32::try_from(hits.counted.len()).unwrap_or(u32::MAX);
    let mut v = base(rule, forbidden_deduct(rule, n));
    v.evidence = hits.counted;
    v.detail = Some(detail::forbidden(&rule.title, n).into());
    Some(v)
}

fn required(rule: &Rule, hits: RuleHits, interaction: &Interaction) -> Option<Violation> {
    let c = &rule.conditions;
    if c.after.is_some() || !c.all_of.is_empty() {
        let (evidence, detail) = conditions::required_missing(rule, &hits, interaction)?;
        let mut v = base(rule, rule.deduct);
        v.evidence = evidence;
        v.detail = Some(detail.into());
        v.outside_window = hits.outside_window;
        return Some(v);
    }
    if !hits.counted.is_empty() {
        return None;
    }
    let mut v = base(rule, rule.deduct);
    let expected = &rule.not_found;
    v.detail = Some(match (hits.outside_window.first(), rule.window) {
        (Some(e), Some(w @ (Window::FirstSeconds(_) | Window::LastSeconds(_)))) => {
            detail::said_at(&rule.title, w, e.start_s, &e.matched).into()
        }
        (Some(e), Some(w)) => detail::said_in_turn(&rule.title, w, e.turn, &e.matched).into(),
        _ => expected.clone(),
    });
    v.outside_window = hits.outside_window;
    Some(v)
}

fn metric(rule: &Rule, value: f64) -> Option<Violation> {
    let bound = rule.metric.expect("metric rules have a bound");
    if !bound.violated_by(value) {
        return None;
    }
    let mut v = base(rule, rule.deduct);
    v.value = Some(round3(value));
    let limit = if bound.max.is_some_and(|m| value > m) {
        bound.max
    } else {
        bound.min
    };
    v.limit = limit;
    v.detail = Some(detail::metric(&bound, round3(value), limit.unwrap_or_default()).into());
    Some(v)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
