//! Call recordings in a batch: collect them from manifests (given with `--manifest`
//! or found among the inputs) and from bare `.wav` inputs, then decode, transcribe
//! and measure each one. A recording that cannot be used becomes an input problem
//! naming the file and the reason; the other calls go on.

use super::manifest::read_manifest;
use super::spec::{AsrInput, CallError, CallSpec, ChannelLayout};
use super::transcribe::transcribe_call;
use crate::asr::Transcriber;
use crate::audio;
use crate::input::{display_path, InputFile, InputKind, InputProblem};
use crate::interaction::Interaction;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

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
    let mut rejected = Vec::new();
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
                rejected.extend(read.rejected_files);
                problems.extend(read.problems.into_iter().map(InputProblem::from));
            }
            Err(e) => problems.push(InputProblem::from(e)),
        }
    }
    // A recording a manifest names is described there or nowhere: one on a
    // rejected line is not scored with defaults either.
    let listed: HashSet<PathBuf> = specs
        .iter()
        .map(|s| canonical(&s.path))
        .chain(rejected.iter().map(|p| canonical(p)))
        .collect();
    for f in files.iter().filter(|f| f.kind == InputKind::Wav) {
        if !listed.contains(&canonical(&f.path)) {
            let mut spec = CallSpec::from_file(&f.path, options.default_layout);
            spec.source = display_path(&f.path);
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

/// Whether the call is transcribed as mono (so its roles depend on the agent's
/// script words): the `mono` layout, or a one-channel file no manifest gave a
/// layout. An unreadable header counts as not mono; transcribing says why.
pub fn heard_as_mono(spec: &CallSpec) -> bool {
    use audio::CallAudio;
    spec.layout == ChannelLayout::Mono
        || (!spec.layout_given
            && audio::RecordingFile::open(&spec.path).is_ok_and(|r| r.channel_count() == 1))
}

/// A recording's length in minutes from its header (for progress); 0 when the
/// header is unreadable, and transcribing it then reports why.
pub fn call_minutes(path: &Path) -> f64 {
    use audio::CallAudio;
    audio::RecordingFile::open(path).map_or(0.0, |r| r.duration_s() / 60.0)
}
