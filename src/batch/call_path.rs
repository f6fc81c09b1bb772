//! The calls of a run: stored results reused, transcripts taken from the cache, the
//! rest transcribed (committed every few, so a crash loses at most those), then
//! scanned and stored.

use super::incremental::RunPlan;
use super::progress::MinutesProgress;
use super::stored::{reuse_all, scan_and_store};
use super::{BatchStats, Item, Scored};
use crate::asr::Transcriber;
use crate::call::{self as calls, CallSpec};
use crate::input::{display_path, InputProblem};
use crate::interaction::{Interaction, InteractionKind};
use crate::reporter::Reporter;
use crate::rules::Ruleset;
use crate::scan::redact::redact_interaction;
use crate::store::{CachedTranscript, ResultKey, Store, StoreError, TranscriptKey};
use rayon::prelude::*;

/// Recordings transcribed between two store commits: a crash loses at most these.
pub(super) const CALLS_PER_COMMIT: usize = 8;

/// The hash a call's result is stored under: the recording's content and everything
/// the manifest says about it (a corrected agent id must rescore the call).
pub(super) fn call_input_hash(spec: &CallSpec, audio_hash: &str) -> String {
    let started = spec.started_at.map(|t| t.to_rfc3339()).unwrap_or_default();
    let text = format!(
        "{audio_hash}\n{}\n{}\n{}\n{started}\n{}",
        spec.id, spec.source, spec.agent_id, spec.layout
    );
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

/// A mono call's roles depend on the script words the agent is recognized by, so
/// they are part of its transcript's key (`;cues=` and their hash); other calls'
/// transcripts do not depend on the ruleset.
fn mono_cues(spec: &CallSpec) -> String {
    if !calls::heard_as_mono(spec) {
        return String::new();
    }
    let hash = blake3::hash(spec.agent_cues.join("\n").as_bytes()).to_hex();
    format!(";cues={}", &hash[..16])
}

pub(super) fn from_cache(spec: &CallSpec, t: CachedTranscript) -> Interaction {
    Interaction {
        id: spec.id.clone(),
        kind: Some(InteractionKind::Call),
        source: spec.source.clone(),
        agent_id: spec.agent_id.clone(),
        started_at: spec.started_at,
        duration_s: t.duration_s,
        roles: t.roles,
        roles_reason: t.roles_reason,
        turns: t.turns,
        measured: t.measured,
    }
}

pub(super) fn to_cache(i: &Interaction) -> CachedTranscript {
    CachedTranscript {
        roles: i.roles,
        roles_reason: i.roles_reason.clone(),
        duration_s: i.duration_s,
        turns: i.turns.clone(),
        measured: i.measured.clone(),
    }
}

/// What became of one call before scanning.
pub(super) enum CallSlot {
    Reused(Scored),
    Ready(Interaction, String),
    Transcribe(TranscriptKey, String),
    Failed(InputProblem),
}

/// The calls: reuse stored results, take transcripts from the cache, transcribe
/// the rest (committing every few), then scan and store. Problems first, then the
/// results in call order, in call order.
pub(super) fn call_results(
    store: &mut Store,
    specs: &[CallSpec],
    ruleset: &Ruleset,
    transcriber: Option<&dyn Transcriber>,
    reporter: &dyn Reporter,
    plan: &RunPlan,
    stats: &mut BatchStats,
) -> Result<Vec<Item>, StoreError> {
    let mut slots = Vec::with_capacity(specs.len());
    for spec in specs {
        let audio = match store.note_input(&display_path(&spec.path), &spec.path, true) {
            Ok(rec) => rec.hash,
            Err(StoreError::Input { path, source }) => {
                slots.push(CallSlot::Failed(InputProblem {
                    source: path,
                    line: None,
                    reason: format!("cannot read the recording: {source}"),
                }));
                continue;
            }
            Err(e) => return Err(e),
        };
        let input_hash = call_input_hash(spec, &audio);
        let key = ResultKey {
            interaction_id: &spec.id,
            source: &spec.source,
            ruleset_sha256: &ruleset.sha256,
        };
        if let Some(r) = reuse_all(store, &[key], &input_hash, plan)?.pop().flatten() {
            stats.results_reused += 1;
            slots.push(CallSlot::Reused(r));
            continue;
        }
        let tkey = TranscriptKey {
            audio_hash: audio,
            model: plan.model_fingerprint.clone(),
            settings: format!(
                "{};layout={}{}{}",
                plan.asr_settings,
                spec.layout,
                if plan.redact { "" } else { ";clear" },
                mono_cues(spec)
            ),
        };
        match store.transcript_get(&tkey)? {
            Some(t) => {
                stats.transcripts_reused += 1;
                slots.push(CallSlot::Ready(from_cache(spec, t), input_hash));
            }
            None => slots.push(CallSlot::Transcribe(tkey, input_hash)),
        }
    }

    let todo: Vec<usize> = (0..slots.len())
        .filter(|&n| matches!(slots[n], CallSlot::Transcribe(..)))
        .collect();
    let mut minutes = vec![0.0; specs.len()];
    for &n in &todo {
        minutes[n] = calls::call_minutes(&specs[n].path);
    }
    let progress = MinutesProgress::new(reporter, minutes.iter().sum());
    for batch in todo.chunks(CALLS_PER_COMMIT) {
        let outcomes: Vec<Result<Interaction, InputProblem>> = batch
            .par_iter()
            .map(|&n| {
                let spec = &specs[n];
                let outcome = match transcriber {
                    Some(t) => calls::transcribe_one(spec, t),
                    None => Err(calls::no_model_problem(spec)),
                };
                progress.finished(minutes[n]);
                outcome
            })
            .collect();
        store.transaction(|store| {
            for (&n, outcome) in batch.iter().zip(outcomes) {
                let CallSlot::Transcribe(tkey, input_hash) = &slots[n] else {
                    continue;
                };
                slots[n] = match outcome {
                    Ok(mut i) => {
                        stats.transcribed += 1;
                        // The cache holds what the database may hold: masked text.
                        if plan.redact {
                            redact_interaction(&mut i);
                        }
                        store.transcript_put(tkey, &to_cache(&i))?;
                        CallSlot::Ready(i, input_hash.clone())
                    }
                    Err(p) => CallSlot::Failed(p),
                };
            }
            Ok::<(), StoreError>(())
        })?;
    }

    let mut problems = Vec::new();
    let mut fresh = Vec::new();
    let mut order: Vec<Result<Scored, usize>> = Vec::new();
    for slot in slots {
        match slot {
            CallSlot::Failed(p) => problems.push(Item::Problem(p)),
            CallSlot::Reused(r) => order.push(Ok(r)),
            CallSlot::Ready(i, hash) => {
                order.push(Err(fresh.len()));
                fresh.push((i, hash));
            }
            CallSlot::Transcribe(..) => {
                unreachable!("every call to transcribe was transcribed or failed")
            }
        }
    }
    let mut scanned: Vec<Option<Scored>> = store
        .transaction(|store| scan_and_store(store, &mut fresh, ruleset, plan))?
        .into_iter()
        .map(Some)
        .collect();
    let mut out = problems;
    for slot in order {
        let r = match slot {
            Ok(r) => r,
            Err(n) => scanned[n].take().expect("each scanned result is used once"),
        };
        stats.interactions += 1;
        out.push(Item::Result(Box::new(r)));
    }
    Ok(out)
}
