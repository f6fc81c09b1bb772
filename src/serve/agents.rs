//! The agents list of the workbench (`GET /` and `GET /api/agents`): per agent,
//! over all periods or one week, interactions assessed, adherence as review has
//! it, fatal count, mean score, and the adherence corrected for the machine's
//! measured errors ([`super::estimate`]); worst first.

use super::estimate::{corrected, Calibration, Corrected, Seen};
use super::index::Index;
use super::precision::Recall;
use serde::Serialize;
use std::collections::BTreeMap;

/// One agent's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentRow {
    pub agent_id: String,
    pub assessed: usize,
    pub passed: usize,
    /// passed / assessed, after review.
    pub adherence: f64,
    /// The machine's own rate, before any review.
    pub machine_adherence: f64,
    pub fatal: usize,
    pub mean_score: f64,
    /// Interactions reviewed in full.
    pub reviewed: usize,
    /// `None` until fully reviewed interactions calibrate the machine's verdicts.
    pub corrected: Option<Corrected>,
}

impl Index {
    /// The calibration sample: every interaction reviewed in full (all periods).
    pub fn calibration(&self) -> Calibration {
        let mut cal = Calibration::default();
        for &i in &self.full {
            let s = &self.items[i];
            cal.add(s.machine_passed, s.passed);
        }
        cal
    }

    /// Per rule, over the interactions reviewed in full: (caught, missed).
    pub fn recall(&self) -> Recall {
        let mut out = Recall::new();
        for &i in &self.full {
            let s = &self.items[i];
            for rule in &s.violated {
                let e = out.entry(rule.to_string()).or_default();
                if s.added.contains(rule) {
                    e.1 += 1;
                } else {
                    e.0 += 1;
                }
            }
        }
        out
    }

    /// The agents `only_agent` allows (all when `None`) in `week` (all when
    /// `None`), worst adherence first, then most fatal, then agent id.
    pub fn agents(&self, week: Option<&str>, only_agent: Option<&str>) -> Vec<AgentRow> {
        let cal = self.calibration();
        // agent -> (interactions as seen, passed after review, fatal, score sum)
        let mut per: BTreeMap<&str, (Vec<Seen>, usize, usize, u64)> = BTreeMap::new();
        for (i, s) in self.items.iter().enumerate() {
            if only_agent.is_some_and(|a| a != s.agent_id)
                || week.is_some_and(|w| !w.is_empty() && w != s.week)
            {
                continue;
            }
            let e = per.entry(&s.agent_id).or_default();
            e.0.push(Seen {
                machine_passed: s.machine_passed,
                reviewed: self.full.contains(&i).then_some(s.passed),
            });
            e.1 += usize::from(s.passed);
            e.2 += usize::from(s.fatal);
            e.3 += u64::from(s.score);
        }
        let mut rows: Vec<AgentRow> = per
            .into_iter()
            .map(|(agent, (seen, passed, fatal, sum))| {
                let n = seen.len();
                let machine = seen.iter().filter(|s| s.machine_passed).count();
                AgentRow {
                    agent_id: agent.to_string(),
                    assessed: n,
                    passed,
                    adherence: passed as f64 / n as f64,
                    machine_adherence: machine as f64 / n as f64,
                    fatal,
                    mean_score: sum as f64 / n as f64,
                    reviewed: seen.iter().filter(|s| s.reviewed.is_some()).count(),
                    corrected: corrected(&seen, &cal),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            a.adherence
                .total_cmp(&b.adherence)
                .then(b.fatal.cmp(&a.fatal))
                .then_with(|| a.agent_id.cmp(&b.agent_id))
        });
        rows
    }
}
