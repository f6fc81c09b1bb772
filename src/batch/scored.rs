//! A large chat log that was scored in full and has not changed since (same size,
//! mtime and content hash, same ruleset, callqa and masking: [`Store::scored_ids`])
//! is not read again: its stored results are handed out in file order, a slice at
//! a time. Should a stored result be missing or no longer parse, the ones before
//! it are out and the caller reads the file for the rest.

use super::selection::SeenIds;
use super::stored::{reuse_tied, INTERACTIONS_PER_SLICE};
use super::{BatchStats, Item};
use crate::rules::Ruleset;
use crate::store::{ResultKey, Store, StoreError};
use std::path::Path;

/// Hands out the stored results of `scored` (the ids of `source`, read from
/// `path`, in file order) tied to `tied`, and returns how many went out: all of
/// them, or fewer when one is missing (none when an id is already another
/// input's, so that the caller reports it as a full read would).
#[allow(clippy::too_many_arguments)]
pub(super) fn hand_out(
    store: &mut Store,
    scored: &[&str],
    (source, path): (&str, &Path),
    ruleset: &Ruleset,
    tied: &str,
    ids: &mut SeenIds,
    stats: &mut BatchStats,
    out: &mut dyn FnMut(Item),
) -> Result<usize, StoreError> {
    if scored.iter().any(|id| ids.clashes(id, source)) {
        return Ok(0);
    }
    for id in scored {
        ids.check(id, source, path);
    }
    let mut done = 0;
    for slice in scored.chunks(INTERACTIONS_PER_SLICE) {
        let keys: Vec<ResultKey<'_>> = slice
            .iter()
            .map(|id| ResultKey {
                interaction_id: id,
                source,
                ruleset_sha256: &ruleset.sha256,
            })
            .collect();
        let reused = store.transaction(|store| reuse_tied(store, &keys, tied))?;
        for r in reused {
            let Some(r) = r else {
                return Ok(done);
            };
            stats.interactions += 1;
            stats.results_reused += 1;
            done += 1;
            out(Item::Result(Box::new(r)));
        }
    }
    Ok(done)
}
