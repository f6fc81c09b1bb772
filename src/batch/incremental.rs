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

use super::call_path::call_results;
use super::selection::{call_item, split, Keep, SeenIds};
use super::streamed::streamed_file;
use super::text_path::{streams, text_file};
use super::{BatchStats, CallOptions, Item};
use crate::asr::Transcriber;
use crate::batch::shard::ShardSpec;
use crate::call::{self as calls, CallSpec};
use crate::input::{self, display_path, read_text_file, InputProblem, TextRead};
use crate::reporter::Reporter;
use crate::rules::Ruleset;
use crate::sample::{self, SampleItem, Selection};
use crate::store::{Store, StoreError, StoredProblem};
use rayon::prelude::*;
use std::path::PathBuf;

/// Text files read and recorded per store transaction.
pub(super) const FILES_PER_CHUNK: usize = 64;

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
    let mut at = 0;
    while at < total {
        if at + 1 == total && specs.is_empty() {
            ids.last_input();
        }
        if streams(&text_files[at]) {
            let mut stats = BatchStats::default();
            streamed_file(
                store,
                &text_files[at],
                ruleset,
                plan,
                &keep,
                &mut ids,
                &mut stats,
                &mut |item| match item {
                    Item::Problem(p) => emit_problem(p, reporter, &mut outcome, &mut emit),
                    result => emit(result),
                },
            )?;
            outcome.stats.add(&stats);
            at += 1;
            reporter.progress(at as f64, total as f64, "files");
            continue;
        }
        let end = (at..total)
            .take(FILES_PER_CHUNK)
            .take_while(|&j| !streams(&text_files[j]))
            .last()
            .map_or(at + 1, |j| j + 1);
        let chunk = &text_files[at..end];
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
        at = end;
        reporter.progress(at as f64, total as f64, "files");
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
    // On a mono call, the voice that speaks the script is the agent.
    let cues: std::sync::Arc<[String]> = ruleset.agent_script_words().into();
    let specs: Vec<CallSpec> = specs
        .into_iter()
        .filter(|s| {
            let owned = keep.owns(&s.id);
            outcome.stats.skipped += usize::from(!owned);
            owned
        })
        .map(|s| CallSpec {
            agent_cues: cues.clone(),
            ..s
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
