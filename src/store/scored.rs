//! Inputs scored in full: which interactions a chat log gave, in file order, when
//! every one of them was scored with one ruleset from one content of the file and
//! none of its lines was a problem. A rerun over the unchanged file then hands out
//! the stored results of these ids without reading the file again (the nightly
//! rerun over a large archive). The record is tied to the ruleset and to the
//! result hash (content, callqa's scoring, masking): anything else scans again.
//! The ids are recorded in parts (`scored_parts`) as the file is scored, and read
//! a part at a time; the record's row (`scored_inputs`) is written last, when the
//! whole file was scored, and its ids (from before parts) come first.

use super::packed::{unpack, Packed};
use super::{Store, StoreError};

impl Store {
    /// The first interaction ids of the input `path` (in file order and
    /// newline-joined; the rest are in its parts), when it was scored in full with
    /// `ruleset_sha256` under `result_hash`; `None` otherwise.
    pub fn scored_ids(
        &self,
        path: &str,
        ruleset_sha256: &str,
        result_hash: &str,
    ) -> Result<Option<String>, StoreError> {
        self.ids_row(
            "SELECT ids FROM scored_inputs
             WHERE path = ?1 AND ruleset_sha256 = ?2 AND result_hash = ?3",
            rusqlite::params![path, ruleset_sha256, result_hash],
        )
    }

    /// Records that `path` was scored in full: `ids` in file order, newline-joined
    /// (no id holds a newline), then those of its parts, with `ruleset_sha256`,
    /// under `result_hash`.
    pub fn scored_put(
        &mut self,
        path: &str,
        ruleset_sha256: &str,
        result_hash: &str,
        ids: &str,
    ) -> Result<(), StoreError> {
        let ids = Packed::text(ids);
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO scored_inputs (path, ruleset_sha256, result_hash, ids)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| {
                stmt.execute(rusqlite::params![
                    path,
                    ruleset_sha256,
                    result_hash,
                    ids.bytes()
                ])
            })
            .map(|_| ())
            .map_err(self.sql("record a scored input"))
    }

    /// Forgets that `path` was scored in full with `ruleset_sha256` (it is being
    /// scored again), with all its parts.
    pub fn scored_forget(&mut self, path: &str, ruleset_sha256: &str) -> Result<(), StoreError> {
        self.scored_forget_from(path, ruleset_sha256, 0)
    }

    /// [`Store::scored_forget`], keeping the parts before `part`.
    pub fn scored_forget_from(
        &mut self,
        path: &str,
        ruleset_sha256: &str,
        part: i64,
    ) -> Result<(), StoreError> {
        let what = "forget a scored input";
        self.conn
            .prepare_cached("DELETE FROM scored_inputs WHERE path = ?1 AND ruleset_sha256 = ?2")
            .and_then(|mut stmt| stmt.execute([path, ruleset_sha256]))
            .map_err(self.sql(what))?;
        self.conn
            .prepare_cached(
                "DELETE FROM scored_parts WHERE path = ?1 AND ruleset_sha256 = ?2 AND part >= ?3",
            )
            .and_then(|mut stmt| stmt.execute(rusqlite::params![path, ruleset_sha256, part]))
            .map(|_| ())
            .map_err(self.sql(what))
    }

    /// The number of parts of `path` recorded under `ruleset_sha256`.
    pub fn scored_parts(&self, path: &str, ruleset_sha256: &str) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM scored_parts WHERE path = ?1 AND ruleset_sha256 = ?2",
                [path, ruleset_sha256],
                |r| r.get(0),
            )
            .map_err(self.sql("read a scored input"))
    }

    /// The ids of part `part` of `path` (newline-joined); `None` when there is none.
    pub fn scored_part(
        &self,
        path: &str,
        ruleset_sha256: &str,
        part: i64,
    ) -> Result<Option<String>, StoreError> {
        self.ids_row(
            "SELECT ids FROM scored_parts WHERE path = ?1 AND ruleset_sha256 = ?2 AND part = ?3",
            rusqlite::params![path, ruleset_sha256, part],
        )
    }

    /// The packed ids in the first column of the first row `sql` selects, unpacked;
    /// `None` when it selects none.
    fn ids_row(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Option<String>, StoreError> {
        let what = "read a scored input";
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.sql(what))?;
        let mut rows = stmt.query(params).map_err(self.sql(what))?;
        let Some(row) = rows.next().map_err(self.sql(what))? else {
            return Ok(None);
        };
        unpack(
            row.get_ref(0).map_err(self.sql(what))?,
            &self.path,
            "scored input",
        )
        .map(Some)
    }

    /// Records part `part` of the ids of `path` (newline-joined, in file order),
    /// ahead of its [`Store::scored_put`].
    pub fn scored_part_put(
        &mut self,
        path: &str,
        ruleset_sha256: &str,
        part: i64,
        ids: &str,
    ) -> Result<(), StoreError> {
        let ids = Packed::text(ids);
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO scored_parts (path, ruleset_sha256, part, ids)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| {
                stmt.execute(rusqlite::params![path, ruleset_sha256, part, ids.bytes()])
            })
            .map(|_| ())
            .map_err(self.sql("record a scored input"))
    }
}
