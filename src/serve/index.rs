//! What the workbench keeps in memory: one small summary per interaction of the
//! latest ruleset's results (agent, week, score, violated rules), enough to list
//! and filter 200,000 interactions without reading the database on every request.
//! The full results line, verdicts and appeals are read from the database when one
//! interaction is opened. Built when the server starts.

use crate::aggregate::Week;
use crate::scan::result::InteractionResult;
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One interaction in the list.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub interaction_id: String,
    #[serde(skip)]
    pub source: String,
    pub kind: crate::interaction::InteractionKind,
    pub agent_id: String,
    pub started_at: Option<String>,
    pub week: String,
    pub score: u32,
    pub passed: bool,
    pub fatal: bool,
    /// Rule ids violated, in result order.
    pub violated: Vec<Arc<str>>,
}

impl Summary {
    /// `failed`, `deductions` (passed with deductions) or `clean`.
    pub fn status(&self) -> &'static str {
        if !self.passed {
            "failed"
        } else if !self.violated.is_empty() {
            "deductions"
        } else {
            "clean"
        }
    }
}

/// The summaries of the ruleset most recently scored with, by interaction id.
#[derive(Debug, Default)]
pub struct Index {
    pub ruleset_sha256: String,
    pub items: Vec<Summary>,
    by_id: HashMap<String, usize>,
    /// Interactions with a verdict / with an appeal (by index into `items`).
    pub reviewed: HashSet<usize>,
    pub appealed: HashSet<usize>,
}

impl Index {
    /// Reads the latest ruleset's results (and which interactions have verdicts or
    /// appeals) from `store`.
    pub fn load(store: &Store) -> Result<Index, StoreError> {
        let mut index = Index::default();
        let Some((sha, _, _)) = store.result_rulesets()?.into_iter().next() else {
            return Ok(index);
        };
        store.for_each_result_of_ruleset(&sha, |source, line| {
            // A line that does not read as a result is skipped; `db check` reports damage.
            if let Ok(r) = serde_json::from_str::<InteractionResult>(line) {
                index.push(source, r);
            }
            Ok::<(), StoreError>(())
        })?;
        index.ruleset_sha256 = sha;
        for v in store.all_verdicts()? {
            if let Some(i) = index.position(&v.interaction_id) {
                index.reviewed.insert(i);
            }
        }
        for a in store.all_appeals()? {
            if let Some(i) = index.position(&a.interaction_id) {
                index.appealed.insert(i);
            }
        }
        Ok(index)
    }

    fn push(&mut self, source: &str, r: InteractionResult) {
        if self.by_id.contains_key(&r.interaction_id) {
            return;
        }
        self.by_id
            .insert(r.interaction_id.clone(), self.items.len());
        self.items.push(Summary {
            week: Week::of(r.started_at.as_deref()).to_string(),
            violated: r.violations.iter().map(|v| v.rule_id.clone()).collect(),
            interaction_id: r.interaction_id,
            source: source.to_string(),
            kind: r.kind,
            agent_id: r.agent_id,
            started_at: r.started_at,
            score: r.score,
            passed: r.passed,
            fatal: r.fatal,
        });
    }

    /// The position of an interaction id.
    pub fn position(&self, interaction_id: &str) -> Option<usize> {
        self.by_id.get(interaction_id).copied()
    }

    pub fn get(&self, interaction_id: &str) -> Option<&Summary> {
        self.position(interaction_id).map(|i| &self.items[i])
    }
}

/// `GET /api/interactions` filters.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub agent: Option<String>,
    pub rule: Option<String>,
    pub week: Option<String>,
    /// failed | deductions | clean | reviewed | appealed
    pub status: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

/// Most interactions one page returns.
pub const MAX_PER_PAGE: usize = 500;

impl Filter {
    /// (page from 1, interactions per page) as asked, within limits.
    pub fn paging(&self, default_per_page: usize) -> (usize, usize) {
        let per_page = self
            .per_page
            .unwrap_or(default_per_page)
            .clamp(1, MAX_PER_PAGE);
        (self.page.unwrap_or(1).max(1), per_page)
    }
}

impl Index {
    /// The interactions `filter` selects, worst first (fatal, then lowest score, then
    /// id); `only_agent` restricts to one agent's own.
    pub fn select(&self, filter: &Filter, only_agent: Option<&str>) -> Vec<usize> {
        let mut out: Vec<usize> = (0..self.items.len())
            .filter(|&i| {
                let s = &self.items[i];
                only_agent.is_none_or(|a| s.agent_id == a)
                    && filter.agent.as_deref().is_none_or(|a| s.agent_id == a)
                    && filter.week.as_deref().is_none_or(|w| s.week == w)
                    && filter
                        .rule
                        .as_deref()
                        .is_none_or(|r| s.violated.iter().any(|v| &**v == r))
                    && match filter.status.as_deref() {
                        None | Some("") => true,
                        Some("reviewed") => self.reviewed.contains(&i),
                        Some("appealed") => self.appealed.contains(&i),
                        Some(st) => s.status() == st,
                    }
            })
            .collect();
        out.sort_by(|&a, &b| {
            let (x, y) = (&self.items[a], &self.items[b]);
            y.fatal
                .cmp(&x.fatal)
                .then(x.score.cmp(&y.score))
                .then_with(|| x.interaction_id.cmp(&y.interaction_id))
        });
        out
    }
}
