//! One chat log or transcript file inside its chunk's transaction: record it, hand
//! out stored results or scan, and queue problems and results in file order.

use super::incremental::RunPlan;
use super::selection::Keep;
use super::stored::{reuse, scan_and_store};
use super::{BatchStats, Item};
use crate::input::{display_path, InputFile, InputProblem, TextRead};
use crate::rules::Ruleset;
use crate::scan::result::InteractionResult;
use crate::store::{ResultKey, Store, StoreError};

/// One text file inside the chunk's transaction: record it, reuse or scan its kept
/// interactions, and queue its problems and results (in file order) on `out`.
#[allow(clippy::too_many_arguments)]
pub(super) fn text_file(
    store: &mut Store,
    file: &InputFile,
    read: TextRead,
    ruleset: &Ruleset,
    plan: &RunPlan,
    keep: &Keep,
    stats: &mut BatchStats,
    out: &mut Vec<Item>,
) -> Result<(), StoreError> {
    out.extend(read.problems.into_iter().map(Item::Problem));
    if read.interactions.is_empty() {
        return Ok(());
    }
    let hash = match store.note_input(&display_path(&file.path), &file.path, true) {
        Ok(rec) => rec.hash,
        Err(StoreError::Input { path, source }) => {
            out.push(Item::Problem(InputProblem {
                source: path,
                line: None,
                reason: format!("cannot read: {source}"),
            }));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    // Slots in file order: a reused result, or the index of one to scan.
    let mut slots: Vec<Result<InteractionResult, usize>> = Vec::new();
    let mut fresh = Vec::new();
    for i in read.interactions {
        if !keep.owns(&i.id) {
            stats.skipped += 1;
            continue;
        }
        let key = ResultKey {
            interaction_id: &i.id,
            source: &i.source,
            ruleset_sha256: &ruleset.sha256,
        };
        match reuse(store, &key, &hash, plan)? {
            Some(r) => {
                stats.results_reused += 1;
                slots.push(Ok(r));
            }
            None => {
                slots.push(Err(fresh.len()));
                fresh.push((i, hash.clone()));
            }
        }
    }
    let mut scanned: Vec<Option<InteractionResult>> =
        scan_and_store(store, &mut fresh, ruleset, plan)?
            .into_iter()
            .map(Some)
            .collect();
    for slot in slots {
        let r = match slot {
            Ok(r) => r,
            Err(n) => scanned[n].take().expect("each scanned result is used once"),
        };
        stats.interactions += 1;
        out.push(Item::Result(Box::new(r)));
    }
    Ok(())
}
