//! Roll scored interactions up into what QA leads and HR systems read: adherence per
//! agent, team and period (ISO week, month or quarter) with a Wilson interval, a
//! score band and mean dimension scores; hit rates per rule; run totals; and the
//! assessment (ranks, top/bottom 20 %, alerts) in [`assess`].
//!
//! [`aggregate`] is a pure function of the results: shards of a run can be merged by
//! concatenating their results and aggregating again, and the output does not depend
//! on the order results arrive in.

pub mod assess;
mod band;
mod period;
mod week;
mod wilson;

pub use assess::{Assessment, Group};
pub use band::{band_for, BandRef};
pub use period::{Period, PeriodKind};
pub use week::Week;
pub use wilson::{wilson, wilson_z, Interval, Z95};

use crate::input::roster::{Roster, NO_TEAM};
use crate::rules::{Band, Dimension};
use crate::scan::result::{InteractionResult, RuleKind, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    /// Mean score of each dimension, in the ruleset's order; empty without dimensions
    /// or interactions.
    pub dimension_means: Vec<f64>,
}

/// One agent in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentPeriod {
    pub agent_id: String,
    /// From the roster; empty when the agent is not in it.
    pub name: String,
    /// From the roster; [`NO_TEAM`] when the agent is not in it.
    pub team: String,
    pub period: Period,
    #[serde(flatten)]
    pub stats: Stats,
}

/// One agent over the whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentTotal {
    pub agent_id: String,
    pub name: String,
    pub team: String,
    #[serde(flatten)]
    pub stats: Stats,
}

/// One team in one period (`period` = `None`: over the whole run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamPeriod {
    pub team: String,
    pub period: Option<Period>,
    /// Distinct agents with interactions.
    pub agents: usize,
    #[serde(flatten)]
    pub stats: Stats,
}

/// All agents in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodTotal {
    pub period: Period,
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

/// A rule's counts in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulePeriod {
    pub period: Period,
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
/// (agent_id, period), agent totals by agent_id, teams by (team, period) with the
/// run total of each team first, periods ascending with `unknown` last, rules by
/// rule id, rule periods by (period, rule id), assessment by (period, centre rank).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregates {
    pub period_kind: PeriodKind,
    pub dimensions: Vec<Dimension>,
    pub totals: Totals,
    pub agents: Vec<AgentPeriod>,
    pub agent_totals: Vec<AgentTotal>,
    pub teams: Vec<TeamPeriod>,
    pub periods: Vec<PeriodTotal>,
    pub rules: Vec<RuleStat>,
    pub rule_periods: Vec<RulePeriod>,
    pub assessment: Vec<Assessment>,
    /// Agents with results who are not in the roster (empty without a roster).
    pub unrostered: Vec<String>,
}

/// What [`aggregate`] groups and rates by.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    /// Every rule of the ruleset, reported even when never hit.
    pub rules: &'a [RuleInfo],
    pub bands: &'a [Band],
    pub dimensions: &'a [Dimension],
    pub period: PeriodKind,
    pub roster: Option<&'a Roster>,
    /// Mean score under which two consecutive periods raise an alert.
    pub alert_below: f64,
}

impl<'a> Setup<'a> {
    /// Weekly, no dimensions, no roster, the default alert threshold.
    pub fn new(rules: &'a [RuleInfo], bands: &'a [Band]) -> Setup<'a> {
        Setup {
            rules,
            bands,
            dimensions: &[],
            period: PeriodKind::Week,
            roster: None,
            alert_below: crate::rules::DEFAULT_ALERT_BELOW,
        }
    }
}

/// A team and a period (`None`: the whole run).
type TeamKey = (String, Option<Period>);

#[derive(Default, Clone)]
struct Tally {
    assessed: usize,
    passed: usize,
    fatal: usize,
    score_sum: u64,
    /// Per dimension (ruleset order), the sum of its scores.
    dimension_sums: Vec<u64>,
}

impl Tally {
    /// Counts `r`, whose score in each dimension (ruleset order) is `scores`.
    fn add(&mut self, r: &InteractionResult, scores: &[u32]) {
        self.assessed += 1;
        self.passed += usize::from(r.passed);
        self.fatal += usize::from(r.fatal);
        self.score_sum += u64::from(r.score);
        if !scores.is_empty() {
            self.dimension_sums.resize(scores.len(), 0);
            for (sum, s) in self.dimension_sums.iter_mut().zip(scores) {
                *sum += u64::from(*s);
            }
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.assessed += other.assessed;
        self.passed += other.passed;
        self.fatal += other.fatal;
        self.score_sum += other.score_sum;
        if self.dimension_sums.len() < other.dimension_sums.len() {
            self.dimension_sums.resize(other.dimension_sums.len(), 0);
        }
        for (a, b) in self.dimension_sums.iter_mut().zip(&other.dimension_sums) {
            *a += b;
        }
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
            dimension_means: if n == 0 {
                Vec::new()
            } else {
                self.dimension_sums
                    .iter()
                    .map(|s| *s as f64 / n as f64)
                    .collect()
            },
        }
    }
}

#[derive(Default, Clone, Copy)]
struct RuleTally {
    hits: usize,
    violated: usize,
    assessed: usize,
}

/// Aggregates `results` (in any order) as `setup` says. Every rule in
/// `setup.rules` is reported, even when never hit; a rule id found in results but
/// not there (results scored with another ruleset) is reported too, with the id as
/// title.
pub fn aggregate(results: &[InteractionResult], setup: &Setup<'_>) -> Aggregates {
    let mut a = Aggregator::new(setup);
    for r in results {
        a.add(r);
    }
    a.finish()
}

/// [`aggregate`] one result at a time: what it holds grows with the agents,
/// periods and rules, not with the results, so a run of any size aggregates in
/// bounded memory.
pub struct Aggregator<'a> {
    setup: Setup<'a>,
    total: Tally,
    /// Per agent: over the run, and per period.
    per_agent: BTreeMap<String, (Tally, BTreeMap<Period, Tally>)>,
    per_period: BTreeMap<Period, Tally>,
    /// Rules in the order first met (the ruleset's first), and where each is.
    infos: Vec<RuleInfo>,
    slot: HashMap<String, usize>,
    rule_total: Vec<RuleTally>,
    rule_period: BTreeMap<Period, Vec<RuleTally>>,
    violations: usize,
    /// Per rule slot, for the result being added: (checked, violated).
    marks: Vec<(bool, bool)>,
}

impl<'a> Aggregator<'a> {
    pub fn new(setup: &Setup<'a>) -> Aggregator<'a> {
        let mut a = Aggregator {
            setup: *setup,
            total: Tally::default(),
            per_agent: BTreeMap::new(),
            per_period: BTreeMap::new(),
            infos: Vec::new(),
            slot: HashMap::new(),
            rule_total: Vec::new(),
            rule_period: BTreeMap::new(),
            violations: 0,
            marks: Vec::new(),
        };
        for r in setup.rules {
            a.rule_slot(&r.id, || r.clone());
        }
        a
    }

    /// The slot of rule `id`, made with `info` when it is new.
    fn rule_slot(&mut self, id: &str, info: impl FnOnce() -> RuleInfo) -> usize {
        if let Some(&i) = self.slot.get(id) {
            return i;
        }
        let i = self.infos.len();
        self.infos.push(info());
        self.slot.insert(id.to_string(), i);
        self.rule_total.push(RuleTally::default());
        self.marks.push((false, false));
        i
    }

    /// Counts one result.
    pub fn add(&mut self, r: &InteractionResult) {
        let dims = self.setup.dimensions;
        let period = Period::of(self.setup.period, r.started_at.as_deref());
        // Every period with a result has its rule tallies, hit or not.
        self.period_tallies(period);
        // A result scored without a dimension counts as untouched (100) in it.
        let scores: Vec<u32> = dims
            .iter()
            .map(|d| r.dimension_scores.get(&d.id).copied().unwrap_or(100))
            .collect();
        let dims = &scores[..];
        self.total.add(r, dims);
        let agent = match self.per_agent.get_mut(r.agent_id.as_str()) {
            Some(a) => a,
            None => self.per_agent.entry(r.agent_id.clone()).or_default(),
        };
        agent.0.add(r, dims);
        agent.1.entry(period).or_default().add(r, dims);
        self.per_period.entry(period).or_default().add(r, dims);
        self.violations += r.violations.len();

        let mut touched = Vec::with_capacity(r.violations.len() + r.passed_rules.len());
        for v in &r.violations {
            let i = self.rule_slot(&v.rule_id, || RuleInfo {
                id: v.rule_id.to_string(),
                kind: v.kind,
                title: v.rule_id.to_string(),
                severity: v.severity,
            });
            let hits = match v.kind {
                RuleKind::Forbidden => v.evidence.len(),
                RuleKind::Required | RuleKind::Metric => 1,
            };
            self.rule_total[i].hits += hits;
            self.period_tallies(period)[i].hits += hits;
            self.marks[i] = (true, true);
            touched.push(i);
        }
        for id in &r.passed_rules {
            let i = self.rule_slot(id, || RuleInfo {
                id: id.to_string(),
                kind: RuleKind::Required,
                title: id.to_string(),
                severity: Severity::default(),
            });
            self.marks[i].0 = true;
            touched.push(i);
        }
        let n = self.infos.len();
        let in_period = self
            .rule_period
            .get_mut(&period)
            .expect("the period's tallies were made above or now");
        in_period.resize(n, RuleTally::default());
        for i in touched {
            let (checked, violated) = std::mem::take(&mut self.marks[i]);
            if !checked {
                continue;
            }
            for t in [&mut self.rule_total[i], &mut in_period[i]] {
                t.assessed += 1;
                t.violated += usize::from(violated);
            }
        }
    }

    /// The rule tallies of `period`, one per rule known so far.
    fn period_tallies(&mut self, period: Period) -> &mut Vec<RuleTally> {
        let n = self.infos.len();
        let t = self.rule_period.entry(period).or_default();
        t.resize(n, RuleTally::default());
        t
    }

    /// The aggregates of everything added.
    pub fn finish(mut self) -> Aggregates {
        let setup = self.setup;
        let (bands, dims) = (setup.bands, setup.dimensions);
        // Rules by id.
        let mut order: Vec<usize> = (0..self.infos.len()).collect();
        order.sort_by(|&a, &b| self.infos[a].id.cmp(&self.infos[b].id));
        let n = self.infos.len();
        for t in self.rule_period.values_mut() {
            t.resize(n, RuleTally::default());
        }
        let infos: Vec<RuleInfo> = order.iter().map(|&i| self.infos[i].clone()).collect();
        let rule_total: Vec<RuleTally> = order.iter().map(|&i| self.rule_total[i]).collect();
        let rule_period: BTreeMap<Period, Vec<RuleTally>> = self
            .rule_period
            .into_iter()
            .map(|(p, t)| (p, order.iter().map(|&i| t[i]).collect()))
            .collect();
        let mut per_agent_period: BTreeMap<(String, Period), Tally> = BTreeMap::new();
        let mut per_agent: BTreeMap<String, Tally> = BTreeMap::new();
        for (agent, (run, periods)) in self.per_agent {
            for (period, t) in periods {
                per_agent_period.insert((agent.clone(), period), t);
            }
            per_agent.insert(agent, run);
        }
        let (total, per_period, violations) = (self.total, self.per_period, self.violations);

        // Who is who: the roster's name and team, or no name and team "(none)".
        let member = |agent: &str| -> (String, String) {
            match setup.roster.and_then(|roster| roster.get(agent)) {
                Some(m) => (m.name.clone(), m.team.clone()),
                None => (String::new(), NO_TEAM.to_string()),
            }
        };
        let unrostered: Vec<String> = match setup.roster {
            Some(roster) => per_agent
                .keys()
                .filter(|a| roster.get(a).is_none())
                .map(|a| a.to_string())
                .collect(),
            None => Vec::new(),
        };

        // Teams: per period and over the run, from the same tallies as the agents.
        let mut per_team: BTreeMap<TeamKey, (Tally, BTreeSet<&str>)> = BTreeMap::new();
        for ((agent, period), t) in &per_agent_period {
            let team = member(agent).1;
            for key in [(team.clone(), None), (team, Some(*period))] {
                let (sum, agents) = per_team.entry(key).or_default();
                sum.merge(t);
                agents.insert(agent.as_str());
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

        let agents: Vec<AgentPeriod> = per_agent_period
            .iter()
            .map(|((agent, period), t)| {
                let (name, team) = member(agent);
                AgentPeriod {
                    agent_id: agent.to_string(),
                    name,
                    team,
                    period: *period,
                    stats: t.stats(bands),
                }
            })
            .collect();
        let assessment = assess::assess(&agents, setup.alert_below);
        Aggregates {
            period_kind: setup.period,
            dimensions: dims.to_vec(),
            totals: Totals {
                stats: total.stats(bands),
                agents: per_agent.len(),
                violations,
            },
            agent_totals: per_agent
                .iter()
                .map(|(agent, t)| {
                    let (name, team) = member(agent);
                    AgentTotal {
                        agent_id: agent.to_string(),
                        name,
                        team,
                        stats: t.stats(bands),
                    }
                })
                .collect(),
            agents,
            teams: per_team
                .into_iter()
                .map(|((team, period), (t, agents))| TeamPeriod {
                    team,
                    period,
                    agents: agents.len(),
                    stats: t.stats(bands),
                })
                .collect(),
            periods: per_period
                .iter()
                .map(|(period, t)| PeriodTotal {
                    period: *period,
                    stats: t.stats(bands),
                })
                .collect(),
            rules: infos
                .iter()
                .zip(&rule_total)
                .map(|(info, t)| stat(info, t))
                .collect(),
            rule_periods: rule_period
                .iter()
                .flat_map(|(period, tallies)| {
                    infos.iter().zip(tallies).map(|(info, t)| RulePeriod {
                        period: *period,
                        stat: stat(info, t),
                    })
                })
                .collect(),
            assessment,
            unrostered,
        }
    }
}

#[cfg(test)]
mod tests;
