//! Review applied to results as they leave the store: every output, aggregate,
//! export and workbench page shows a result with what reviewers and leads decided
//! ([`crate::scan::review`]), while the database keeps the machine's results. A
//! result is scored again with the ruleset it was scored with, read from the
//! database by its sha256 (runs record their rule text there).

use super::reviews::Reviewed;
use super::{Store, StoreError};
use crate::rules::Ruleset;
use crate::scan::result::InteractionResult;
use crate::scan::review::{apply, Review};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Every interaction's review records, and the rulesets to score them with.
#[derive(Default)]
pub struct Reviews {
    by_interaction: HashMap<(String, String), Review>,
    /// By sha256; `None` when the database has no readable rule text for it.
    rulesets: HashMap<String, Option<Arc<Ruleset>>>,
}

impl Reviews {
    /// The review records in `store`.
    pub fn load(store: &Store) -> Result<Reviews, StoreError> {
        Ok(Reviews {
            by_interaction: store.reviews()?,
            rulesets: HashMap::new(),
        })
    }

    /// No interaction has a record that changes its result.
    pub fn is_empty(&self) -> bool {
        self.by_interaction.is_empty()
    }

    /// The records of one interaction (empty when it has none).
    pub fn of(&self, interaction_id: &str, source: &str) -> Option<&Review> {
        self.by_interaction
            .get(&(interaction_id.to_string(), source.to_string()))
    }

    /// Sets the records of one interaction (after a verdict or ruling).
    pub fn set(&mut self, on: Reviewed<'_>, review: Review) {
        let key = (on.interaction_id.to_string(), on.source.to_string());
        if review.is_empty() {
            self.by_interaction.remove(&key);
        } else {
            self.by_interaction.insert(key, review);
        }
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
            .by_interaction
            .get(&(r.interaction_id.clone(), r.source.clone()))
        else {
            return Ok(true);
        };
        let sha = &*r.ruleset.sha256;
        if !self.rulesets.contains_key(sha) {
            let loaded = store.ruleset_text(sha)?.and_then(|text| {
                Ruleset::from_sources(&[(PathBuf::from("ruleset.toml"), text)])
                    .ok()
                    .filter(|rs| &*rs.sha256 == sha)
                    .map(Arc::new)
            });
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
}
