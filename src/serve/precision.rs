//! How far reviewers' verdicts say each rule can be trusted: per rule, the hits
//! reviewed, how many were true, the precision with its 95 % Wilson interval, the
//! `missed` violations reviewers added, and, over the interactions reviewed in
//! full, the recall: of the interactions that truly violate the rule, the share
//! the machine flagged. Rules are listed worst first.

use crate::aggregate::wilson;
use crate::store::reviews::{Verdict, VerdictKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// One rule's measured precision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulePrecision {
    pub rule_id: String,
    pub reviewed: usize,
    pub true_hits: usize,
    pub false_hits: usize,
    /// true_hits / reviewed; `None` before any review.
    pub precision: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Violations reviewers found that the rule did not flag.
    pub missed: usize,
    /// Over interactions reviewed in full: those that truly violate the rule
    /// (flagged and not taken back, or added by the reviewer), and the share the
    /// machine flagged, with its 95 % Wilson interval.
    pub recall_of: usize,
    pub recall: Option<f64>,
    pub recall_low: Option<f64>,
    pub recall_high: Option<f64>,
}

/// Per rule, over interactions reviewed in full: (flagged by the machine and
/// upheld by review, added by a reviewer).
pub type Recall = BTreeMap<String, (usize, usize)>;

/// The precision of every rule with a verdict (and the recall of every rule
/// `recall` counts), lowest precision first.
pub fn precision(verdicts: &[Verdict], recall: &Recall) -> Vec<RulePrecision> {
    let mut by_rule: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for rule in recall.keys() {
        by_rule.entry(rule).or_default();
    }
    for v in verdicts {
        let e = by_rule.entry(&v.rule_id).or_default();
        match v.verdict {
            VerdictKind::TrueHit => e.0 += 1,
            VerdictKind::FalseHit => e.1 += 1,
            VerdictKind::Missed => e.2 += 1,
        }
    }
    let mut out: Vec<RulePrecision> = by_rule
        .into_iter()
        .map(|(rule, (t, f, m))| {
            let interval = wilson(t, t + f);
            let (caught, added) = recall.get(rule).copied().unwrap_or_default();
            let recall_interval = wilson(caught, caught + added);
            RulePrecision {
                recall_of: caught + added,
                recall: (caught + added > 0).then(|| caught as f64 / (caught + added) as f64),
                recall_low: recall_interval.map(|i| i.low),
                recall_high: recall_interval.map(|i| i.high),
                rule_id: rule.to_string(),
                reviewed: t + f,
                true_hits: t,
                false_hits: f,
                precision: (t + f > 0).then(|| t as f64 / (t + f) as f64),
                low: interval.map(|i| i.low),
                high: interval.map(|i| i.high),
                missed: m,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.precision
            .unwrap_or(2.0)
            .total_cmp(&b.precision.unwrap_or(2.0))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    out
}
