//! What the workbench keeps in memory: one small summary per interaction of the
//! latest ruleset's results (agent, week, score, violated rules), enough to list
//! and filter 200,000 interactions without reading the database on every request.
//! The full results line, verdicts and appeals are read from the database when one
//! interaction is opened. Summaries are of the reviewed results (overturned and
//! false violations do not count, [`crate::scan::review`]) and keep the machine's
//! verdict beside them. Built when the server starts, again when a run has
//! recorded new results, and per interaction after each verdict or ruling.

use crate::aggregate::Week;
use crate::rules::Ruleset;
use crate::scan::result::InteractionResult;
use crate::scan::review::{apply, Review};
use crate::store::reviewed::Reviews;
use crate::store::reviews::Reviewed;
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
    /// Of those, the ones a reviewer added (the machine missed them).
    pub added: Vec<Arc<str>>,
    /// The machine's score and verdict, before review.
    pub machine_score: u32,
    pub machine_passed: bool,
    /// Every turn's text, one per line, for text search.
    #[serde(skip)]
    pub text: Box<str>,
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
    /// Interactions with a verdict / with an appeal / reviewed in full (by index
    /// into `items`).
    pub reviewed: HashSet<usize>,
    pub appealed: HashSet<usize>,
    pub full: HashSet<usize>,
    /// The ruleset the results were scored with, read from the database; `None`
    /// when it was not recorded there (review then changes no score).
    pub ruleset: Option<Arc<Ruleset>>,
    /// What the index was built from: results count and last recorded time.
    pub stamp: (u64, i64),
}

impl Index {
    /// Reads the latest ruleset's results (and which interactions have verdicts or
    /// appeals) from `store`.
    pub fn load(store: &Store) -> Result<Index, StoreError> {
        let mut index = Index {
            stamp: store.results_stamp()?,
            ..Index::default()
        };
        let Some((sha, _, _)) = store.result_rulesets()?.into_iter().next() else {
            return Ok(index);
        };
        index.ruleset = store.recorded_ruleset(&sha)?;
        let reviews = Reviews::load(store)?;
        store.for_each_result_of_ruleset(&sha, |source, line| {
            // A line that does not read as a result is skipped; `db check` reports damage.
            if let Ok(mut r) = serde_json::from_str::<InteractionResult>(line) {
                if let (Some(rs), Some(review)) =
                    (&index.ruleset, reviews.of(&r.interaction_id, source))
                {
                    apply(&mut r, rs, review);
                }
                index.push(source, r);
            }
            Ok::<(), StoreError>(())
        })?;
        index.ruleset_sha256 = sha;
        for (id, source) in store.full_reviews()? {
            if let Some(i) = index
                .position(&id)
                .filter(|&i| index.items[i].source == source)
            {
                index.full.insert(i);
                index.reviewed.insert(i);
            }
        }
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
        self.items.push(summary(source, r));
    }

    /// The result of interaction `i` as review now has it (the machine's stored
    /// result with `review` applied); `None` when it is not in the store.
    pub fn reviewed_result(
        &self,
        store: &Store,
        i: usize,
        review: &Review,
    ) -> Result<Option<InteractionResult>, StoreError> {
        let s = &self.items[i];
        let Some(line) = store.result_line(&s.interaction_id, &s.source, &self.ruleset_sha256)?
        else {
            return Ok(None);
        };
        let Ok(mut r) = serde_json::from_str::<InteractionResult>(&line) else {
            return Ok(None);
        };
        if let Some(rs) = &self.ruleset {
            apply(&mut r, rs, review);
        }
        Ok(Some(r))
    }

    /// Builds interaction `id`'s summary again from the store (after a verdict or
    /// a ruling changed what counts).
    pub fn refresh(&mut self, store: &Store, id: &str) -> Result<(), StoreError> {
        let Some(i) = self.position(id) else {
            return Ok(());
        };
        let source = self.items[i].source.clone();
        let review = store.review_of(Reviewed {
            interaction_id: id,
            source: &source,
        })?;
        if let Some(r) = self.reviewed_result(store, i, &review)? {
            self.items[i] = summary(&source, r);
        }
        Ok(())
    }

    /// The position of an interaction id.
    pub fn position(&self, interaction_id: &str) -> Option<usize> {
        self.by_id.get(interaction_id).copied()
    }

    pub fn get(&self, interaction_id: &str) -> Option<&Summary> {
        self.position(interaction_id).map(|i| &self.items[i])
    }
}

/// The list entry of a (reviewed) result.
fn summary(source: &str, r: InteractionResult) -> Summary {
    let (machine_score, machine_passed) = r
        .review
        .as_ref()
        .map_or((r.score, r.passed), |e| (e.machine_score, e.machine_passed));
    let mut text = String::new();
    for t in &r.turns {
        text.push_str(&t.text);
        text.push('\n');
    }
    Summary {
        week: Week::of(r.started_at.as_deref()).to_string(),
        violated: r.violations.iter().map(|v| v.rule_id.clone()).collect(),
        added: r
            .violations
            .iter()
            .filter(|v| v.added_by_verdict.is_some())
            .map(|v| v.rule_id.clone())
            .collect(),
        machine_score,
        machine_passed,
        text: text.into(),
        interaction_id: r.interaction_id,
        source: source.to_string(),
        kind: r.kind,
        agent_id: r.agent_id,
        started_at: r.started_at,
        score: r.score,
        passed: r.passed,
        fatal: r.fatal,
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
    /// Words the conversation contains (as written, case-sensitive).
    pub q: Option<String>,
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
                    && filter
                        .agent
                        .as_deref()
                        .is_none_or(|a| a.is_empty() || s.agent_id == a)
                    && filter
                        .week
                        .as_deref()
                        .is_none_or(|w| w.is_empty() || s.week == w)
                    && filter
                        .q
                        .as_deref()
                        .is_none_or(|q| q.is_empty() || s.text.contains(q))
                    && filter
                        .rule
                        .as_deref()
                        .is_none_or(|r| r.is_empty() || s.violated.iter().any(|v| &**v == r))
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
