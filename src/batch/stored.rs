//! Stored results: the line kept per (interaction, source, ruleset), what it is tied
//! to (input content, callqa's scoring, masking), handing one out again instead of
//! scanning, and scanning and storing the interactions that have none.

use super::incremental::RunPlan;
use crate::interaction::Interaction;
use crate::rules::Ruleset;
use crate::scan::{self, redact::redact_interaction, result::InteractionResult};
use crate::store::{PackedTurns, ResultKey, Split, Store, StoreError};
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
/// parsed in parallel); `None` where there is none, or it no longer parses.
pub(super) fn reuse_all(
    store: &Store,
    keys: &[ResultKey<'_>],
    input_hash: &str,
    plan: &RunPlan,
) -> Result<Vec<Option<InteractionResult>>, StoreError> {
    reuse_tied(store, keys, &result_hash(input_hash, plan.redact))
}

/// [`reuse_all`] for results tied to `tied` (a [`result_hash`]).
pub(super) fn reuse_tied(
    store: &Store,
    keys: &[ResultKey<'_>],
    tied: &str,
) -> Result<Vec<Option<InteractionResult>>, StoreError> {
    let lines: Vec<Option<String>> = keys
        .iter()
        .map(|key| store.result_get(key, tied))
        .collect::<Result<_, _>>()?;
    Ok(lines
        .into_par_iter()
        .map(|line| line.and_then(|l| serde_json::from_str::<InteractionResult>(&l).ok()))
        .collect())
}

/// Masks (unless `--no-redact`) and scans `fresh` (in slices, in parallel), stores
/// interaction and result, and returns the results in order. Stored forms are made
/// on the scanning threads; only the writes are serial.
pub(super) fn scan_and_store(
    store: &mut Store,
    fresh: &mut [(Interaction, String)],
    ruleset: &Ruleset,
    plan: &RunPlan,
) -> Result<Vec<InteractionResult>, StoreError> {
    let mut out = Vec::with_capacity(fresh.len());
    for slice in fresh.chunks_mut(INTERACTIONS_PER_SLICE) {
        let results: Vec<Result<(InteractionResult, Split, Split), StoreError>> = slice
            .par_iter_mut()
            .map(|(i, _)| {
                if plan.redact {
                    redact_interaction(i);
                }
                let r = scan::scan(i, ruleset);
                let (line, body) = stored_forms(i, &r)?;
                Ok((r, line, body))
            })
            .collect();
        for ((i, hash), scanned) in slice.iter().zip(results) {
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
    }
    Ok(out)
}

/// The stored forms of a result line and its interaction, sharing their turns.
fn stored_forms(i: &Interaction, r: &InteractionResult) -> Result<(Split, Split), StoreError> {
    let encode = |what| move |source| StoreError::Encode { what, source };
    let line = stored_line(r)?;
    let turns = serde_json::to_string(&r.turns).map_err(encode("turns"))?;
    let packed = PackedTurns::of_json(&turns);
    let body = serde_json::to_string(i).map_err(encode("an interaction"))?;
    Ok((
        Split::line(&line, packed.clone(), &turns),
        Split::body(&body, packed, &turns),
    ))
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
