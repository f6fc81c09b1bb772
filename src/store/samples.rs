//! Sample memberships: every interaction a sampling run has seen, in its stratum,
//! and whether it was selected. `selected` only ever goes from 0 to 1, in SQL, so no
//! run (or crash) can take a call away from a QA reviewer.

use super::{timestamp, Store, StoreError};
use chrono::{DateTime, Utc};

/// One agent in one ISO week: the unit a quota applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Stratum {
    pub agent_id: String,
    pub week: String,
}

/// The sampling decision for one interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub id: String,
    pub agent_id: String,
    pub week: String,
    pub selected: bool,
    /// Review order within the stratum, from 1: the selected interactions first,
    /// then the others, each by [`Selection::key`].
    pub rank: usize,
    /// The keyed hash of the id and the sample's seed; lower keys are selected
    /// first.
    pub key: u64,
}

/// An interaction recorded in a stratum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleMember {
    pub id: String,
    pub selected: bool,
    /// The keyed hash it had when last recorded (keys depend on the seed).
    pub key: u64,
}

impl Store {
    /// Every interaction recorded in `stratum`, ordered by id.
    pub fn sample_members(&self, stratum: &Stratum) -> Result<Vec<SampleMember>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT interaction_id, selected, rank FROM samples WHERE agent_id = ?1 AND week = ?2 ORDER BY interaction_id")
            .map_err(self.sql("read sample selections"))?;
        let rows = stmt
            .query_map([&stratum.agent_id, &stratum.week], |r| {
                // The column is named `rank` but holds the keyed hash.
                let key: String = r.get(2)?;
                Ok(SampleMember {
                    id: r.get(0)?,
                    selected: r.get::<_, i64>(1)? != 0,
                    key: key.parse().unwrap_or(u64::MAX),
                })
            })
            .map_err(self.sql("read sample selections"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.sql("read sample selections"))
    }

    /// The ids selected in `stratum`.
    pub fn sample_selected(&self, stratum: &Stratum) -> Result<Vec<String>, StoreError> {
        Ok(self
            .sample_members(stratum)?
            .into_iter()
            .filter(|m| m.selected)
            .map(|m| m.id)
            .collect())
    }

    /// Records a sampling outcome in one transaction. A selected interaction stays
    /// selected (and keeps its first `selected_at`) whatever later rows say.
    pub fn sample_record(
        &mut self,
        selections: &[Selection],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = timestamp(at);
        let path = self.path.clone();
        let fail = move |source| StoreError::Sql {
            path: path.clone(),
            what: "record sample selections",
            source,
        };
        // A savepoint: a transaction of its own, or part of the caller's.
        let tx = self.conn.savepoint().map_err(&fail)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO samples (interaction_id, agent_id, week, rank, selected, first_seen, selected_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?5 = 1 THEN ?6 END)
                     ON CONFLICT (interaction_id) DO UPDATE SET agent_id = excluded.agent_id, week = excluded.week,
                         rank = excluded.rank, selected = max(samples.selected, excluded.selected),
                         selected_at = COALESCE(samples.selected_at, excluded.selected_at)",
                )
                .map_err(&fail)?;
            for s in selections {
                stmt.execute(rusqlite::params![
                    s.id,
                    s.agent_id,
                    s.week,
                    s.key.to_string(),
                    i64::from(s.selected),
                    now
                ])
                .map_err(&fail)?;
            }
        }
        tx.commit().map_err(&fail)
    }
}
