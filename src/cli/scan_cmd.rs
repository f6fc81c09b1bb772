//! `callqa scan`: check the configuration, run the batch, write the outputs.

use super::args::ScanArgs;
use super::config::ScanConfig;
use super::{CliError, Outcome};
use crate::aggregate::{self, RuleInfo};
use crate::asr::Transcriber;
use crate::batch::{self, Item};
use crate::input::{self, InputKind};
use crate::output::{DirSink, ReportSink, RunSummary};
use crate::reporter::Reporter;
use crate::scan::result::{InputErrorLine, SCHEMA_VERSION};

pub fn run(args: ScanArgs, reporter: &dyn Reporter) -> Result<Outcome, CliError> {
    let config = ScanConfig::from_args(args)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.jobs)
        .build()
        .map_err(|e| CliError::Other(format!("cannot start {} worker threads: {e}", config.jobs)))?;
    let transcriber = load_transcriber(&config, reporter)?;
    let mut sink = DirSink::create(&config.out_dir).map_err(|e| CliError::Other(e.to_string()))?;
    let mut kept = Vec::new();
    let mut write_error = None;
    let stats = pool.install(|| {
        batch::run(&config.inputs, &config.ruleset, &config.calls, transcriber.as_deref(), reporter, |item| {
            if write_error.is_some() {
                return;
            }
            let written = match item {
                Item::Result(mut r) => {
                    if config.redact {
                        crate::text::redact::redact_result(&mut r);
                    }
                    let w = sink.result(&r);
                    // Aggregates and the report need no turn texts, and the report shows
                    // evidence only for failing interactions.
                    r.turns = Vec::new();
                    if r.passed {
                        for e in r.violations.iter_mut().flat_map(|v| v.evidence.iter_mut().chain(v.outside_window.iter_mut())) {
                            e.text = String::new();
                        }
                    }
                    kept.push(*r);
                    w
                }
                Item::Problem(p) => sink.input_error(&InputErrorLine {
                    schema_version: SCHEMA_VERSION,
                    source: crate::batch::display_path(&p.source),
                    error: p.to_string(),
                }),
            };
            if let Err(e) = written {
                write_error = Some(e);
            }
        })
    });
    if let Some(e) = write_error {
        return Err(CliError::Other(e.to_string()));
    }
    let rules: Vec<RuleInfo> = config
        .ruleset
        .rules
        .iter()
        .map(|r| RuleInfo { id: r.id.clone(), kind: r.kind, title: r.title.clone(), severity: r.severity })
        .collect();
    let aggregates = aggregate::aggregate(&kept, &rules, &config.ruleset.bands);
    let summary = RunSummary::new(&config.ruleset.id(), stats.files, stats.interactions, stats.problems);
    sink.finish(&aggregates, &kept, &summary).map_err(|e| CliError::Other(e.to_string()))?;
    reporter.status(&format!(
        "scanned {} interaction(s) from {} file(s); {} problem(s); outputs in {}",
        stats.interactions,
        stats.files,
        stats.problems,
        config.out_dir.display()
    ));
    Ok(if stats.problems > 0 { Outcome::SomeInputsFailed } else { Outcome::Done })
}

/// Loads the speech model only when there are recordings to transcribe. A missing
/// model is not fatal: each call is then reported as unreadable with the fix.
fn load_transcriber(config: &ScanConfig, reporter: &dyn Reporter) -> Result<Option<Box<dyn Transcriber>>, CliError> {
    let (files, _) = input::discover(&config.inputs);
    let has_calls = !config.calls.manifests.is_empty() || files.iter().any(|f| matches!(f.kind, InputKind::Wav | InputKind::Manifest));
    if !has_calls {
        return Ok(None);
    }
    if !config.model.is_file() {
        reporter.status(&format!(
            "warning: no speech model at {}; recordings cannot be transcribed (run `callqa model fetch`)",
            config.model.display()
        ));
        return Ok(None);
    }
    whisper_transcriber(config, reporter)
}

#[cfg(feature = "whisper")]
fn whisper_transcriber(config: &ScanConfig, reporter: &dyn Reporter) -> Result<Option<Box<dyn Transcriber>>, CliError> {
    use crate::asr::whisper::{WhisperSettings, WhisperTranscriber};
    let settings = WhisperSettings { language: config.language.clone(), ..WhisperSettings::default() };
    reporter.status(&format!("loading speech model {}", config.model.display()));
    let t = WhisperTranscriber::new(&config.model, settings).map_err(|e| CliError::Other(e.to_string()))?;
    Ok(Some(Box::new(t)))
}

#[cfg(not(feature = "whisper"))]
fn whisper_transcriber(_: &ScanConfig, reporter: &dyn Reporter) -> Result<Option<Box<dyn Transcriber>>, CliError> {
    reporter.status("warning: built without the `whisper` feature; recordings cannot be transcribed");
    Ok(None)
}
