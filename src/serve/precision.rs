//! How far reviewers' verdicts say each rule can be trusted: per rule, the hits
//! reviewed, how many were true, the precision with its 95 % Wilson interval, and
//! the `missed` violations reviewers added. Rules are listed worst first.

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
}

/// The precision of every rule with a verdict, lowest precision first.
pub fn precision(verdicts: &[Verdict]) -> Vec<RulePrecision> {
    let mut by_rule: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
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
            RulePrecision {
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
