//! The batch run: read every input, turn it into interactions (transcribing calls),
//! scan them in parallel and hand the results, in input order, to a consumer. A bad
//! input becomes an [`InputProblem`] and the batch goes
//! on. The run is store-backed ([`incremental`]): inputs are remembered by content
//! hash, transcripts are cached and unchanged results handed out again.

use crate::input::InputProblem;
use crate::scan::result::InteractionResult;

mod call_path;
pub mod incremental;
pub mod progress;
mod scored;
mod selection;
pub mod shard;
mod stored;
mod streamed;
mod text_path;

pub use crate::call::CallOptions;
pub use incremental::{run_incremental, RunError, RunOutcome, RunPlan, SampleSpec};
pub use selection::sample_items;
pub use stored::{result_hash, stored_line};

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
    /// Large chat logs unchanged since they were scored in full: their stored
    /// results were handed out without reading them.
    pub files_unread: usize,
}

impl BatchStats {
    /// Adds the counts of `other` (files excepted: they are counted once, up front).
    pub(crate) fn add(&mut self, other: &BatchStats) {
        self.interactions += other.interactions;
        self.problems += other.problems;
        self.transcribed += other.transcribed;
        self.transcripts_reused += other.transcripts_reused;
        self.results_reused += other.results_reused;
        self.skipped += other.skipped;
        self.files_unread += other.files_unread;
    }
}

/// One item of batch output, in input order.
pub enum Item {
    Result(Box<Scored>),
    Problem(InputProblem),
}

/// A scored interaction as the batch hands it out.
pub struct Scored {
    /// The result. When `line` is there, its turns may be left out: they are in
    /// the line (parse it for the whole result).
    pub result: InteractionResult,
    /// The `results.jsonl` line of the result (its JSON, no newline) when the batch
    /// has it already, written as it is instead of encoding `result` again.
    pub line: Option<String>,
}

impl Scored {
    /// The `results.jsonl` line: the one at hand, or the result encoded.
    pub fn to_line(&self) -> Result<String, serde_json::Error> {
        match &self.line {
            Some(line) => Ok(line.clone()),
            None => serde_json::to_string(&self.result),
        }
    }
}
