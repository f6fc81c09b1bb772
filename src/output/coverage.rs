//! Sample coverage: how many of each agent's interactions in a week were selected for
//! QA review. Counted from the `sample.csv` audit trail (or straight from the
//! selections) and shown in the report next to the review target.

use super::OutputError;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// The share of each stratum QA staff review, shown as the target in the report
/// unless the run says otherwise.
pub const DEFAULT_SAMPLE_TARGET: f64 = 0.2;

/// One agent in one week: interactions seen and interactions sampled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SampleCoverage {
    pub agent_id: String,
    /// ISO week (`2026-W47`) or `unknown`, as in `sample.csv`.
    pub week: String,
    pub interactions: usize,
    pub sampled: usize,
}

impl SampleCoverage {
    /// sampled / interactions; `None` when there were no interactions.
    pub fn share(&self) -> Option<f64> {
        (self.interactions > 0).then(|| self.sampled as f64 / self.interactions as f64)
    }
}

/// Counts `(interaction_id, agent_id, week, selected)` rows per (agent, week). An id
/// listed twice in a stratum counts once, sampled if any of its rows says so. Rows
/// come back by agent, then week (`unknown` after the ISO weeks).
pub fn coverage_from_rows<I, S>(rows: I) -> Vec<SampleCoverage>
where
    I: IntoIterator<Item = (S, S, S, bool)>,
    S: AsRef<str>,
{
    #[derive(Default)]
    struct Seen {
        all: HashSet<String>,
        sampled: HashSet<String>,
    }
    let mut strata: BTreeMap<(String, String), Seen> = BTreeMap::new();
    for (id, agent, week, selected) in rows {
        let seen = strata
            .entry((agent.as_ref().to_string(), week.as_ref().to_string()))
            .or_default();
        let id = id.as_ref();
        seen.all.insert(id.to_string());
        if selected {
            seen.sampled.insert(id.to_string());
        }
    }
    strata
        .into_iter()
        .map(|((agent_id, week), seen)| SampleCoverage {
            agent_id,
            week,
            interactions: seen.all.len(),
            sampled: seen.sampled.len(),
        })
        .collect()
}

#[derive(Deserialize)]
struct Row {
    interaction_id: String,
    agent_id: String,
    week: String,
    #[serde(deserialize_with = "flag")]
    selected: bool,
}

/// `true`/`false` (any case) or `1`/`0`.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let s = String::deserialize(d)?;
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(serde::de::Error::custom(format!(
            "`selected` must be true/false or 1/0, not {s:?}"
        ))),
    }
}

/// Reads a `sample.csv` (columns interaction_id, agent_id, week, selected, rank, by
/// header name; other columns are ignored) and counts it per (agent, week).
pub fn sample_coverage_from_csv(path: &Path) -> Result<Vec<SampleCoverage>, OutputError> {
    let error = |source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = ::csv::Reader::from_path(path).map_err(error)?;
    let rows = reader
        .deserialize::<Row>()
        .collect::<Result<Vec<Row>, _>>()
        .map_err(error)?;
    Ok(coverage_from_rows(rows.into_iter().map(|r| {
        (r.interaction_id, r.agent_id, r.week, r.selected)
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_stratum_once_per_id() {
        let rows = [
            ("c1", "A01", "2026-W47", true),
            ("c2", "A01", "2026-W47", false),
            ("c2", "A01", "2026-W47", true),
            ("c3", "A01", "unknown", false),
            ("c4", "A00", "2026-W48", false),
        ];
        let got = coverage_from_rows(rows);
        let brief: Vec<(&str, &str, usize, usize)> = got
            .iter()
            .map(|c| {
                (
                    c.agent_id.as_str(),
                    c.week.as_str(),
                    c.interactions,
                    c.sampled,
                )
            })
            .collect();
        assert_eq!(
            brief,
            [
                ("A00", "2026-W48", 1, 0),
                ("A01", "2026-W47", 2, 2),
                ("A01", "unknown", 1, 0),
            ]
        );
        assert_eq!(got[1].share(), Some(1.0));
        let none = SampleCoverage {
            interactions: 0,
            ..got[0].clone()
        };
        assert_eq!(none.share(), None);
    }
}
