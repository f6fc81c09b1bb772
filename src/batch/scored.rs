//! A large chat log that was scored in full and has not changed since (same size,
//! mtime and content hash, same ruleset, callqa and masking: [`Store::scored_ids`])
//! is not read again: its stored results are handed out in file order, a slice at
//! a time. Should a stored result be missing or no longer parse, the ones before
//! it are out and the caller reads the file for the rest.

use super::selection::SeenIds;
use super::stored::{fetch_tied, unpack_all, INTERACTIONS_PER_SLICE};
use super::Scored;
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
    // While one slice is unpacked (in parallel), the one before is handed out and
    // the one after read from the store.
    let db = store.path().to_path_buf();
    let mut slices = scored.chunks(INTERACTIONS_PER_SLICE);
    let read = |store: &mut Store, slice: Option<&[&str]>| match slice {
        None => Ok(None),
        Some(slice) => {
            let keys: Vec<ResultKey<'_>> = slice
                .iter()
                .map(|id| ResultKey {
                    interaction_id: id,
                    source,
                    ruleset_sha256: &ruleset.sha256,
                })
                .collect();
            store
                .transaction(|store| fetch_tied(store, &keys, tied))
                .map(Some)
        }
    };
    let mut done = 0;
    let mut ready: Option<Vec<Option<Scored>>> = None;
    let mut next = read(store, slices.next())?;
    while ready.is_some() || next.is_some() {
        let unpacking = next.take();
        let mut unpacked = None;
        let mut missing = false;
        rayon::in_place_scope(|s| {
            if let Some(packed) = unpacking {
                let (unpacked, db) = (&mut unpacked, &db);
                s.spawn(move |_| *unpacked = Some(unpack_all(packed, db)));
            }
            for r in ready.take().into_iter().flatten() {
                let Some(r) = r else {
                    missing = true;
                    return Ok(());
                };
                stats.interactions += 1;
                stats.results_reused += 1;
                done += 1;
                out(Item::Result(Box::new(r)));
            }
            next = read(store, slices.next())?;
            Ok::<(), StoreError>(())
        })?;
        if missing {
            return Ok(done);
        }
        ready = unpacked;
    }
    Ok(done)
}
