//! `callqa scan`: check the configuration, open the state database, run the batch
//! (reusing what the database already knows), write the outputs and `sample.csv`.

use super::args::ScanArgs;
use super::config::{AssessConfig, ScanConfig};
use super::kept::Kept;
use super::{CliError, Outcome};
use crate::aggregate::RuleInfo;
use crate::asr::{AsrError, QueuedWindows, RecognizedSegment, Transcriber};
use crate::batch::{self, Item, RunError, RunPlan};
use crate::input::{self, InputKind};
use crate::output::{DirSink, ReportSink, RunSummary};
use crate::reporter::Reporter;
use crate::rules::Ruleset;
use crate::scan::result::{InputErrorLine, InteractionResult, SCHEMA_VERSION};
use crate::store::reviewed::Reviews;
use crate::store::{Store, StoreError};
use std::sync::OnceLock;

pub fn run(args: ScanArgs, reporter: &dyn Reporter) -> Result<Outcome, CliError> {
    let config = ScanConfig::from_args(args)?;
    let pool = pool(config.jobs)?;
    std::fs::create_dir_all(&config.out_dir).map_err(|source| CliError::CreateOut {
        path: config.out_dir.clone(),
        source,
    })?;
    // Opened first: a second run on the same database stops here, before any work.
    let mut store = Store::open(&config.db)?;
    record_ruleset(&mut store, &config.ruleset)?;
    let reviews = Reviews::load(&store)?;
    let has_calls = has_calls(&config);
    let model_fingerprint = if has_calls && config.model.is_file() {
        let key = format!("model:{}", crate::input::display_path(&config.model));
        format!(
            "blake3:{}",
            store.note_input(&key, &config.model, true)?.hash
        )
    } else {
        String::new()
    };
    let lazy = LazyTranscriber {
        config: &config,
        reporter,
        model: OnceLock::new(),
        fingerprint: model_fingerprint.clone(),
    };
    let transcriber: Option<&dyn Transcriber> = if has_calls && model_available(&config, reporter) {
        Some(&lazy)
    } else {
        None
    };
    let plan = RunPlan {
        shard: config.shard,
        sample: config.sample,
        redact: config.redact,
        model_fingerprint,
        // The turn format is part of the key: when callqa changes how recognized
        // segments become turns, cached transcripts are made again.
        asr_settings: format!(
            "language={};turns={};asr_input={}",
            config.language,
            crate::call::TURN_FORMAT_VERSION,
            config.calls.asr_input.as_str()
        ),
    };
    let mut sink = DirSink::create(&config.out_dir)?;
    let infos = rule_infos(&config.ruleset);
    let setup = super::kept::setup(&config.ruleset, &config.assess, &infos);
    let mut kept = Kept::new(&setup);
    let mut write_error = None;
    let outcome = pool.install(|| {
        batch::run_incremental(
            &config.inputs,
            &config.ruleset,
            &config.calls,
            transcriber,
            reporter,
            &mut store,
            &plan,
            |item| {
                if write_error.is_none() {
                    if let Err(e) = write_item(&mut sink, &mut kept, &reviews, &config, item) {
                        write_error = Some(e);
                    }
                }
            },
        )
    });
    let outcome = outcome.map_err(|e| match e {
        RunError::Store(e) => CliError::from(e),
        RunError::Sample(e) => CliError::Usage(e.to_string()),
    })?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    let stats = &outcome.stats;
    if stats.interactions == 0 && stats.skipped == 0 {
        // Dropping the sink removes the unfinished results file: the outputs of the
        // last good run stay as they were.
        let found = if stats.files == 0 {
            "no chat log, transcript, recording or manifest found in the INPUTs".to_string()
        } else if stats.problems == 0 {
            format!(
                "no interaction in the {} input file(s): they are empty",
                stats.files
            )
        } else {
            format!(
                "no readable input: {} file(s), {} problem(s) (listed above)",
                stats.files, stats.problems
            )
        };
        return Err(CliError::NoInput(format!(
            "{found}; nothing was scored and the outputs in {} are unchanged",
            config.out_dir.display()
        )));
    }
    if let (Some(selections), Some(spec)) = (&outcome.sample, config.sample) {
        crate::sample::csv::write(
            &config.out_dir.join(crate::sample::csv::SAMPLE_CSV),
            selections,
            config.assess.excel,
        )?;
        let rows = selections.iter().map(|s| {
            (
                s.id.as_str(),
                s.agent_id.as_str(),
                s.week.as_str(),
                s.selected,
            )
        });
        sink.set_sample_coverage(crate::output::coverage_from_rows(rows));
        sink.set_sample_target(spec.rate);
    }
    let stats = outcome.stats;
    let mean = kept.mean_score();
    finish_kept(
        &mut sink,
        &config.ruleset,
        kept,
        (stats.files, stats.problems),
        config.assess.excel,
        reporter,
    )?;
    let mut line = format!(
        "scanned {} interaction(s) from {} file(s); {} problem(s); outputs in {}",
        stats.interactions,
        stats.files,
        stats.problems,
        config.out_dir.display()
    );
    line.push_str(&format!(
        " ({} result(s) reused, {} call(s) transcribed, {} from the transcript cache, {} left to other shards or out of the sample)",
        stats.results_reused, stats.transcribed, stats.transcripts_reused, stats.skipped
    ));
    if stats.files_unread > 0 {
        line.push_str(&format!(
            "; {} unchanged chat log(s) not read again",
            stats.files_unread
        ));
    }
    reporter.status(&line);
    if let Some(gate) = config.fail_under {
        if mean.is_some_and(|m| m < gate) {
            reporter.status(&format!(
                "mean score {:.2} is under --fail-under {gate}",
                mean.unwrap_or_default()
            ));
            return Ok(Outcome::UnderGate);
        }
    }
    Ok(if stats.problems > 0 {
        Outcome::SomeInputsFailed
    } else {
        Outcome::Done
    })
}

pub(super) fn pool(jobs: usize) -> Result<rayon::ThreadPool, CliError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|source| CliError::Threads { jobs, source })
}

/// Writes one batch item, as review has it, and keeps what the aggregates and the
/// report need. A result that comes with its line and has no review records is
/// written as that line.
fn write_item(
    sink: &mut DirSink,
    kept: &mut Kept<'_>,
    reviews: &Reviews,
    config: &ScanConfig,
    item: Item,
) -> Result<(), crate::output::OutputError> {
    match item {
        Item::Result(scored) => {
            let batch::Scored { mut result, line } = *scored;
            let reviewed = reviews.of(&result.interaction_id, &result.source).is_some();
            let written = match line {
                Some(line) if !reviewed => sink.result_line(&line),
                line => {
                    if let Some(line) = line {
                        // The result may lack its turns: the line has them.
                        result = serde_json::from_str(&line).map_err(|source| {
                            crate::output::OutputError::Json {
                                path: config.out_dir.join(crate::output::RESULTS_JSONL),
                                source,
                            }
                        })?;
                    }
                    reviews.apply_with(&mut result, &config.ruleset);
                    sink.result(&result)
                }
            };
            kept.push(result);
            written
        }
        Item::Problem(p) => sink.input_error(&InputErrorLine {
            schema_version: SCHEMA_VERSION,
            source: crate::input::display_path(&p.source),
            error: p.to_string(),
        }),
    }
}

/// A result as the aggregates and the report need it: no turn texts, and evidence
/// text only for failing interactions.
pub(super) fn slim(mut r: InteractionResult) -> InteractionResult {
    r.turns = Vec::new();
    if r.passed {
        for e in r
            .violations
            .iter_mut()
            .flat_map(|v| v.evidence.iter_mut().chain(v.outside_window.iter_mut()))
        {
            e.text = String::new();
        }
    }
    r
}

/// The ruleset's rules as the aggregates know them.
pub(super) fn rule_infos(ruleset: &Ruleset) -> Vec<RuleInfo> {
    ruleset.rules.iter().map(RuleInfo::from).collect()
}

/// Aggregates `kept` and writes agents.csv, teams.csv, assessment.csv, rules.csv,
/// report.html and ruleset.toml; agents missing from the roster are named once.
pub(super) fn finish(
    sink: &mut DirSink,
    ruleset: &Ruleset,
    assess: &AssessConfig,
    kept: &[InteractionResult],
    counts: (usize, usize),
    reporter: &dyn Reporter,
) -> Result<(), CliError> {
    let infos = rule_infos(ruleset);
    let setup = super::kept::setup(ruleset, assess, &infos);
    let mut all = Kept::new(&setup);
    for r in kept {
        all.push(r.clone());
    }
    finish_kept(sink, ruleset, all, counts, assess.excel, reporter)
}

/// [`finish`] with the results already counted in.
pub(super) fn finish_kept(
    sink: &mut DirSink,
    ruleset: &Ruleset,
    kept: Kept<'_>,
    (files, problems): (usize, usize),
    excel: bool,
    reporter: &dyn Reporter,
) -> Result<(), CliError> {
    let count = kept.len();
    let (aggregates, listed) = kept.finish();
    if !aggregates.unrostered.is_empty() {
        let n = aggregates.unrostered.len();
        let shown: Vec<&str> = aggregates
            .unrostered
            .iter()
            .take(10)
            .map(String::as_str)
            .collect();
        reporter.status(&format!(
            "warning: {n} agent(s) not in the roster, assessed under team \"{}\": {}{}",
            crate::input::roster::NO_TEAM,
            shown.join(", "),
            if n > shown.len() { ", …" } else { "" }
        ));
    }
    sink.set_excel(excel);
    let summary = RunSummary::new(&ruleset.id(), files, count, problems);
    sink.finish(&aggregates, &listed, &summary)?;
    if !crate::output::ruleset_file::write(sink.dir(), ruleset)? {
        reporter.status(&format!(
            "warning: the rule files do not read as one file (does each end with a newline?), so {} was not written; merging these outputs needs --rules",
            crate::output::ruleset_file::RULESET_TOML
        ));
    }
    Ok(())
}

/// Whether the inputs name any calls (recordings or manifests); manifests are
/// read later, by the call reader, not here.
fn has_calls(config: &ScanConfig) -> bool {
    let (files, _) = input::discover(&config.inputs);
    !config.calls.manifests.is_empty()
        || files
            .iter()
            .any(|f| matches!(f.kind, InputKind::Wav | InputKind::Manifest))
}

/// Whether a model file is there; warns when it is not (cached transcripts are
/// still used, other calls are reported as unreadable with the fix).
fn model_available(config: &ScanConfig, reporter: &dyn Reporter) -> bool {
    if config.model.is_file() {
        return true;
    }
    reporter.status(&format!(
        "warning: no speech model at {}; recordings not in the transcript cache cannot be transcribed (run `callqa model fetch`)",
        config.model.display()
    ));
    false
}

/// Loads the speech model on first use, so that a nightly rerun whose recordings
/// are all in the transcript cache does not pay for loading it.
struct LazyTranscriber<'a> {
    config: &'a ScanConfig,
    reporter: &'a dyn Reporter,
    model: OnceLock<Result<Option<Box<dyn Transcriber>>, String>>,
    fingerprint: String,
}

impl LazyTranscriber<'_> {
    fn loaded(&self) -> &Result<Option<Box<dyn Transcriber>>, String> {
        self.model.get_or_init(|| {
            whisper_transcriber(self.config, self.reporter).map_err(|e| e.to_string())
        })
    }
}

impl Transcriber for LazyTranscriber<'_> {
    fn transcribe(&self, samples_16k: &[f32]) -> Result<Vec<RecognizedSegment>, AsrError> {
        match self.loaded() {
            Ok(Some(t)) => t.transcribe(samples_16k),
            Ok(None) => Err(AsrError::ModelLoad {
                path: self.config.model.display().to_string(),
                reason:
                    "this build has no speech recognition (built without the `whisper` feature)"
                        .into(),
            }),
            Err(reason) => Err(AsrError::ModelLoad {
                path: self.config.model.display().to_string(),
                reason: reason.clone(),
            }),
        }
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn parallel_windows(&self) -> usize {
        match self.loaded() {
            Ok(Some(t)) => t.parallel_windows(),
            _ => 1,
        }
    }

    fn queue_windows(&self, windows: usize) -> QueuedWindows<'_> {
        match self.loaded() {
            Ok(Some(t)) => t.queue_windows(windows),
            _ => QueuedWindows::untracked(),
        }
    }
}

#[cfg(feature = "whisper")]
fn whisper_transcriber(
    config: &ScanConfig,
    reporter: &dyn Reporter,
) -> Result<Option<Box<dyn Transcriber>>, CliError> {
    use crate::asr::whisper::{WhisperSettings, WhisperTranscriber};
    // Calls transcribed at the same time share the cores window by window
    // (CoreShare): whisper.cpp threads spin, so oversubscribing them costs far more
    // than it gains (measured 2x slower), while a lone call gets them all.
    let settings = WhisperSettings {
        language: config.language.clone(),
        ..WhisperSettings::default()
    };
    reporter.status(&format!("loading speech model {}", config.model.display()));
    let t = WhisperTranscriber::new(&config.model, settings)?;
    Ok(Some(Box::new(t)))
}

#[cfg(not(feature = "whisper"))]
fn whisper_transcriber(
    _: &ScanConfig,
    reporter: &dyn Reporter,
) -> Result<Option<Box<dyn Transcriber>>, CliError> {
    reporter
        .status("warning: built without the `whisper` feature; recordings cannot be transcribed");
    Ok(None)
}

/// Records the rule text results are scored with, so reviewed results can be
/// scored again wherever they are read (a ruleset whose files do not join into one
/// is not recorded: the workbench then shows its results as the machine gave them).
pub(super) fn record_ruleset(store: &mut Store, ruleset: &Ruleset) -> Result<(), StoreError> {
    match ruleset.as_one_file() {
        Some(text) => store.ruleset_put(&ruleset.sha256, text),
        None => Ok(()),
    }
}
