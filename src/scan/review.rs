//! What QA review does to a machine result. Reviewers' verdicts and leads' rulings
//! are the last word: a violation overturned on appeal, or whose every hit a
//! reviewer marked false, stops counting; a false hit of a forbidden phrase stops
//! counting towards that rule's deduction; a violation a reviewer found that the
//! machine missed counts like any other. The score, dimension scores, pass and
//! fatal are then worked out again, and the result says what changed
//! ([`ReviewEffect`]). Applied wherever results leave callqa (outputs, aggregates,
//! export, the workbench); the state database keeps the machine's results, so
//! verdicts given later, or taken back, apply to the next run.

use crate::rules::{Rule, Ruleset};
use crate::scan::result::{
    Dismissed, DismissedBy, InteractionResult, ReviewEffect, RuleKind, Violation,
};
use crate::scan::score::{base, forbidden_deduct, totals};
use std::collections::BTreeMap;

/// The review records of one interaction that change its result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Review {
    /// Rule id -> id of the appeal a lead overturned.
    pub overturned: BTreeMap<String, i64>,
    /// (rule id, hit key) -> id of the `false_hit` verdict. The hit key is
    /// [`hit_key`] of the evidence, empty for a violation without evidence.
    pub false_hits: BTreeMap<(String, String), i64>,
    /// Violations reviewers added: (rule id, seconds in, note, verdict id).
    pub missed: Vec<Missed>,
}

/// A violation a reviewer found that the machine did not flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Missed {
    pub rule_id: String,
    pub start_s: Option<f64>,
    pub note: String,
    pub verdict_id: i64,
}

impl Review {
    pub fn is_empty(&self) -> bool {
        self.overturned.is_empty() && self.false_hits.is_empty() && self.missed.is_empty()
    }
}

/// The key a verdict names a hit by: `turn:start_byte-end_byte`.
pub fn hit_key(e: &crate::scan::result::Evidence) -> String {
    format!("{}:{}-{}", e.turn, e.start_byte, e.end_byte)
}

/// Applies `review` to `result`, the machine's result scored with `ruleset` (one
/// already reviewed is left as it is: the store keeps machine results, and those
/// are what review applies to). Nothing changes, and `review` stays `None`, when
/// the records change nothing.
pub fn apply(result: &mut InteractionResult, ruleset: &Ruleset, review: &Review) {
    if review.is_empty() || result.review.is_some() {
        return;
    }
    let rule_of = |id: &str| ruleset.rules.iter().find(|r| &*r.id == id);
    let machine_score = result.score;
    let machine_passed = result.passed;
    let mut changed = false;
    for m in &review.missed {
        let Some(rule) = rule_of(&m.rule_id) else {
            continue;
        };
        if result.violations.iter().any(|v| *v.rule_id == *m.rule_id) {
            continue;
        }
        result.violations.push(added(rule, m));
        result.passed_rules.retain(|p| **p != *m.rule_id);
        changed = true;
    }
    let mut dismissed = Vec::new();
    let mut kept = Vec::with_capacity(result.violations.len());
    for mut v in std::mem::take(&mut result.violations) {
        if let Some(&id) = review.overturned.get(&*v.rule_id) {
            dismissed.push(Dismissed {
                by: DismissedBy::Appeal,
                id,
                violation: v,
            });
            continue;
        }
        let false_of = |key: String| review.false_hits.get(&(v.rule_id.to_string(), key));
        if v.evidence.is_empty() {
            if let Some(&id) = false_of(String::new()) {
                dismissed.push(Dismissed {
                    by: DismissedBy::Review,
                    id,
                    violation: v,
                });
                continue;
            }
            kept.push(v);
            continue;
        }
        let mut last = None;
        for e in &mut v.evidence {
            if let Some(&id) = false_of(hit_key(e)) {
                e.dismissed = true;
                last = last.max(Some(id));
            }
        }
        let left = v.evidence.iter().filter(|e| !e.dismissed).count();
        match last {
            None => kept.push(v),
            Some(id) if left == 0 => dismissed.push(Dismissed {
                by: DismissedBy::Review,
                id,
                violation: v,
            }),
            Some(_) => {
                changed = true;
                if v.kind == RuleKind::Forbidden {
                    if let Some(rule) = rule_of(&v.rule_id) {
                        let n = u32::try_from(left).unwrap_or(u32::MAX);
                        v.deduct = forbidden_deduct(rule, n);
                        v.detail = Some(crate::rules::detail::forbidden(&rule.title, n).into());
                    }
                }
                kept.push(v);
            }
        }
    }
    changed |= !dismissed.is_empty();
    if !changed {
        result.violations = kept;
        return;
    }
    // The violations in ruleset order, as the scanner writes them.
    let order = |v: &Violation| ruleset.rules.iter().position(|r| r.id == v.rule_id);
    kept.sort_by_key(order);
    let mut deducted = vec![0u32; ruleset.dimensions.len()];
    for v in &kept {
        if let Some(d) = rule_of(&v.rule_id).and_then(|r| r.dimension) {
            deducted[d] = deducted[d].saturating_add(v.deduct);
        }
    }
    let t = totals(ruleset, &kept, deducted);
    result.violations = kept;
    result.score = t.score;
    result.dimension_scores = t.dimension_scores;
    result.fatal = t.fatal;
    result.passed = t.passed;
    result.review = Some(ReviewEffect {
        machine_score,
        machine_passed,
        dismissed,
    });
}

/// The violation a `missed` verdict adds.
fn added(rule: &Rule, m: &Missed) -> Violation {
    let mut v = base(rule, rule.deduct);
    let at = m
        .start_s
        .map(|s| format!("第 {s:.1} 秒 at {s:.1} s"))
        .unwrap_or_default();
    v.detail = Some(
        format!(
            "复核补充 Added in review {at}{}{}",
            if m.note.is_empty() { "" } else { ": " },
            m.note
        )
        .trim_end()
        .into(),
    );
    v.added_by_verdict = Some(m.verdict_id);
    v
}
