//! The inputs the last scan could not read, so that `callqa rescore` writes the same
//! error records into results.jsonl as the scan did (a rescore reads no inputs, and
//! dropping the records would hide that the archive has unreadable files).

use super::{Store, StoreError};

/// One unreadable input (or line), as results.jsonl records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProblem {
    pub source: String,
    pub error: String,
}

impl Store {
    /// Replaces the recorded problems with those of the run that just ended.
    pub fn problems_replace(&mut self, problems: &[StoredProblem]) -> Result<(), StoreError> {
        self.transaction(|store| {
            store
                .conn
                .execute("DELETE FROM input_problems", [])
                .map_err(store.sql("clear recorded input problems"))?;
            let mut insert = store
                .conn
                .prepare("INSERT INTO input_problems (seq, source, error) VALUES (?1, ?2, ?3)")
                .map_err(store.sql("record input problems"))?;
            for (seq, p) in problems.iter().enumerate() {
                insert
                    .execute(rusqlite::params![seq as i64, p.source, p.error])
                    .map_err(store.sql("record input problems"))?;
            }
            Ok(())
        })
    }

    /// The problems of the last scan, in their order.
    pub fn problems(&self) -> Result<Vec<StoredProblem>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, error FROM input_problems ORDER BY seq")
            .map_err(self.sql("read recorded input problems"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StoredProblem {
                    source: r.get(0)?,
                    error: r.get(1)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(self.sql("read recorded input problems"))?;
        Ok(rows)
    }
}
