//! What the report header says about a run: which standard it applied, when, and
//! how many inputs it read or could not read.

use crate::scan::result::RulesetId;
use serde::Serialize;

/// Facts about one run, shown in the report header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub ruleset: RulesetId,
    /// RFC 3339, UTC, to the second.
    pub generated_at: String,
    /// Input files read.
    pub files: usize,
    /// Interactions scored.
    pub interactions: usize,
    /// Inputs (files or parts of files) that could not be read.
    pub inputs_failed: usize,
    /// Version of callqa that wrote the outputs.
    pub callqa_version: String,
}

impl RunSummary {
    /// A summary stamped with the current time and this crate's version.
    pub fn new(
        ruleset: &RulesetId,
        files: usize,
        interactions: usize,
        inputs_failed: usize,
    ) -> RunSummary {
        RunSummary {
            ruleset: ruleset.clone(),
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            files,
            interactions,
            inputs_failed,
            callqa_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The same summary with a fixed time (reproducible outputs, tests).
    pub fn at(mut self, generated_at: impl Into<String>) -> RunSummary {
        self.generated_at = generated_at.into();
        self
    }
}
