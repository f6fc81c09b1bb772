//! Stored results: the line kept per (interaction, source, ruleset), what it is tied
//! to (input content, callqa's scoring, masking), handing one out again instead of
//! scanning, and scanning and storing the interactions that have none.

use super::incremental::RunPlan;
use super::Scored;
use crate::interaction::Interaction;
use crate::rules::Ruleset;
use crate::scan::{self, redact::redact_interaction, result::InteractionResult};
use crate::store::{PackedLine, PackedTurns, ResultKey, Split, Store, StoreError, UnpackedLine};
use rayon::prelude::*;

/// Interactions scanned together before their results are handed out.
pub(super) const INTERACTIONS_PER_SLICE: usize = 4096;

/// The stored line of a result.
pub fn stored_line(r: &InteractionResult) -> Result<String, StoreError> {
    serde_json::to_string(r).map_err(|source| StoreError::Encode {
        what: "a result",
        source,
    })
}

/// The stored results that can stand in for scanning `keys` again (read in order,
/// unpacked in parallel); `None` where there is none, or it no longer parses.
pub(super) fn reuse_all(
    store: &Store,
    keys: &[ResultKey<'_>],
    input_hash: &str,
    plan: &RunPlan,
) -> Result<Vec<Option<Scored>>, StoreError> {
    reuse_tied(store, keys, &result_hash(input_hash, plan.redact))
}

/// [`reuse_all`] for results tied to `tied` (a [`result_hash`]). Each comes with
/// its stored line, which is written as it is; the result is parsed from the line
/// without its turns (the aggregates and the report do not read them).
pub(super) fn reuse_tied(
    store: &Store,
    keys: &[ResultKey<'_>],
    tied: &str,
) -> Result<Vec<Option<Scored>>, StoreError> {
    let packed = fetch_tied(store, keys, tied)?;
    Ok(unpack_all(packed, store.path()))
}

/// The stored lines of `keys` tied to `tied`, still packed.
pub(super) fn fetch_tied(
    store: &Store,
    keys: &[ResultKey<'_>],
    tied: &str,
) -> Result<Vec<Option<PackedLine>>, StoreError> {
    keys.iter()
        .map(|key| store.result_get_packed(key, tied))
        .collect()
}

/// Stored lines unpacked and parsed in parallel (`path`: the database's).
pub(super) fn unpack_all(
    packed: Vec<Option<PackedLine>>,
    path: &std::path::Path,
) -> Vec<Option<Scored>> {
    packed
        .into_par_iter()
        .map(|p| p.and_then(|p| reused(&p, path)))
        .collect()
}

/// A stored line unpacked and parsed; `None` when it no longer unpacks or parses.
fn reused(packed: &PackedLine, path: &std::path::Path) -> Option<Scored> {
    let UnpackedLine { line, bare } = packed.unpack(path).ok()?;
    let result = serde_json::from_str::<InteractionResult>(&bare).ok()?;
    if line.len() != bare.len() {
        // The turns, stored apart, were not parsed with the rest: check they are JSON.
        serde_json::from_str::<serde::de::IgnoredAny>(&line).ok()?;
    }
    Some(Scored {
        result,
        line: Some(line),
    })
}

/// Masks (unless `--no-redact`) and scans `fresh` (in slices, in parallel), stores
/// interaction and result, and returns the results in order. Stored forms are made
/// on the scanning threads; only the writes are serial.
pub(super) fn scan_and_store(
    store: &mut Store,
    fresh: &mut [(Interaction, String)],
    ruleset: &Ruleset,
    plan: &RunPlan,
) -> Result<Vec<Scored>, StoreError> {
    let mut out = Vec::with_capacity(fresh.len());
    for slice in fresh.chunks_mut(INTERACTIONS_PER_SLICE) {
        let scanned = scan_fresh(slice, ruleset, plan);
        out.extend(store_scanned(store, slice, scanned, ruleset, plan)?);
    }
    Ok(out)
}

/// A result scanned, with the stored forms of its line and interaction.
pub(super) type Scanned = Result<(Scored, Split, Split), StoreError>;

/// Masks (unless `--no-redact`) and scans `fresh` in parallel, making the stored
/// forms on the scanning threads; nothing is stored yet ([`store_scanned`]).
pub(super) fn scan_fresh(
    fresh: &mut [(Interaction, String)],
    ruleset: &Ruleset,
    plan: &RunPlan,
) -> Vec<Scanned> {
    fresh
        .par_iter_mut()
        .map(|(i, _)| {
            if plan.redact {
                redact_interaction(i);
            }
            let mut r = scan::scan(i, ruleset);
            let (text, line, body) = stored_forms(i, &mut r)?;
            let scored = Scored {
                result: r,
                line: Some(text),
            };
            Ok((scored, line, body))
        })
        .collect()
}

/// Stores the interactions `fresh` and their `scanned` results, and returns the
/// results in order.
pub(super) fn store_scanned(
    store: &mut Store,
    fresh: &[(Interaction, String)],
    scanned: Vec<Scanned>,
    ruleset: &Ruleset,
    plan: &RunPlan,
) -> Result<Vec<Scored>, StoreError> {
    let mut out = Vec::with_capacity(fresh.len());
    for ((i, hash), scanned) in fresh.iter().zip(scanned) {
        let (r, line, body) = scanned?;
        store.interaction_put_packed(&i.id, &i.source, hash, &body)?;
        let key = ResultKey {
            interaction_id: &i.id,
            source: &i.source,
            ruleset_sha256: &ruleset.sha256,
        };
        store.result_put_packed(
            &key,
            &result_hash(hash, plan.redact),
            &line,
            chrono::Utc::now(),
        )?;
        out.push(r);
    }
    Ok(out)
}

/// The line of a result, and the stored forms of the line and of its interaction,
/// sharing their turns (encoded once: each is encoded without them, which are
/// then put in place).
fn stored_forms(
    i: &mut Interaction,
    r: &mut InteractionResult,
) -> Result<(String, Split, Split), StoreError> {
    let encode = |what| move |source| StoreError::Encode { what, source };
    let turns = serde_json::to_string(&r.turns).map_err(encode("turns"))?;
    let packed = PackedTurns::of_json(&turns);
    let kept = std::mem::take(&mut r.turns);
    let bare = stored_line(r);
    r.turns = kept;
    let (line, stored) = match Split::line_of_bare(bare?, packed.clone(), &turns) {
        Some(made) => made,
        None => {
            let line = stored_line(r)?;
            let stored = Split::line(&line, packed.clone(), &turns);
            (line, stored)
        }
    };
    let mut body = None;
    if i.turns == r.turns {
        let kept = std::mem::take(&mut i.turns);
        let bare = serde_json::to_string(i);
        i.turns = kept;
        body = Split::body_of_bare(
            &bare.map_err(encode("an interaction"))?,
            packed.clone(),
            &turns,
        );
    }
    let body = match body {
        Some(body) => body,
        None => {
            let whole = serde_json::to_string(i).map_err(encode("an interaction"))?;
            Split::body(&whole, packed, &turns)
        }
    };
    Ok((line, stored, body))
}

/// What a stored result line is tied to besides its key: the content of its input,
/// the version of callqa that scored it (a new release, a scanner fix, scores
/// again instead of handing out lines an older one wrote), and whether numbers were
/// masked (a `--no-redact` run never hands out a masked line, nor the reverse).
pub fn result_hash(input_hash: &str, redact: bool) -> String {
    let clear = if redact { "" } else { "+clear" };
    format!(
        "{input_hash}@callqa-{}/{RESULT_FORMAT}{clear}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Raised when scoring changes within a release (results stored before are then
/// scored again): 2 = numbers masked before scoring, except phrases end at
/// sentence punctuation.
pub(super) const RESULT_FORMAT: u32 = 2;
