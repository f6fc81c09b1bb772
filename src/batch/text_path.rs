//! Chat logs and transcript files: record each, hand out stored results or scan,
//! and queue problems and results in file order. Small files are read whole, a
//! chunk of them at a time inside one transaction; a large chat log is streamed
//! ([`crate::input::chat_stream`]) and scored a slice of conversations at a time,
//! each slice its own transaction, so memory does not grow with the file.

use super::incremental::RunPlan;
use super::scored::hand_out;
use super::selection::{Keep, SeenIds};
use super::stored::{result_hash, reuse_all, scan_and_store, INTERACTIONS_PER_SLICE};
use super::{BatchStats, Item, Scored};
use crate::input::chat_stream::{stream_jsonl, Streamed};
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
fn note(
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

/// A large chat log, streamed: duplicate ids are checked here (a slice at a time),
/// and problems and results go to `out` as they come, in file order. One scored in
/// full before and unchanged since is not read ([`super::scored`]); one scored in
/// full now is recorded as such.
#[allow(clippy::too_many_arguments)]
pub(super) fn streamed_file(
    store: &mut Store,
    file: &InputFile,
    ruleset: &Ruleset,
    plan: &RunPlan,
    keep: &Keep,
    ids: &mut SeenIds,
    stats: &mut BatchStats,
    out: &mut dyn FnMut(Item),
) -> Result<(), StoreError> {
    let (hash, seen) = match store.transaction(|store| note(store, file))? {
        Ok(noted) => noted,
        Err(p) => {
            out(Item::Problem(p));
            return Ok(());
        }
    };
    let source = display_path(&file.path);
    let tied = result_hash(&hash, plan.redact);
    // The ids in file order, newline-joined, while the file is whole (every
    // interaction kept, no problem on any line, no id empty or with a newline), to
    // record it as scored in full at the end.
    let mut whole: Option<String> = keep.keeps_all().then(String::new);
    // Interactions already handed out from the record of a full scoring.
    let mut skip = 0;
    if seen && keep.keeps_all() {
        if let Some(joined) = store.scored_ids(&source, &ruleset.sha256, &tied)? {
            let scored: Vec<&str> = if joined.is_empty() {
                Vec::new()
            } else {
                joined.split('\n').collect()
            };
            let place = (source.as_str(), file.path.as_path());
            skip = hand_out(store, &scored, place, ruleset, &tied, ids, stats, out)?;
            if skip == scored.len() {
                stats.files_unread += 1;
                return Ok(());
            }
            whole = Some(scored[..skip].join("\n"));
        }
    }
    store.transaction(|store| store.scored_forget(&source, &ruleset.sha256))?;
    let mut slice: Vec<Interaction> = Vec::with_capacity(INTERACTIONS_PER_SLICE);
    let mut flush = |store: &mut Store,
                     slice: &mut Vec<Interaction>,
                     whole: &mut Option<String>,
                     out: &mut dyn FnMut(Item)| {
        let mut kept = Vec::with_capacity(slice.len());
        for i in slice.drain(..) {
            match ids.check(&i.id, &i.source, &file.path) {
                Some(p) => {
                    *whole = None;
                    out(Item::Problem(p));
                }
                None => {
                    if i.id.is_empty() || i.id.contains('\n') {
                        *whole = None;
                    }
                    if let Some(w) = whole {
                        if !w.is_empty() {
                            w.push('\n');
                        }
                        w.push_str(&i.id);
                    }
                    kept.push(i);
                }
            }
        }
        store
            .transaction(|store| score(store, kept, (&hash, seen), ruleset, plan, keep, stats, out))
    };
    stream_jsonl(&file.path, &source, |item| match item {
        Streamed::Problem(p) => {
            whole = None;
            out(Item::Problem(p));
            Ok(())
        }
        Streamed::Interaction(_) if skip > 0 => {
            skip -= 1;
            Ok(())
        }
        Streamed::Interaction(i) => {
            slice.push(i);
            if slice.len() == INTERACTIONS_PER_SLICE {
                flush(store, &mut slice, &mut whole, out)?;
            }
            Ok(())
        }
    })?;
    flush(store, &mut slice, &mut whole, out)?;
    match whole {
        Some(w) => store.transaction(|store| store.scored_put(&source, &ruleset.sha256, &tied, &w)),
        None => Ok(()),
    }
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
    let mut owned = Vec::with_capacity(interactions.len());
    for i in interactions {
        if keep.owns(&i.id) {
            owned.push(i);
        } else {
            stats.skipped += 1;
        }
    }
    let keys: Vec<ResultKey<'_>> = owned
        .iter()
        .map(|i| ResultKey {
            interaction_id: &i.id,
            source: &i.source,
            ruleset_sha256: &ruleset.sha256,
        })
        .collect();
    let reused = if seen {
        reuse_all(store, &keys, hash, plan)?
    } else {
        keys.iter().map(|_| None).collect()
    };
    drop(keys);
    // Slots in file order: a reused result, or the index of one to scan.
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
    let mut scanned: Vec<Option<Scored>> = scan_and_store(store, &mut fresh, ruleset, plan)?
        .into_iter()
        .map(Some)
        .collect();
    drop(fresh);
    for slot in slots {
        let r = match slot {
            Ok(r) => r,
            Err(n) => scanned[n].take().expect("each scanned result is used once"),
        };
        stats.interactions += 1;
        out(Item::Result(Box::new(r)));
    }
    Ok(())
}
