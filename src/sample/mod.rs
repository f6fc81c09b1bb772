//! Stratified sampling for QA review: per agent and ISO week (a *stratum*), select
//! `ceil(rate x n)` interactions, at least one when the stratum has any. Which ones is
//! decided by a keyed hash of the interaction id ([`rank`]), so a rerun with the same
//! seed selects the same set, and nobody can steer a call into or out of the sample.
//!
//! Selections are remembered in the state store: when more interactions of a week
//! arrive later, the stratum is topped up to its new quota with the lowest-ranked
//! unselected ones, and an interaction once selected is never dropped (a QA reviewer
//! may already be listening to it). [`select`] is the pure rule; [`plan`] applies it
//! with the store; [`csv`] writes the `sample.csv` audit trail.

pub mod csv;
mod error;
mod rank;

pub use error::SampleError;
pub use rank::{rank, seed_key};

use crate::aggregate::Week;
use crate::interaction::Interaction;
use crate::store::Store;
use std::collections::{BTreeMap, HashSet};

/// Tolerance under which `rate x n` counts as a whole number, so that float noise
/// (0.7 x 10 = 7.000000000000001) does not round the quota up.
const QUOTA_EPSILON: f64 = 1e-9;

/// An interaction that may be sampled.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SampleItem {
    pub id: String,
    pub agent_id: String,
    /// ISO week (`2026-W47`) of the start time, or `unknown`.
    pub week: String,
}

impl SampleItem {
    pub fn new(
        id: impl Into<String>,
        agent_id: impl Into<String>,
        week: impl Into<String>,
    ) -> Self {
        SampleItem {
            id: id.into(),
            agent_id: agent_id.into(),
            week: week.into(),
        }
    }

    /// The item for an interaction: its id, agent and the ISO week of its start time
    /// in the timestamp's own offset (the same week the aggregates use).
    pub fn of(interaction: &Interaction) -> Self {
        let started = interaction.started_at.map(|t| t.to_rfc3339());
        SampleItem {
            id: interaction.id.clone(),
            agent_id: interaction.agent_id.clone(),
            week: Week::of(started.as_deref()).to_string(),
        }
    }

    pub fn stratum(&self) -> Stratum {
        Stratum {
            agent_id: self.agent_id.clone(),
            week: self.week.clone(),
        }
    }
}

pub use crate::store::samples::{Selection, Stratum};

/// The quota of a stratum of `n` interactions: `ceil(rate x n)`, at least 1 when
/// `n > 0`, at most `n`.
pub fn quota(rate: f64, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let q = (rate * n as f64 - QUOTA_EPSILON).ceil();
    (q.max(1.0) as usize).min(n)
}

/// Checks a sampling rate: a fraction in (0, 1].
pub fn check_rate(rate: f64) -> Result<f64, SampleError> {
    if rate.is_finite() && rate > 0.0 && rate <= 1.0 {
        Ok(rate)
    } else {
        Err(SampleError::Rate { rate })
    }
}

/// Selects per stratum. Every id in `previously` (selected by an earlier run) that
/// is among `items` stays selected; then the lowest-ranked unselected items are
/// added until the stratum holds its quota. A stratum whose earlier selections exceed
/// the new quota keeps them all (nothing is dropped). Ids in `previously` that are not
/// among `items` are ignored: a caller that wants earlier interactions counted in `n`
/// passes them in `items` (see [`plan`]).
///
/// Items are de-duplicated by id (the first occurrence wins). Each selection's
/// `rank` is its review order in the stratum, from 1: the selected ones first, then
/// the others, each part by keyed hash (`key`), then id. The result is ordered by
/// (agent_id, week, rank) and does not depend on the order of `items`.
pub fn select(
    items: &[SampleItem],
    rate: f64,
    seed: u64,
    previously: &HashSet<String>,
) -> Result<Vec<Selection>, SampleError> {
    let rate = check_rate(rate)?;
    let key = seed_key(seed);
    let mut seen = HashSet::new();
    let mut strata: BTreeMap<Stratum, Vec<Selection>> = BTreeMap::new();
    for item in items {
        if !seen.insert(item.id.as_str()) {
            continue;
        }
        strata.entry(item.stratum()).or_default().push(Selection {
            id: item.id.clone(),
            agent_id: item.agent_id.clone(),
            week: item.week.clone(),
            selected: previously.contains(&item.id),
            rank: 0,
            key: rank(&key, &item.id),
        });
    }
    let mut out = Vec::with_capacity(seen.len());
    for (_, mut members) in strata {
        members.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.id.cmp(&b.id)));
        let want = quota(rate, members.len());
        let mut have = members.iter().filter(|m| m.selected).count();
        for m in members.iter_mut() {
            if have >= want {
                break;
            }
            if !m.selected {
                m.selected = true;
                have += 1;
            }
        }
        // Review order: the selected first (an earlier selection may have a higher
        // key than an unselected newcomer), each part by key.
        members.sort_by_key(|m| !m.selected);
        for (i, m) in members.iter_mut().enumerate() {
            m.rank = i + 1;
        }
        out.extend(members);
    }
    Ok(out)
}

/// Sampling with memory: loads what earlier runs saw and selected in the strata of
/// `items` from `store`, selects over the union (so `n` counts earlier interactions
/// too and earlier selections are kept), records the outcome, and returns the
/// selection of the whole union (earlier interactions not in `items` included, for the
/// audit trail). An interaction is keyed by id alone: one seen before under another
/// agent or week counts in the stratum `items` gives it now.
///
/// The store write is one transaction: a run killed before it selected nothing, and
/// a rerun selects the same set.
pub fn plan(
    store: &mut Store,
    items: &[SampleItem],
    rate: f64,
    seed: u64,
) -> Result<Vec<Selection>, SampleError> {
    let selections = preview(store, items, rate, seed)?;
    store.sample_record(&selections, chrono::Utc::now())?;
    Ok(selections)
}

/// What [`plan`] would select, without recording it (`callqa sample`; works on a
/// store opened read-only).
pub fn preview(
    store: &Store,
    items: &[SampleItem],
    rate: f64,
    seed: u64,
) -> Result<Vec<Selection>, SampleError> {
    check_rate(rate)?;
    let current: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let mut strata: Vec<Stratum> = items
        .iter()
        .map(SampleItem::stratum)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    strata.sort();
    let mut all: Vec<SampleItem> = items.to_vec();
    let mut previously = HashSet::new();
    for stratum in &strata {
        for member in store.sample_members(stratum)? {
            if member.selected {
                previously.insert(member.id.clone());
            }
            if !current.contains(member.id.as_str()) {
                all.push(SampleItem {
                    id: member.id,
                    agent_id: stratum.agent_id.clone(),
                    week: stratum.week.clone(),
                });
            }
        }
    }
    select(&all, rate, seed, &previously)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_selection_ranks_before_an_unselected_lower_key() {
        let items = [
            SampleItem::new("c-1", "a", "2026-W47"),
            SampleItem::new("c-2", "a", "2026-W47"),
        ];
        let key = seed_key(0);
        let (low, high) = if rank(&key, "c-1") < rank(&key, "c-2") {
            ("c-1", "c-2")
        } else {
            ("c-2", "c-1")
        };
        // A rate of 0.5 selects one of the two; an earlier run selected `high`.
        let sel = select(&items, 0.5, 0, &HashSet::from([high.to_string()])).unwrap();
        let order: Vec<(&str, bool, usize)> = sel
            .iter()
            .map(|s| (s.id.as_str(), s.selected, s.rank))
            .collect();
        assert_eq!(order, [(high, true, 1), (low, false, 2)]);
        let fresh = select(&items, 0.5, 0, &HashSet::new()).unwrap();
        assert_eq!((fresh[0].id.as_str(), fresh[0].rank), (low, 1));
    }
}
