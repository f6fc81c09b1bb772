//! Review applied to results as they leave the store: every output, aggregate,
//! export and workbench page shows a result with what reviewers and leads decided
//! ([`crate::scan::review`]), while the database keeps the machine's results. A
//! result is scored again with the ruleset it was scored with, read from the
//! database by its sha256 (runs record their rule text there).

use super::{Store, StoreError, StoredResult};
use crate::rules::Ruleset;
use crate::scan::result::InteractionResult;
use crate::scan::review::{apply, Review};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Every interaction's review records, and the rulesets to score them with.
#[derive(Default)]
pub struct Reviews {
    /// By source, then interaction id (looked up without building a key, since
    /// every result of a run is looked up).
    by_source: HashMap<String, HashMap<String, Review>>,
    /// By sha256; `None` when the database has no readable rule text for it.
    rulesets: HashMap<String, Option<Arc<Ruleset>>>,
}

impl Store {
    /// The ruleset `sha256` as the database recorded its text; `None` when it is
    /// not recorded (results of a callqa before migration 5) or does not compile
    /// to the same sha256.
    pub fn recorded_ruleset(&self, sha256: &str) -> Result<Option<Arc<Ruleset>>, StoreError> {
        Ok(self.ruleset_text(sha256)?.and_then(|text| {
            Ruleset::from_sources(&[(PathBuf::from("ruleset.toml"), text)])
                .ok()
                .filter(|rs| &*rs.sha256 == sha256)
                .map(Arc::new)
        }))
    }
}

impl Reviews {
    /// The review records in `store`.
    pub fn load(store: &Store) -> Result<Reviews, StoreError> {
        let mut by_source: HashMap<String, HashMap<String, Review>> = HashMap::new();
        for ((id, source), review) in store.reviews()? {
            by_source.entry(source).or_default().insert(id, review);
        }
        Ok(Reviews {
            by_source,
            rulesets: HashMap::new(),
        })
    }

    /// The records of one interaction, when it has any that change its result.
    pub fn of(&self, interaction_id: &str, source: &str) -> Option<&Review> {
        self.by_source.get(source)?.get(interaction_id)
    }

    /// Applies the records of `r`'s interaction to it, scoring with `ruleset`
    /// (the one `r` was scored with: a run has it loaded already).
    pub fn apply_with(&self, r: &mut InteractionResult, ruleset: &Ruleset) {
        if let Some(review) = self.of(&r.interaction_id, &r.source) {
            apply(r, ruleset, review);
        }
    }

    /// Applies the records of `r`'s interaction to it. Returns false when it has
    /// records but its ruleset's text is not in the database (results written
    /// before callqa recorded rule texts; scan or rescore again): it is then left
    /// as the machine scored it.
    pub fn apply(&mut self, store: &Store, r: &mut InteractionResult) -> Result<bool, StoreError> {
        let Some(review) = self
            .by_source
            .get(&r.source)
            .and_then(|m| m.get(&r.interaction_id))
        else {
            return Ok(true);
        };
        let sha = &*r.ruleset.sha256;
        if !self.rulesets.contains_key(sha) {
            let loaded = store.recorded_ruleset(sha)?;
            self.rulesets.insert(sha.to_string(), loaded);
        }
        match self.rulesets.get(sha) {
            Some(Some(ruleset)) => {
                apply(r, ruleset, review);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The line of a stored result as review has it: `None` when no record of its
    /// interaction changes it (the stored line stands), else the reviewed line.
    pub fn reviewed_line(
        &mut self,
        store: &Store,
        r: &StoredResult,
    ) -> Result<Option<String>, StoreError> {
        if self.of(&r.interaction_id, &r.source).is_none() {
            return Ok(None);
        }
        let corrupt = |source| StoreError::Corrupt {
            path: store.path().to_path_buf(),
            what: "stored result",
            source,
        };
        let mut parsed: InteractionResult = serde_json::from_str(&r.line).map_err(corrupt)?;
        self.apply(store, &mut parsed)?;
        serde_json::to_string(&parsed)
            .map(Some)
            .map_err(|source| StoreError::Encode {
                what: "a result",
                source,
            })
    }
}
