//! The assessment (考核) of each agent in each period, as performance reviews use
//! it: rank and percentile within the team and within the centre, the top/bottom
//! 20 % group, and an alert after two consecutive periods under the threshold.
//!
//! Ranking: by mean score, then adherence rate, then interactions assessed (more
//! evidence first), all descending, then agent id ascending, so ties are broken the
//! same way on every run. Ranks are positions in that order (1 = best). The
//! percentile is the mid-rank percentile `100 * (n - rank + 0.5) / n`: the share of
//! the group ranked below the agent, counting the agent as half. The group comes
//! from the centre percentile: `top20` at 80 or more, `bottom20` at 20 or less, so
//! in a centre of 400 exactly 80 agents are in each; one agent alone is `middle`.

use super::{AgentPeriod, Period, Stats};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// Top 20 %, the middle, or bottom 20 % of the centre in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Top20,
    Middle,
    Bottom20,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Top20 => "top20",
            Group::Middle => "middle",
            Group::Bottom20 => "bottom20",
        }
    }

    fn of(percentile: f64) -> Group {
        if percentile >= 80.0 {
            Group::Top20
        } else if percentile <= 20.0 {
            Group::Bottom20
        } else {
            Group::Middle
        }
    }
}

/// A place in a ranked group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rank {
    /// 1 = best.
    pub rank: usize,
    /// How many were ranked.
    pub of: usize,
    /// Mid-rank percentile, 0..100 (100 = best).
    pub percentile: f64,
}

/// One agent in one period, assessed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub agent_id: String,
    pub name: String,
    pub team: String,
    pub period: Period,
    #[serde(flatten)]
    pub stats: Stats,
    pub team_rank: Rank,
    pub centre_rank: Rank,
    pub group: Group,
    /// `two_periods_below_60` when this and the previous period's mean score are
    /// both under the ruleset's `alert-below` (60 unless set).
    pub alert: Option<String>,
}

/// Assesses every agent-period with interactions. Rows come back by (period,
/// centre rank).
pub fn assess(agents: &[AgentPeriod], alert_below: f64) -> Vec<Assessment> {
    let assessed: Vec<&AgentPeriod> = agents.iter().filter(|a| a.stats.assessed > 0).collect();
    let mean: HashMap<(&str, Period), f64> = assessed
        .iter()
        .filter_map(|a| Some(((a.agent_id.as_str(), a.period), a.stats.mean_score?)))
        .collect();

    let mut by_period: BTreeMap<Period, Vec<&AgentPeriod>> = BTreeMap::new();
    for a in &assessed {
        by_period.entry(a.period).or_default().push(a);
    }
    let mut out = Vec::with_capacity(assessed.len());
    for (period, mut centre) in by_period {
        centre.sort_by(|a, b| ranking(a, b));
        let mut team_place: HashMap<&str, usize> = HashMap::new();
        let mut team_size: HashMap<&str, usize> = HashMap::new();
        for a in &centre {
            *team_size.entry(a.team.as_str()).or_default() += 1;
        }
        let n = centre.len();
        for (i, a) in centre.iter().enumerate() {
            let place = team_place.entry(a.team.as_str()).or_default();
            *place += 1;
            let centre_rank = rank(i + 1, n);
            let below = |p: Period| {
                mean.get(&(a.agent_id.as_str(), p))
                    .is_some_and(|m| *m < alert_below)
            };
            let alert = (below(period) && period.previous().is_some_and(below))
                .then(|| format!("two_periods_below_{alert_below}"));
            out.push(Assessment {
                agent_id: a.agent_id.clone(),
                name: a.name.clone(),
                team: a.team.clone(),
                period,
                stats: a.stats.clone(),
                team_rank: rank(*place, team_size[a.team.as_str()]),
                centre_rank,
                group: Group::of(centre_rank.percentile),
                alert,
            });
        }
    }
    out
}

fn rank(rank: usize, of: usize) -> Rank {
    Rank {
        rank,
        of,
        percentile: 100.0 * (of as f64 - rank as f64 + 0.5) / of as f64,
    }
}

/// Best first: mean score, adherence, assessed (all descending), then agent id.
fn ranking(a: &AgentPeriod, b: &AgentPeriod) -> Ordering {
    let (x, y) = (&a.stats, &b.stats);
    let key = |s: &Stats| (s.mean_score.unwrap_or(0.0), s.adherence_rate.unwrap_or(0.0));
    let (kx, ky) = (key(x), key(y));
    ky.0.total_cmp(&kx.0)
        .then(ky.1.total_cmp(&kx.1))
        .then(y.assessed.cmp(&x.assessed))
        .then_with(|| a.agent_id.cmp(&b.agent_id))
}
