//! The batch run: read every input, turn it into interactions (transcribing calls),
//! scan them in parallel and hand the results, in input order, to a consumer. A bad
//! input becomes an [`InputProblem`] and the batch goes on.

use crate::asr::Transcriber;
use crate::input::{self, InputFile, InputKind, InputProblem, TextRead};
use crate::interaction::Interaction;
use crate::reporter::Reporter;
use crate::rules::Ruleset;
use crate::scan::{self, result::InteractionResult};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub mod calls;
pub mod incremental;

pub use calls::CallOptions;
pub use incremental::{run_incremental, RunError, RunOutcome, RunPlan, SampleSpec};

/// Files scanned together; results of a chunk are handed out before the next starts,
/// so memory stays bounded however many inputs there are.
const FILES_PER_CHUNK: usize = 64;
/// Interactions scanned together before their results are handed out.
const INTERACTIONS_PER_SLICE: usize = 4096;

/// What one batch run saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchStats {
    pub files: usize,
    pub interactions: usize,
    pub problems: usize,
    /// Recordings sent to the recognizer (a nightly rerun over the same archive: 0).
    pub transcribed: usize,
    /// Recordings whose transcript came from the store's cache.
    pub transcripts_reused: usize,
    /// Interactions whose stored result was handed out instead of scanning again.
    pub results_reused: usize,
    /// Interactions left out: another shard's, or not in the sample.
    pub skipped: usize,
}

/// One item of batch output, in input order.
pub enum Item {
    Result(Box<InteractionResult>),
    Problem(InputProblem),
}

/// Runs the batch over `inputs` and calls `emit` for every result and problem in a
/// deterministic order (the order of the inputs, then of interactions in a file).
pub fn run(
    inputs: &[PathBuf],
    ruleset: &Ruleset,
    calls: &CallOptions,
    transcriber: Option<&dyn Transcriber>,
    reporter: &dyn Reporter,
    mut emit: impl FnMut(Item),
) -> BatchStats {
    let (files, problems) = input::discover(inputs);
    let mut stats = BatchStats {
        files: files.len(),
        ..Default::default()
    };
    for p in problems {
        reporter.input_error(&p.source, &p.to_string());
        stats.problems += 1;
        emit(Item::Problem(p));
    }
    let (call_files, text_files): (Vec<InputFile>, Vec<InputFile>) = files
        .into_iter()
        .partition(|f| matches!(f.kind, InputKind::Wav | InputKind::Manifest));

    let total = text_files.len();
    for (chunk_no, chunk) in text_files.chunks(FILES_PER_CHUNK).enumerate() {
        let reads: Vec<TextRead> = chunk.par_iter().map(read_text_file).collect();
        for read in reads {
            emit_read(read, ruleset, reporter, &mut stats, &mut emit);
        }
        let done = ((chunk_no + 1) * FILES_PER_CHUNK).min(total);
        reporter.progress(done as f64, total as f64, "files");
    }
    if !call_files.is_empty() {
        let read = calls::read_calls(&call_files, calls, transcriber, reporter);
        emit_read(read, ruleset, reporter, &mut stats, &mut emit);
    }
    stats
}

fn emit_read(
    read: TextRead,
    ruleset: &Ruleset,
    reporter: &dyn Reporter,
    stats: &mut BatchStats,
    emit: &mut impl FnMut(Item),
) {
    for p in read.problems {
        reporter.input_error(&p.source, &p.to_string());
        stats.problems += 1;
        emit(Item::Problem(p));
    }
    // Results take over the turns of their interaction; scanning in slices keeps
    // only one slice of results alive at a time.
    let mut interactions = read.interactions.into_iter();
    loop {
        let slice: Vec<Interaction> = interactions.by_ref().take(INTERACTIONS_PER_SLICE).collect();
        if slice.is_empty() {
            break;
        }
        let results: Vec<InteractionResult> = slice
            .into_par_iter()
            .map(|i| scan::scan_owned(i, ruleset))
            .collect();
        stats.interactions += results.len();
        for r in results {
            emit(Item::Result(Box::new(r)));
        }
    }
}

/// Reads a chat log or transcript file.
pub fn read_text_file(file: &InputFile) -> TextRead {
    let source = display_path(&file.path);
    let problem = |reason: String| TextRead {
        interactions: Vec::new(),
        problems: vec![InputProblem {
            source: file.path.clone(),
            line: None,
            reason,
        }],
    };
    match file.kind {
        InputKind::ChatJsonl => match std::fs::File::open(&file.path) {
            Ok(f) => input::chat::read_jsonl(
                &file.path,
                &source,
                std::io::BufReader::with_capacity(1 << 16, f),
            ),
            Err(e) => problem(format!("cannot open: {e}")),
        },
        InputKind::ChatCsv => match std::fs::File::open(&file.path) {
            Ok(f) => input::chat::read_csv(
                &file.path,
                &source,
                std::io::BufReader::with_capacity(1 << 16, f),
            ),
            Err(e) => problem(format!("cannot open: {e}")),
        },
        InputKind::Transcript => match std::fs::read(&file.path) {
            Ok(bytes) => input::transcript::read(&file.path, &source, &bytes),
            Err(e) => problem(format!("cannot read: {e}")),
        },
        InputKind::Wav | InputKind::Manifest => problem("not a text input".into()),
    }
}

/// The path as results show it: as given, with `/` separators.
pub fn display_path(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// Convenience for tests and library users: scan interactions already in memory.
pub fn scan_all(interactions: &[Interaction], ruleset: &Ruleset) -> Vec<InteractionResult> {
    interactions
        .par_iter()
        .map(|i| scan::scan(i, ruleset))
        .collect()
}
