//! Inputs scored in full: which interactions a chat log gave, in file order, when
//! every one of them was scored with one ruleset from one content of the file and
//! none of its lines was a problem. A rerun over the unchanged file then hands out
//! the stored results of these ids without reading the file again (the nightly
//! rerun over a large archive). The record is tied to the ruleset and to the
//! result hash (content, callqa's scoring, masking): anything else scans again.

use super::packed::{unpack, Packed};
use super::{Store, StoreError};

impl Store {
    /// The interaction ids of the input `path`, in file order and newline-joined,
    /// when it was scored in full with `ruleset_sha256` under `result_hash`; `None`
    /// otherwise.
    pub fn scored_ids(
        &self,
        path: &str,
        ruleset_sha256: &str,
        result_hash: &str,
    ) -> Result<Option<String>, StoreError> {
        let what = "read a scored input";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT ids FROM scored_inputs
                 WHERE path = ?1 AND ruleset_sha256 = ?2 AND result_hash = ?3",
            )
            .map_err(self.sql(what))?;
        let mut rows = stmt
            .query([path, ruleset_sha256, result_hash])
            .map_err(self.sql(what))?;
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

    /// Records that `path` was scored in full: `ids` in file order, newline-joined
    /// (no id holds a newline), with `ruleset_sha256`, under `result_hash`.
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
    /// scored again).
    pub fn scored_forget(&mut self, path: &str, ruleset_sha256: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM scored_inputs WHERE path = ?1 AND ruleset_sha256 = ?2")
            .and_then(|mut stmt| stmt.execute([path, ruleset_sha256]))
            .map(|_| ())
            .map_err(self.sql("forget a scored input"))
    }
}
