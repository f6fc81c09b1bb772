//! Scanned interactions, kept so that `callqa rescore` can apply a new ruleset to the
//! whole archive without reading or transcribing anything again. The stored form
//! holds every field of [`Interaction`], so the rebuilt interaction is equal to the
//! one first scanned and scores identically (the stored JSON is [`Interaction`]'s own
//! serde form, packed: [`super::packed`]). Texts are stored as scanned: with
//! customers' numbers masked unless the run was told `--no-redact`.

use super::packed::{join, unpack, Ends, PackedTurns, Split};
use super::{timestamp, Store, StoreError};
use crate::interaction::Interaction;
use rusqlite::types::ValueRef;

impl Store {
    /// Stores (or replaces) an interaction read from the input with hash `input_hash`.
    pub fn interaction_put(
        &mut self,
        interaction: &Interaction,
        input_hash: &str,
    ) -> Result<(), StoreError> {
        let body = split_body(interaction)?;
        self.interaction_put_packed(&interaction.id, &interaction.source, input_hash, &body)
    }

    /// [`Store::interaction_put`] with the body already packed.
    pub fn interaction_put_packed(
        &mut self,
        interaction_id: &str,
        source: &str,
        input_hash: &str,
        body: &Split,
    ) -> Result<(), StoreError> {
        if let Some(turns) = &body.turns {
            self.turns_put(turns)?;
        }
        self.conn
            .prepare_cached(
                "INSERT INTO interactions (interaction_id, source, input_hash, body, updated_at, turns) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (interaction_id, source) DO UPDATE SET input_hash = excluded.input_hash,
                     body = excluded.body, updated_at = excluded.updated_at, turns = excluded.turns
                 WHERE interactions.body IS NOT excluded.body OR interactions.input_hash IS NOT excluded.input_hash
                     OR interactions.turns IS NOT excluded.turns",
            )
            .and_then(|mut stmt| {
                stmt.execute(rusqlite::params![
                    interaction_id,
                    source,
                    input_hash,
                    body.body.bytes(),
                    timestamp(chrono::Utc::now()),
                    body.turns_hash()
                ])
            })
            .map(|_| ())
            .map_err(self.sql("store an interaction"))
    }

    /// The interaction stored in column `i` of `row`, its turns (when stored apart)
    /// in column `i + 1`.
    fn interaction_of(&self, row: &rusqlite::Row<'_>, i: usize) -> Result<Interaction, StoreError> {
        let what = "stored interaction";
        let get = |i| row.get_ref(i).map_err(self.sql("read stored interactions"));
        let bare = unpack(get(i)?, &self.path, what)?;
        let turns = match get(i + 1)? {
            ValueRef::Null => None,
            value => Some(unpack(value, &self.path, what)?),
        };
        let body = join(bare, turns, Ends::Body, &self.path, what)?;
        let stored: Interaction = serde_json::from_str(&body).map_err(self.corrupt(what))?;
        Ok(stored)
    }

    /// Every stored interaction, ordered by (source, interaction_id), handed to `f`
    /// one at a time (memory stays bounded). `f` may stop the walk with an error.
    pub fn for_each_interaction<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(Interaction) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT i.body, coalesce(t.body, CASE WHEN i.turns IS NOT NULL THEN X'00' END) FROM interactions i LEFT JOIN turns t ON t.hash = i.turns
                 ORDER BY i.source, i.interaction_id",
            )
            .map_err(self.sql("read stored interactions"))?;
        let mut rows = stmt
            .query([])
            .map_err(self.sql("read stored interactions"))?;
        while let Some(row) = rows.next().map_err(self.sql("read stored interactions"))? {
            f(self.interaction_of(row, 0)?)?;
        }
        Ok(())
    }

    /// Every stored interaction, ordered by (source, interaction_id).
    pub fn all_interactions(&self) -> Result<Vec<Interaction>, StoreError> {
        let mut out = Vec::new();
        self.for_each_interaction(|i| {
            out.push(i);
            Ok::<(), StoreError>(())
        })?;
        Ok(out)
    }

    /// Up to `limit` stored interactions after `after` = (source, interaction_id)
    /// (from the start when `None`), ordered by (source, interaction_id), each with
    /// the hash of the input it was read from. `callqa rescore` walks the archive
    /// page by page with it, keeping memory bounded and no read open while it writes.
    pub fn interactions_page(
        &self,
        after: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<(Interaction, String)>, StoreError> {
        let what = "read stored interactions";
        let (source, id) = after.unwrap_or_default();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT i.body, coalesce(t.body, CASE WHEN i.turns IS NOT NULL THEN X'00' END), i.input_hash FROM interactions i LEFT JOIN turns t ON t.hash = i.turns
                 WHERE ?1 = 0 OR (i.source, i.interaction_id) > (?2, ?3)
                 ORDER BY i.source, i.interaction_id LIMIT ?4",
            )
            .map_err(self.sql(what))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt
            .query(rusqlite::params![after.is_some(), source, id, limit])
            .map_err(self.sql(what))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(self.sql(what))? {
            let stored = self.interaction_of(row, 0)?;
            let hash: String = row.get(2).map_err(self.sql(what))?;
            out.push((stored, hash));
        }
        Ok(out)
    }

    /// Number of stored interactions.
    pub fn interaction_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM interactions", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(self.sql("count interactions"))
    }
}

/// The stored form of `interaction`: its body packed, its turns apart.
pub(crate) fn split_body(interaction: &Interaction) -> Result<Split, StoreError> {
    let encode = |source| StoreError::Encode {
        what: "an interaction",
        source,
    };
    let body = serde_json::to_string(interaction).map_err(encode)?;
    let turns = serde_json::to_string(&interaction.turns).map_err(encode)?;
    Ok(Split::body(&body, PackedTurns::of_json(&turns), &turns))
}
