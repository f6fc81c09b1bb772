//! Chat logs and transcript files: record each, hand out stored results or scan,
//! and queue problems and results in file order. Small files are read whole, a
//! chunk of them at a time inside one transaction; a large chat log is streamed
//! ([`super::streamed`]).

use super::incremental::RunPlan;
use super::selection::Keep;
use super::stored::{reuse_all, scan_and_store};
use super::{BatchStats, Item, Scored};
use crate::input::{display_path, InputFile, InputKind, InputProblem, TextRead};
use crate::interaction::Interaction;
use crate::rules::Ruleset;
use crate::store::{InputState, ResultKey, Store, StoreError};

/// A JSON Lines chat log at least this large is streamed rather than read whole.
pub(super) const STREAM_BYTES: u64 = 16 << 20;

/// Whether `file` is streamed.
pub(super) fn streams(file: &InputFile) -> bool {
    file.kind == InputKind::ChatJsonl
        && std::fs::metadata(&file.path).is_ok_and(|m| m.len() >= STREAM_BYTES)
}

/// Records `file` in the store: its content hash and whether the store has seen
/// it before (a new input has no stored results to look up), or the problem to
/// report.
pub(super) fn note(
    store: &mut Store,
    file: &InputFile,
) -> Result<Result<(String, bool), InputProblem>, StoreError> {
    match store.note_input(&display_path(&file.path), &file.path, true) {
        Ok(rec) => Ok(Ok((rec.hash, rec.state != InputState::New))),
        Err(StoreError::Input { path, source }) => Ok(Err(InputProblem {
            source: path,
            line: None,
            reason: format!("cannot read: {source}"),
        })),
        Err(e) => Err(e),
    }
}

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
    let (hash, seen) = match note(store, file)? {
        Ok(noted) => noted,
        Err(p) => {
            out.push(Item::Problem(p));
            return Ok(());
        }
    };
    score(
        store,
        read.interactions,
        (&hash, seen),
        ruleset,
        plan,
        keep,
        stats,
        &mut |item| out.push(item),
    )
}

/// Reuses or scans the kept ones of `interactions` (read from an input with `hash`;
/// results are looked up only when the store had `seen` the input) and hands
/// their results to `out` in order.
#[allow(clippy::too_many_arguments)]
fn score(
    store: &mut Store,
    interactions: Vec<Interaction>,
    (hash, seen): (&str, bool),
    ruleset: &Ruleset,
    plan: &RunPlan,
    keep: &Keep,
    stats: &mut BatchStats,
    out: &mut dyn FnMut(Item),
) -> Result<(), StoreError> {
    let mut prepared = prepare(
        store,
        interactions,
        (hash, seen),
        ruleset,
        plan,
        keep,
        stats,
    )?;
    let scanned = scan_and_store(store, &mut prepared.fresh, ruleset, plan)?;
    prepared.hand_out(scanned, stats, out);
    Ok(())
}

/// A slice of interactions ready to scan: in file order, the stored results that
/// stand in for scanning and the places of those to scan (`fresh`, each with the
/// hash of its input).
pub(super) struct Prepared {
    slots: Vec<Result<Scored, usize>>,
    pub(super) fresh: Vec<(Interaction, String)>,
}

impl Prepared {
    /// Hands the results out in file order, `scanned` those of `fresh`.
    pub(super) fn hand_out(
        self,
        scanned: Vec<Scored>,
        stats: &mut BatchStats,
        out: &mut dyn FnMut(Item),
    ) {
        let mut scanned: Vec<Option<Scored>> = scanned.into_iter().map(Some).collect();
        drop(self.fresh);
        for slot in self.slots {
            let r = match slot {
                Ok(r) => r,
                Err(n) => scanned[n].take().expect("each scanned result is used once"),
            };
            stats.interactions += 1;
            out(Item::Result(Box::new(r)));
        }
    }
}

/// The kept ones of `interactions` (read from an input with `hash`), with the
/// stored results that stand in for scanning them (looked up only when the store
/// had `seen` the input).
#[allow(clippy::too_many_arguments)]
pub(super) fn prepare(
    store: &Store,
    interactions: Vec<Interaction>,
    (hash, seen): (&str, bool),
    ruleset: &Ruleset,
    plan: &RunPlan,
    keep: &Keep,
    stats: &mut BatchStats,
) -> Result<Prepared, StoreError> {
    let mut owned = Vec::with_capacity(interactions.len());
    for i in interactions {
        if keep.owns(&i.id) {
            owned.push(i);
        } else {
            stats.skipped += 1;
        }
    }
    let reused = if seen {
        let keys: Vec<ResultKey<'_>> = owned
            .iter()
            .map(|i| ResultKey {
                interaction_id: &i.id,
                source: &i.source,
                ruleset_sha256: &ruleset.sha256,
            })
            .collect();
        reuse_all(store, &keys, hash, plan)?
    } else {
        owned.iter().map(|_| None).collect()
    };
    let mut slots: Vec<Result<Scored, usize>> = Vec::with_capacity(owned.len());
    let mut fresh = Vec::new();
    for (i, r) in owned.into_iter().zip(reused) {
        match r {
            Some(r) => {
                stats.results_reused += 1;
                slots.push(Ok(r));
            }
            None => {
                slots.push(Err(fresh.len()));
                fresh.push((i, hash.to_string()));
            }
        }
    }
    Ok(Prepared { slots, fresh })
}
