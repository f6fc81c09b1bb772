//! The batch run with a state store: the nightly path of `callqa scan`. It reads, scans and
//! emits in input order, and remembers: every input is recorded by content hash, a
//! result already stored for the same input content and ruleset is handed out again
//! instead of rescanning, a recording is transcribed only when the transcript cache
//! has nothing for (audio hash, model, settings), and every scanned interaction is
//! kept for `callqa rescore`. It also applies the run's selection: the shard
//! (`--shard K/N`) and the sample (`--sample RATE`), both decided per interaction id
//! before anything costly (scanning, transcribing) happens.
//!
//! Crash safety: the store writes of a chunk of inputs are one transaction, and every
//! write is an idempotent upsert, so a run killed at any point and run again hands out
//! exactly the results an uninterrupted run would.

use super::progress::MinutesProgress;
use super::{BatchStats, CallOptions, Item};
use crate::aggregate::Week;
use crate::asr::Transcriber;
use crate::batch::shard::ShardSpec;
use crate::call::{self as calls, CallSpec};
use crate::input::{
    self, display_path, read_text_file, InputFile, InputKind, InputProblem, TextRead,
};
use crate::interaction::{Interaction, InteractionKind};
use crate::reporter::Reporter;
use crate::rules::Ruleset;
use crate::sample::{self, SampleItem, Selection};
use crate::scan::{self, redact::redact_interaction, result::InteractionResult};
use crate::store::{CachedTranscript, ResultKey, Store, StoreError, StoredProblem, TranscriptKey};
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::PathBuf;

/// Text files read and recorded per store transaction.
const FILES_PER_CHUNK: usize = 64;
/// Recordings transcribed between two store commits: a crash loses at most these.
const CALLS_PER_COMMIT: usize = 8;
/// Interactions scanned together before their results are handed out.
const INTERACTIONS_PER_SLICE: usize = 4096;

/// Sampling of a run: `rate` of each agent-week, ranked with `seed`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSpec {
    pub rate: f64,
    pub seed: u64,
}

/// What a store-backed run processes and how.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub shard: ShardSpec,
    pub sample: Option<SampleSpec>,
    /// Mask customers' numbers before anything is scored or stored (the database,
    /// the transcript cache and the outputs hold masked text only).
    pub redact: bool,
    /// Identifies the speech model for the transcript cache (e.g. `blake3:<hash>`
    /// of the model file); every transcript is cached under it.
    pub model_fingerprint: String,
    /// ASR settings that change the text, e.g. `language=zh`; the channel layout
    /// of each call is added to it.
    pub asr_settings: String,
}

impl Default for RunPlan {
    fn default() -> Self {
        RunPlan {
            shard: ShardSpec::ALL,
            sample: None,
            redact: true,
            model_fingerprint: String::new(),
            asr_settings: String::new(),
        }
    }
}

/// What a store-backed run did besides its results.
#[derive(Debug, Default)]
pub struct RunOutcome {
    pub stats: BatchStats,
    /// The sample (all strata the run saw, earlier members included), when sampling.
    pub sample: Option<Vec<Selection>>,
    /// The inputs that could not be read, as recorded for `callqa rescore`.
    pub problems: Vec<StoredProblem>,
}

/// Why a store-backed run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sample(#[from] sample::SampleError),
}

/// Interaction ids seen so far and where: an id must name one interaction across
/// all inputs (samples, reviews and exports key interactions by id), so a later
/// one from another file is reported and not scored.
#[derive(Default)]
struct SeenIds(std::collections::HashMap<String, String>);

impl SeenIds {
    /// A problem when `id` was already seen in another source.
    fn check(&mut self, id: &str, source: &str, path: &std::path::Path) -> Option<InputProblem> {
        match self.0.get(id) {
            Some(first) if first != source => Some(InputProblem {
                source: path.to_path_buf(),
                line: None,
                reason: format!(
                    "interaction id `{id}` is already used by {first}; ids must be unique across inputs, so this one is not scored"
                ),
            }),
            Some(_) => None,
            None => {
                self.0.insert(id.to_string(), source.to_string());
                None
            }
        }
    }
}

/// Which interactions this run keeps.
struct Keep {
    shard: ShardSpec,
    sampled: Option<HashSet<String>>,
}

impl Keep {
    fn owns(&self, id: &str) -> bool {
        self.shard.owns(id) && self.sampled.as_ref().is_none_or(|s| s.contains(id))
    }
}

/// The sampling units of the inputs: every interaction of the text files and every
/// call the manifests and recordings name (recordings are not decoded).
pub fn sample_items(
    inputs: &[PathBuf],
    calls: &CallOptions,
) -> (Vec<SampleItem>, Vec<InputProblem>) {
    let (files, mut problems) = input::discover(inputs);
    let (call_files, text_files) = split(files);
    let mut items = Vec::new();
    for chunk in text_files.chunks(FILES_PER_CHUNK) {
        let reads: Vec<TextRead> = chunk.par_iter().map(read_text_file).collect();
        for read in reads {
            items.extend(read.interactions.iter().map(SampleItem::of));
            problems.extend(read.problems);
        }
    }
    let (specs, call_problems) = calls::collect_calls(&call_files, calls);
    items.extend(specs.iter().map(call_item));
    problems.extend(call_problems);
    (items, problems)
}

fn call_item(spec: &CallSpec) -> SampleItem {
    let started = spec.started_at.map(|t| t.to_rfc3339());
    SampleItem::new(
        &spec.id,
        &spec.agent_id,
        Week::of(started.as_deref()).to_string(),
    )
}

fn split(files: Vec<InputFile>) -> (Vec<InputFile>, Vec<InputFile>) {
    files
        .into_iter()
        .partition(|f| matches!(f.kind, InputKind::Wav | InputKind::Manifest))
}

/// Runs the batch over `inputs` with `store`, calling `emit` for every result and
/// problem in input order (text files, then calls). Results
/// come out redacted when `plan.redact`. Fails only when the store (or the
/// sample rate) fails; unreadable inputs are problems, reported and emitted.
#[allow(clippy::too_many_arguments)]
pub fn run_incremental(
    inputs: &[PathBuf],
    ruleset: &Ruleset,
    call_options: &CallOptions,
    transcriber: Option<&dyn Transcriber>,
    reporter: &dyn Reporter,
    store: &mut Store,
    plan: &RunPlan,
    mut emit: impl FnMut(Item),
) -> Result<RunOutcome, RunError> {
    let (files, problems) = input::discover(inputs);
    let mut outcome = RunOutcome::default();
    outcome.stats.files = files.len();
    for p in problems {
        emit_problem(p, reporter, &mut outcome, &mut emit);
    }
    let (call_files, text_files) = split(files);
    let (specs, call_problems) = calls::collect_calls(&call_files, call_options);

    let mut keep = Keep {
        shard: plan.shard,
        sampled: None,
    };
    if let Some(s) = plan.sample {
        let mut items = Vec::new();
        for chunk in text_files.chunks(FILES_PER_CHUNK) {
            let reads: Vec<TextRead> = chunk.par_iter().map(read_text_file).collect();
            items.extend(
                reads
                    .iter()
                    .flat_map(|r| r.interactions.iter().map(SampleItem::of)),
            );
        }
        items.extend(specs.iter().map(call_item));
        let selections = sample::plan(store, &items, s.rate, s.seed)?;
        keep.sampled = Some(
            selections
                .iter()
                .filter(|s| s.selected)
                .map(|s| s.id.clone())
                .collect(),
        );
        outcome.sample = Some(selections);
    }

    let mut out = Vec::new();
    let mut ids = SeenIds::default();
    let total = text_files.len();
    for (chunk_no, chunk) in text_files.chunks(FILES_PER_CHUNK).enumerate() {
        let reads: Vec<TextRead> = chunk.par_iter().map(read_text_file).collect();
        store.transaction(|store| {
            for (file, mut read) in chunk.iter().zip(reads) {
                read.interactions
                    .retain(|i| match ids.check(&i.id, &i.source, &file.path) {
                        Some(p) => {
                            read.problems.push(p);
                            false
                        }
                        None => true,
                    });
                text_file(
                    store,
                    file,
                    read,
                    ruleset,
                    plan,
                    &keep,
                    &mut outcome.stats,
                    &mut out,
                )?;
            }
            Ok::<(), StoreError>(())
        })?;
        for item in out.drain(..) {
            match item {
                Item::Problem(p) => emit_problem(p, reporter, &mut outcome, &mut emit),
                result => emit(result),
            }
        }
        let done = ((chunk_no + 1) * FILES_PER_CHUNK).min(total);
        reporter.progress(done as f64, total as f64, "files");
    }

    for p in call_problems {
        emit_problem(p, reporter, &mut outcome, &mut emit);
    }
    let mut duplicates = Vec::new();
    let specs: Vec<CallSpec> = specs
        .into_iter()
        .filter(|s| match ids.check(&s.id, &s.source, &s.path) {
            Some(p) => {
                duplicates.push(p);
                false
            }
            None => true,
        })
        .collect();
    for p in duplicates {
        emit_problem(p, reporter, &mut outcome, &mut emit);
    }
    let specs: Vec<CallSpec> = specs
        .into_iter()
        .filter(|s| {
            let owned = keep.owns(&s.id);
            outcome.stats.skipped += usize::from(!owned);
            owned
        })
        .collect();
    let results = call_results(
        store,
        &specs,
        ruleset,
        transcriber,
        reporter,
        plan,
        &mut outcome.stats,
    )?;
    for item in results {
        match item {
            Item::Problem(p) => emit_problem(p, reporter, &mut outcome, &mut emit),
            result => emit(result),
        }
    }
    store.problems_replace(&outcome.problems)?;
    Ok(outcome)
}

fn emit_problem(
    p: InputProblem,
    reporter: &dyn Reporter,
    outcome: &mut RunOutcome,
    emit: &mut impl FnMut(Item),
) {
    let error = p.to_string();
    reporter.input_error(&p.source, &error);
    outcome.stats.problems += 1;
    outcome.problems.push(StoredProblem {
        source: display_path(&p.source),
        error,
    });
    emit(Item::Problem(p));
}

/// The stored line of a result.
pub fn stored_line(r: &InteractionResult) -> Result<String, StoreError> {
    serde_json::to_string(r).map_err(|source| StoreError::Encode {
        what: "a result",
        source,
    })
}

/// A stored result line, when it can stand in for scanning again.
fn reuse(
    store: &Store,
    key: &ResultKey<'_>,
    input_hash: &str,
    plan: &RunPlan,
) -> Result<Option<InteractionResult>, StoreError> {
    Ok(store
        .result_get(key, &result_hash(input_hash, plan.redact))?
        .and_then(|line| serde_json::from_str::<InteractionResult>(&line).ok()))
}

/// Masks (unless `--no-redact`) and scans `fresh` (in slices, in parallel), stores
/// interaction and result, and returns the results in order.
fn scan_and_store(
    store: &mut Store,
    fresh: &mut [(Interaction, String)],
    ruleset: &Ruleset,
    plan: &RunPlan,
) -> Result<Vec<InteractionResult>, StoreError> {
    let mut out = Vec::with_capacity(fresh.len());
    for slice in fresh.chunks_mut(INTERACTIONS_PER_SLICE) {
        let results: Vec<Result<(InteractionResult, String), StoreError>> = slice
            .par_iter_mut()
            .map(|(i, _)| {
                if plan.redact {
                    redact_interaction(i);
                }
                let r = scan::scan(i, ruleset);
                let line = stored_line(&r)?;
                Ok((r, line))
            })
            .collect();
        for ((i, hash), scanned) in slice.iter().zip(results) {
            let (r, line) = scanned?;
            store.interaction_put(i, hash)?;
            let key = ResultKey {
                interaction_id: &i.id,
                source: &i.source,
                ruleset_sha256: &ruleset.sha256,
            };
            store.result_put(&key, &result_hash(hash, plan.redact), &line)?;
            out.push(r);
        }
    }
    Ok(out)
}

/// One text file inside the chunk's transaction: record it, reuse or scan its kept
/// interactions, and queue its problems and results (in file order) on `out`.
#[allow(clippy::too_many_arguments)]
fn text_file(
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
const RESULT_FORMAT: u32 = 2;

/// The hash a call's result is stored under: the recording's content and everything
/// the manifest says about it (a corrected agent id must rescore the call).
fn call_input_hash(spec: &CallSpec, audio_hash: &str) -> String {
    let started = spec.started_at.map(|t| t.to_rfc3339()).unwrap_or_default();
    let text = format!(
        "{audio_hash}\n{}\n{}\n{}\n{started}\n{}",
        spec.id, spec.source, spec.agent_id, spec.layout
    );
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

fn from_cache(spec: &CallSpec, t: CachedTranscript) -> Interaction {
    Interaction {
        id: spec.id.clone(),
        kind: Some(InteractionKind::Call),
        source: spec.source.clone(),
        agent_id: spec.agent_id.clone(),
        started_at: spec.started_at,
        duration_s: t.duration_s,
        roles: t.roles,
        turns: t.turns,
        measured: t.measured,
    }
}

fn to_cache(i: &Interaction) -> CachedTranscript {
    CachedTranscript {
        roles: i.roles,
        duration_s: i.duration_s,
        turns: i.turns.clone(),
        measured: i.measured.clone(),
    }
}

/// What became of one call before scanning.
enum CallSlot {
    Reused(InteractionResult),
    Ready(Interaction, String),
    Transcribe(TranscriptKey, String),
    Failed(InputProblem),
}

/// The calls: reuse stored results, take transcripts from the cache, transcribe
/// the rest (committing every few), then scan and store. Problems first, then the
/// results in call order, in call order.
fn call_results(
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
        if let Some(r) = reuse(store, &key, &input_hash, plan)? {
            stats.results_reused += 1;
            slots.push(CallSlot::Reused(r));
            continue;
        }
        let tkey = TranscriptKey {
            audio_hash: audio,
            model: plan.model_fingerprint.clone(),
            settings: format!(
                "{};layout={}{}",
                plan.asr_settings,
                spec.layout,
                if plan.redact { "" } else { ";clear" }
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
    let mut order: Vec<Result<InteractionResult, usize>> = Vec::new();
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
    let mut scanned: Vec<Option<InteractionResult>> = store
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
