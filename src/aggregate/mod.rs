//! Roll scored interactions up into what QA leads and HR systems read: adherence per
//! agent and ISO week (with a Wilson interval and a score band), hit rates per rule,
//! and run totals.
//!
//! [`aggregate`] is a pure function of the results: shards of a run can be merged by
//! concatenating their results and aggregating again, and the output does not depend
//! on the order results arrive in.

mod band;
mod week;
mod wilson;

pub use band::{band_for, BandRef};
pub use week::Week;
pub use wilson::{wilson, wilson_z, Interval, Z95};

use crate::rules::Band;
use crate::scan::result::{InteractionResult, RuleKind, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What the aggregates need to know about a rule (the ruleset produces these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub kind: RuleKind,
    pub title: String,
    pub severity: Severity,
}

impl From<&crate::rules::Rule> for RuleInfo {
    fn from(r: &crate::rules::Rule) -> Self {
        RuleInfo {
            id: r.id.to_string(),
            kind: r.kind,
            title: r.title.clone(),
            severity: r.severity,
        }
    }
}

/// Pass counts and scores of a group of interactions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Interactions scored.
    pub assessed: usize,
    pub passed: usize,
    /// Interactions with a fatal violation.
    pub fatal: usize,
    /// passed / assessed; `None` when nothing was assessed.
    pub adherence_rate: Option<f64>,
    /// 95% Wilson score interval of the adherence rate.
    pub wilson: Option<Interval>,
    pub mean_score: Option<f64>,
    /// The band of the mean score.
    pub band: Option<BandRef>,
}

/// One agent in one ISO week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentWeek {
    pub agent_id: String,
    pub week: Week,
    #[serde(flatten)]
    pub stats: Stats,
}

/// One agent over the whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentTotal {
    pub agent_id: String,
    #[serde(flatten)]
    pub stats: Stats,
}

/// All agents in one ISO week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekTotal {
    pub week: Week,
    #[serde(flatten)]
    pub stats: Stats,
}

/// How often one rule was broken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleStat {
    pub rule_id: String,
    pub kind: RuleKind,
    pub severity: Severity,
    pub title: String,
    /// Forbidden rules: evidence items (counted hits); required and metric rules:
    /// violations.
    pub hits: usize,
    pub interactions_violated: usize,
    /// Interactions the rule was checked on (violated or listed in `passed_rules`).
    pub assessed: usize,
    /// interactions_violated / assessed; `None` when the rule was never checked.
    pub hit_rate: Option<f64>,
}

/// A rule's counts in one ISO week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleWeek {
    pub week: Week,
    #[serde(flatten)]
    pub stat: RuleStat,
}

/// Run totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    #[serde(flatten)]
    pub stats: Stats,
    /// Distinct agents.
    pub agents: usize,
    /// Violations of any rule, summed over interactions.
    pub violations: usize,
}

/// Everything reported about a run. Every list has a fixed order: agents by
/// (agent_id, week), agent totals by agent_id, weeks ascending with `unknown` last,
/// rules by rule id, rule weeks by (week, rule id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregates {
    pub totals: Totals,
    pub agents: Vec<AgentWeek>,
    pub agent_totals: Vec<AgentTotal>,
    pub weeks: Vec<WeekTotal>,
    pub rules: Vec<RuleStat>,
    pub rule_weeks: Vec<RuleWeek>,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    assessed: usize,
    passed: usize,
    fatal: usize,
    score_sum: u64,
}

impl Tally {
    fn add(&mut self, r: &InteractionResult) {
        self.assessed += 1;
        self.passed += usize::from(r.passed);
        self.fatal += usize::from(r.fatal);
        self.score_sum += u64::from(r.score);
    }

    fn stats(&self, bands: &[Band]) -> Stats {
        let n = self.assessed;
        let mean_score = (n > 0).then(|| self.score_sum as f64 / n as f64);
        Stats {
            assessed: n,
            passed: self.passed,
            fatal: self.fatal,
            adherence_rate: (n > 0).then(|| self.passed as f64 / n as f64),
            wilson: wilson(self.passed, n),
            mean_score,
            band: mean_score.and_then(|m| band_for(m, bands)),
        }
    }
}

#[derive(Default, Clone, Copy)]
struct RuleTally {
    hits: usize,
    violated: usize,
    assessed: usize,
}

/// Aggregates `results` (in any order) for the ruleset's rules and bands. Every rule
/// in `rules` is reported, even when never hit; a rule id found in results but not in
/// `rules` (results scored with another ruleset) is reported too, with the id as title.
pub fn aggregate(results: &[InteractionResult], rules: &[RuleInfo], bands: &[Band]) -> Aggregates {
    let mut total = Tally::default();
    let mut per_agent_week: BTreeMap<(&str, Week), Tally> = BTreeMap::new();
    let mut per_agent: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut per_week: BTreeMap<Week, Tally> = BTreeMap::new();

    // Rules by id: the ruleset's, then ids only seen in results (another ruleset).
    let mut by_id: BTreeMap<&str, RuleInfo> =
        rules.iter().map(|r| (r.id.as_str(), r.clone())).collect();
    for r in results {
        for v in &r.violations {
            by_id.entry(&v.rule_id).or_insert_with(|| RuleInfo {
                id: v.rule_id.to_string(),
                kind: v.kind,
                title: v.rule_id.to_string(),
                severity: v.severity,
            });
        }
        for id in &r.passed_rules {
            by_id.entry(id).or_insert_with(|| RuleInfo {
                id: id.to_string(),
                kind: RuleKind::Required,
                title: id.to_string(),
                severity: Severity::default(),
            });
        }
    }
    let slot: HashMap<&str, usize> = by_id.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let infos: Vec<RuleInfo> = by_id.into_values().collect();

    let mut rule_total = vec![RuleTally::default(); infos.len()];
    let mut rule_week: BTreeMap<Week, Vec<RuleTally>> = BTreeMap::new();
    let mut violations = 0;

    for r in results {
        let week = Week::of(r.started_at.as_deref());
        total.add(r);
        per_agent_week
            .entry((r.agent_id.as_str(), week))
            .or_default()
            .add(r);
        per_agent.entry(r.agent_id.as_str()).or_default().add(r);
        per_week.entry(week).or_default().add(r);
        violations += r.violations.len();

        let weekly = rule_week
            .entry(week)
            .or_insert_with(|| vec![RuleTally::default(); infos.len()]);
        let mut checked = vec![false; infos.len()];
        let mut violated = vec![false; infos.len()];
        for v in &r.violations {
            let i = slot[&*v.rule_id];
            let hits = match v.kind {
                RuleKind::Forbidden => v.evidence.len(),
                RuleKind::Required | RuleKind::Metric => 1,
            };
            rule_total[i].hits += hits;
            weekly[i].hits += hits;
            checked[i] = true;
            violated[i] = true;
        }
        for id in &r.passed_rules {
            checked[slot[&**id]] = true;
        }
        for i in 0..infos.len() {
            for t in [&mut rule_total[i], &mut weekly[i]] {
                t.assessed += usize::from(checked[i]);
                t.violated += usize::from(violated[i]);
            }
        }
    }

    let stat = |info: &RuleInfo, t: &RuleTally| RuleStat {
        rule_id: info.id.clone(),
        kind: info.kind,
        severity: info.severity,
        title: info.title.clone(),
        hits: t.hits,
        interactions_violated: t.violated,
        assessed: t.assessed,
        hit_rate: (t.assessed > 0).then(|| t.violated as f64 / t.assessed as f64),
    };

    Aggregates {
        totals: Totals {
            stats: total.stats(bands),
            agents: per_agent.len(),
            violations,
        },
        agents: per_agent_week
            .iter()
            .map(|((agent, week), t)| AgentWeek {
                agent_id: agent.to_string(),
                week: *week,
                stats: t.stats(bands),
            })
            .collect(),
        agent_totals: per_agent
            .iter()
            .map(|(agent, t)| AgentTotal {
                agent_id: agent.to_string(),
                stats: t.stats(bands),
            })
            .collect(),
        weeks: per_week
            .iter()
            .map(|(week, t)| WeekTotal {
                week: *week,
                stats: t.stats(bands),
            })
            .collect(),
        rules: infos
            .iter()
            .zip(&rule_total)
            .map(|(info, t)| stat(info, t))
            .collect(),
        rule_weeks: rule_week
            .iter()
            .flat_map(|(week, tallies)| {
                infos.iter().zip(tallies).map(|(info, t)| RuleWeek {
                    week: *week,
                    stat: stat(info, t),
                })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
