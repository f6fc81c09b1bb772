//! Scored results, one row per (interaction, source, ruleset): the `results.jsonl`
//! line exactly as written (packed, [`super::packed`]), the hash of the input it came from, and when it was
//! recorded. Re-recording an identical line keeps its first `recorded_at`, so a rerun
//! after a crash neither duplicates a result nor makes `export --since` send it again;
//! a changed line (new input content) is re-recorded with the new time.

use super::packed::{join, join_ref, unpack, Ends, Packed, PackedTurns, Split};
use super::{timestamp, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::types::{Value, ValueRef};
use std::path::Path;

/// What a stored result is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultKey<'a> {
    pub interaction_id: &'a str,
    pub source: &'a str,
    /// `RulesetId::sha256` of the ruleset it was scored with.
    pub ruleset_sha256: &'a str,
}

/// A stored result line as read from the database, still packed
/// ([`Store::result_get_packed`]).
#[derive(Debug, Clone)]
pub struct PackedLine {
    bare: Value,
    turns: Option<Value>,
}

/// A stored result line unpacked: as written, and with `"turns":[]` in place of its
/// turns (the same text when they were stored with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackedLine {
    pub line: String,
    pub bare: String,
}

impl PackedLine {
    /// Unpacks the line (`path`: the database, for errors).
    pub fn unpack(&self, path: &Path) -> Result<UnpackedLine, StoreError> {
        let what = "result line";
        let bare = unpack(ValueRef::from(&self.bare), path, what)?;
        let Some(turns) = &self.turns else {
            return Ok(UnpackedLine {
                line: bare.clone(),
                bare,
            });
        };
        let turns = unpack(ValueRef::from(turns), path, "stored turns")?;
        let line = join_ref(&bare, Some(&turns), Ends::Line, path, what)?;
        Ok(UnpackedLine { line, bare })
    }
}

/// A stored result line with its key and the time it was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResult {
    pub interaction_id: String,
    pub source: String,
    pub ruleset_sha256: String,
    /// The results.jsonl line, without the newline.
    pub line: String,
    /// RFC 3339, UTC, microseconds.
    pub recorded_at: String,
}

/// Microseconds since the epoch, rounded up: a stored time `t` (whole microseconds)
/// is at or after `since` exactly when `t >= micros_ceil(since)`.
pub(crate) fn micros_ceil(t: DateTime<Utc>) -> i64 {
    let us = t.timestamp_micros();
    if t.timestamp_subsec_nanos() % 1000 == 0 {
        us
    } else {
        us + 1
    }
}

impl Store {
    /// The stored line for `key`, when it was scored from an input with `input_hash`
    /// (a result of older content of the input does not count).
    pub fn result_get(
        &self,
        key: &ResultKey<'_>,
        input_hash: &str,
    ) -> Result<Option<String>, StoreError> {
        self.result_get_packed(key, input_hash)?
            .map(|packed| packed.unpack(&self.path).map(|u| u.line))
            .transpose()
    }

    /// [`Store::result_get`] as stored, to be unpacked elsewhere (on another
    /// thread): the packed line and, when stored apart, its packed turns.
    pub fn result_get_packed(
        &self,
        key: &ResultKey<'_>,
        input_hash: &str,
    ) -> Result<Option<PackedLine>, StoreError> {
        let what = "read a stored result";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT line, turns FROM results
                 WHERE interaction_id = ?1 AND source = ?2 AND ruleset_sha256 = ?3 AND input_hash = ?4",
            )
            .map_err(self.sql(what))?;
        let mut rows = stmt
            .query([
                key.interaction_id,
                key.source,
                key.ruleset_sha256,
                input_hash,
            ])
            .map_err(self.sql(what))?;
        let Some(row) = rows.next().map_err(self.sql(what))? else {
            return Ok(None);
        };
        let bare: Value = row.get(0).map_err(self.sql(what))?;
        let turns = match row.get_ref(1).map_err(self.sql(what))? {
            ValueRef::Blob(hash) => Some(self.turns_get_packed(hash)?),
            _ => None,
        };
        Ok(Some(PackedLine { bare, turns }))
    }

    /// The turns stored under `hash`, packed.
    fn turns_get_packed(&self, hash: &[u8]) -> Result<Value, StoreError> {
        let what = "read stored turns";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM turns WHERE hash = ?1")
            .map_err(self.sql(what))?;
        let mut rows = stmt.query([hash]).map_err(self.sql(what))?;
        match rows.next().map_err(self.sql(what))? {
            Some(row) => row.get(0).map_err(self.sql(what)),
            None => Err(StoreError::Unpack {
                path: self.path.clone(),
                what: "result line",
                detail: "its turns are not in the database".into(),
            }),
        }
    }

    /// The text of a stored line: column `i` of `row`, its turns (when stored apart)
    /// column `i + 1`.
    pub(crate) fn line_of(&self, row: &rusqlite::Row<'_>, i: usize) -> Result<String, StoreError> {
        let what = "result line";
        let get = |i| row.get_ref(i).map_err(self.sql("read stored results"));
        let bare = unpack(get(i)?, &self.path, what)?;
        let turns = match get(i + 1)? {
            rusqlite::types::ValueRef::Null => None,
            value => Some(unpack(value, &self.path, what)?),
        };
        join(bare, turns, Ends::Line, &self.path, what)
    }

    /// Records a result line (now).
    pub fn result_put(
        &mut self,
        key: &ResultKey<'_>,
        input_hash: &str,
        line: &str,
    ) -> Result<(), StoreError> {
        self.result_put_at(key, input_hash, line, Utc::now())
    }

    /// Records a result line as of `at` (stored to the microsecond). Idempotent: the
    /// same line again changes nothing, not even the recorded time.
    pub fn result_put_at(
        &mut self,
        key: &ResultKey<'_>,
        input_hash: &str,
        line: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let line = Split {
            body: Packed::text(line.trim_end_matches(['\n', '\r'])),
            turns: None,
        };
        self.result_put_packed(key, input_hash, &line, at)
    }

    /// [`Store::result_put_at`] with the line already packed (packing is then done
    /// on the scanning threads, not under the transaction).
    pub fn result_put_packed(
        &mut self,
        key: &ResultKey<'_>,
        input_hash: &str,
        line: &Split,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let Some(turns) = &line.turns {
            self.turns_put(turns)?;
        }
        self.conn
            .prepare_cached(
                "INSERT INTO results (interaction_id, source, ruleset_sha256, input_hash, line, recorded_at, recorded_us, turns)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (interaction_id, source, ruleset_sha256) DO UPDATE SET input_hash = excluded.input_hash,
                     line = excluded.line, recorded_at = excluded.recorded_at, recorded_us = excluded.recorded_us,
                     turns = excluded.turns
                 WHERE results.line IS NOT excluded.line OR results.input_hash IS NOT excluded.input_hash
                     OR results.turns IS NOT excluded.turns",
            )
            .and_then(|mut stmt| {
                stmt.execute(rusqlite::params![
                    key.interaction_id,
                    key.source,
                    key.ruleset_sha256,
                    input_hash,
                    line.body.bytes(),
                    timestamp(at),
                    at.timestamp_micros(),
                    line.turns_hash()
                ])
            })
            .map(|_| ())
            .map_err(self.sql("store a result"))
    }

    /// Hands every result recorded at or after `since` (all when `None`) to `f`, in
    /// the order (recorded_at, interaction_id, source, ruleset_sha256). `since` is
    /// inclusive to the microsecond.
    pub fn for_each_result_since<E: From<StoreError>>(
        &self,
        since: Option<DateTime<Utc>>,
        mut f: impl FnMut(StoredResult) -> Result<(), E>,
    ) -> Result<(), E> {
        let from = since.map_or(i64::MIN, micros_ceil);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.line, coalesce(t.body, CASE WHEN r.turns IS NOT NULL THEN X'00' END), r.recorded_at, r.interaction_id, r.source, r.ruleset_sha256
                 FROM results r LEFT JOIN turns t ON t.hash = r.turns WHERE r.recorded_us >= ?1
                 ORDER BY r.recorded_us, r.interaction_id, r.source, r.ruleset_sha256",
            )
            .map_err(self.sql("read stored results"))?;
        let mut rows = stmt
            .query([from])
            .map_err(self.sql("read stored results"))?;
        while let Some(row) = rows.next().map_err(self.sql("read stored results"))? {
            let stored = StoredResult {
                line: self.line_of(row, 0)?,
                recorded_at: row.get(2).map_err(self.sql("read stored results"))?,
                interaction_id: row.get(3).map_err(self.sql("read stored results"))?,
                source: row.get(4).map_err(self.sql("read stored results"))?,
                ruleset_sha256: row.get(5).map_err(self.sql("read stored results"))?,
            };
            f(stored)?;
        }
        Ok(())
    }

    /// Every result recorded at or after `since`, in export order.
    pub fn results_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredResult>, StoreError> {
        let mut out = Vec::new();
        self.for_each_result_since(since, |r| {
            out.push(r);
            Ok::<(), StoreError>(())
        })?;
        Ok(out)
    }

    /// The rulesets results were stored with: (sha256, result count, latest
    /// recorded_at), most recently used first. `callqa rescore` takes the first one
    /// that is not the new ruleset as "old" for its per-rule comparison.
    pub fn result_rulesets(&self) -> Result<Vec<(String, u64, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT ruleset_sha256, count(*), max(recorded_at) FROM results
                 GROUP BY ruleset_sha256 ORDER BY max(recorded_us) DESC, ruleset_sha256",
            )
            .map_err(self.sql("list rulesets of stored results"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get(2)?))
            })
            .map_err(self.sql("list rulesets of stored results"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.sql("list rulesets of stored results"))
    }

    /// The result lines stored for one ruleset, ordered by (source, interaction_id).
    pub fn results_of_ruleset(&self, ruleset_sha256: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.line, coalesce(t.body, CASE WHEN r.turns IS NOT NULL THEN X'00' END) FROM results r LEFT JOIN turns t ON t.hash = r.turns
                 WHERE r.ruleset_sha256 = ?1 ORDER BY r.source, r.interaction_id",
            )
            .map_err(self.sql("read stored results"))?;
        let mut rows = stmt
            .query([ruleset_sha256])
            .map_err(self.sql("read stored results"))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(self.sql("read stored results"))? {
            out.push(self.line_of(row, 0)?);
        }
        Ok(out)
    }

    /// Hands every (source, line) stored for one ruleset to `f`, in (source,
    /// interaction_id) order, without holding them all.
    pub fn for_each_result_of_ruleset<E: From<StoreError>>(
        &self,
        ruleset_sha256: &str,
        mut f: impl FnMut(&str, &str) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.source, r.line, coalesce(t.body, CASE WHEN r.turns IS NOT NULL THEN X'00' END) FROM results r LEFT JOIN turns t ON t.hash = r.turns
                 WHERE r.ruleset_sha256 = ?1 ORDER BY r.source, r.interaction_id",
            )
            .map_err(self.sql("read stored results"))?;
        let mut rows = stmt
            .query([ruleset_sha256])
            .map_err(self.sql("read stored results"))?;
        while let Some(row) = rows.next().map_err(self.sql("read stored results"))? {
            let source: String = row.get(0).map_err(self.sql("read stored results"))?;
            let line = self.line_of(row, 1)?;
            f(&source, &line)?;
        }
        Ok(())
    }

    /// (number of stored results, last recorded time in microseconds): changes
    /// whenever a run records a new or changed result.
    pub fn results_stamp(&self) -> Result<(u64, i64), StoreError> {
        self.conn
            .query_row(
                "SELECT count(*), coalesce(max(recorded_us), 0) FROM results",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )
            .map_err(self.sql("read the results' stamp"))
    }

    /// The stored line of one interaction under one ruleset.
    pub fn result_line(
        &self,
        interaction_id: &str,
        source: &str,
        ruleset_sha256: &str,
    ) -> Result<Option<String>, StoreError> {
        let what = "read a stored result";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.line, coalesce(t.body, CASE WHEN r.turns IS NOT NULL THEN X'00' END) FROM results r LEFT JOIN turns t ON t.hash = r.turns
                 WHERE r.interaction_id = ?1 AND r.source = ?2 AND r.ruleset_sha256 = ?3",
            )
            .map_err(self.sql(what))?;
        let mut rows = stmt
            .query([interaction_id, source, ruleset_sha256])
            .map_err(self.sql(what))?;
        match rows.next().map_err(self.sql(what))? {
            Some(row) => self.line_of(row, 0).map(Some),
            None => Ok(None),
        }
    }

    /// Stores turns under their hash (once: the same turns again change nothing).
    pub fn turns_put(&mut self, turns: &PackedTurns) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO turns (hash, body) VALUES (?1, ?2)")
            .and_then(|mut stmt| {
                stmt.execute(rusqlite::params![&turns.hash[..], turns.body.bytes()])
            })
            .map(|_| ())
            .map_err(self.sql("store turns"))
    }

    /// Number of stored results.
    pub fn result_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM results", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.sql("count results"))
    }
}
