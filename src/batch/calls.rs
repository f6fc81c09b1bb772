//! Call recordings in a batch: collect them from manifests (given with `--manifest`
//! or found among the inputs) and from bare `.wav` inputs, then decode, transcribe
//! and measure each one. A recording that cannot be used becomes an input problem
//! naming the file and the reason; the other calls go on.

use crate::asr::Transcriber;
use crate::audio;
use crate::input::call::{transcribe_call, AsrInput, CallError, CallSpec, ChannelLayout};
use crate::input::manifest::read_manifest;
use crate::input::{InputFile, InputKind, InputProblem, TextRead};
use crate::interaction::Interaction;
use crate::reporter::Reporter;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How to treat recordings.
#[derive(Debug, Clone)]
pub struct CallOptions {
    /// Layout of recordings that no manifest describes.
    pub default_layout: ChannelLayout,
    /// Extra manifests given with --manifest.
    pub manifests: Vec<PathBuf>,
    /// What the recognizer hears of each channel.
    pub asr_input: AsrInput,
}

/// The calls of a batch, in input order, and the problems met finding them.
pub fn collect_calls(
    files: &[InputFile],
    options: &CallOptions,
) -> (Vec<CallSpec>, Vec<InputProblem>) {
    let mut specs = Vec::new();
    let mut problems = Vec::new();
    let mut seen_manifests = HashSet::new();
    let manifests = options.manifests.iter().cloned().chain(
        files
            .iter()
            .filter(|f| f.kind == InputKind::Manifest)
            .map(|f| f.path.clone()),
    );
    for m in manifests {
        if !seen_manifests.insert(canonical(&m)) {
            continue;
        }
        match read_manifest(&m, options.default_layout) {
            Ok(read) => {
                specs.extend(read.calls);
                problems.extend(read.problems.into_iter().map(InputProblem::from));
            }
            Err(e) => problems.push(InputProblem::from(e)),
        }
    }
    let listed: HashSet<PathBuf> = specs.iter().map(|s| canonical(&s.path)).collect();
    for f in files.iter().filter(|f| f.kind == InputKind::Wav) {
        if !listed.contains(&canonical(&f.path)) {
            let mut spec = CallSpec::from_file(&f.path, options.default_layout);
            spec.source = super::display_path(&f.path);
            specs.push(spec);
        }
    }
    for spec in &mut specs {
        spec.asr_input = options.asr_input;
    }
    (specs, problems)
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// Decodes, transcribes and measures every call. Reports progress in audio minutes.
pub fn read_calls(
    files: &[InputFile],
    options: &CallOptions,
    transcriber: Option<&dyn Transcriber>,
    reporter: &dyn Reporter,
) -> TextRead {
    let (specs, mut problems) = collect_calls(files, options);
    let Some(transcriber) = transcriber else {
        problems.extend(specs.iter().map(no_model_problem));
        return TextRead {
            interactions: Vec::new(),
            problems,
        };
    };
    let minutes: Vec<f64> = specs.iter().map(|s| call_minutes(&s.path)).collect();
    let progress = MinutesProgress::new(reporter, minutes.iter().sum());
    let outcomes: Vec<Result<Interaction, InputProblem>> = specs
        .par_iter()
        .zip(&minutes)
        .map(|(spec, &minutes)| {
            let outcome = transcribe_one(spec, transcriber);
            progress.finished(minutes);
            outcome
        })
        .collect();
    let mut interactions = Vec::new();
    for o in outcomes {
        match o {
            Ok(i) => interactions.push(i),
            Err(p) => problems.push(p),
        }
    }
    TextRead {
        interactions,
        problems,
    }
}

/// One call, from file to interaction. The recording is streamed, never held
/// whole, so calls need no memory budget of their own.
pub fn transcribe_one(
    spec: &CallSpec,
    transcriber: &dyn Transcriber,
) -> Result<Interaction, InputProblem> {
    let problem = |reason: String| InputProblem {
        source: spec.path.clone(),
        line: None,
        reason,
    };
    let recording =
        audio::RecordingFile::open(&spec.path).map_err(|e| problem(e.problem.to_string()))?;
    transcribe_call(spec, &recording, transcriber).map_err(|e| match e {
        CallError::Audio(e) => problem(e.problem.to_string()),
        e => {
            let reason = e.to_string();
            let prefix = format!("{}: ", spec.source);
            problem(
                reason
                    .strip_prefix(&prefix)
                    .map(str::to_string)
                    .unwrap_or(reason),
            )
        }
    })
}

/// The problem reported for a call when no speech model is loaded.
pub fn no_model_problem(spec: &CallSpec) -> InputProblem {
    InputProblem {
        source: spec.path.clone(),
        line: None,
        reason: "no speech model loaded, so the call cannot be transcribed; run `callqa model fetch` (or pass --model)".into(),
    }
}

/// A recording's length in minutes from its header (for progress); 0 when the
/// header is unreadable, and transcribing it then reports why.
pub fn call_minutes(path: &Path) -> f64 {
    use audio::CallAudio;
    audio::RecordingFile::open(path).map_or(0.0, |r| r.duration_s() / 60.0)
}

/// Progress in audio minutes (what an operator plans by), reported as workers
/// finish calls.
pub struct MinutesProgress<'a> {
    reporter: &'a dyn Reporter,
    total: f64,
    done_ms: AtomicU64,
}

impl<'a> MinutesProgress<'a> {
    pub fn new(reporter: &'a dyn Reporter, total_minutes: f64) -> Self {
        MinutesProgress {
            reporter,
            total: total_minutes,
            done_ms: AtomicU64::new(0),
        }
    }

    /// A call of `minutes` is done.
    pub fn finished(&self, minutes: f64) {
        let own = (minutes * 60_000.0) as u64;
        let done = (self.done_ms.fetch_add(own, Ordering::Relaxed) + own) as f64 / 60_000.0;
        self.reporter
            .progress(done, self.total.max(done), "audio minutes");
    }
}
