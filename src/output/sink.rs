//! Where a run's outputs go. The batch hands each result (in input order) and each
//! unreadable input to a [`ReportSink`] as it goes, then the aggregates once at the
//! end. [`DirSink`] writes the standard set of files into an output directory.

use super::atomic::{write_atomic, AtomicFile};
use super::html::{self, Report};
use super::jsonl::JsonlWriter;
use super::{csv, OutputError, RunSummary, SampleCoverage, DEFAULT_SAMPLE_TARGET};
use crate::aggregate::Aggregates;
use crate::scan::result::{InputErrorLine, InteractionResult};
use std::path::{Path, PathBuf};

pub const RESULTS_JSONL: &str = "results.jsonl";
pub const AGENTS_CSV: &str = "agents.csv";
pub const RULES_CSV: &str = "rules.csv";
pub const TEAMS_CSV: &str = "teams.csv";
pub const ASSESSMENT_CSV: &str = "assessment.csv";
pub const REPORT_HTML: &str = "report.html";

/// Receives a run's outputs.
pub trait ReportSink {
    /// One scored interaction; called in the order lines should appear.
    fn result(&mut self, r: &InteractionResult) -> Result<(), OutputError>;
    /// One input that could not be read.
    fn input_error(&mut self, line: &InputErrorLine) -> Result<(), OutputError>;
    /// The end of the run: `aggregates` over all results, `results` for the report's
    /// list of failing interactions (turns are not needed).
    fn finish(
        &mut self,
        aggregates: &Aggregates,
        results: &[InteractionResult],
        summary: &RunSummary,
    ) -> Result<(), OutputError>;
}

/// Writes `results.jsonl`, `agents.csv`, `teams.csv`, `assessment.csv`, `rules.csv`
/// and `report.html` into a
/// directory. Nothing appears there before [`ReportSink::finish`]: results stream to
/// a temporary file that is moved into place at the end, and a sink dropped without
/// finishing leaves the previous outputs untouched.
#[derive(Debug)]
pub struct DirSink {
    dir: PathBuf,
    results: Option<JsonlWriter>,
    input_errors: Vec<InputErrorLine>,
    sample_coverage: Vec<SampleCoverage>,
    sample_target: f64,
    excel: bool,
}

impl DirSink {
    /// Creates `dir` if needed and starts `results.jsonl`.
    pub fn create(dir: &Path) -> Result<DirSink, OutputError> {
        std::fs::create_dir_all(dir).map_err(|source| OutputError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let results = JsonlWriter::create(&dir.join(RESULTS_JSONL))?;
        Ok(DirSink {
            dir: dir.to_path_buf(),
            results: Some(results),
            input_errors: Vec::new(),
            sample_coverage: Vec::new(),
            sample_target: DEFAULT_SAMPLE_TARGET,
            excel: false,
        })
    }

    /// Sample coverage per agent and week for the report (e.g. from
    /// [`super::sample_coverage_from_csv`]); without it, or with no rows, the report
    /// has no coverage section. Call before [`ReportSink::finish`].
    pub fn set_sample_coverage(&mut self, rows: Vec<SampleCoverage>) {
        self.sample_coverage = rows;
    }

    /// The sampling rate the coverage is measured against (the run's `--sample`);
    /// [`DEFAULT_SAMPLE_TARGET`] unless set.
    pub fn set_sample_target(&mut self, rate: f64) {
        self.sample_target = rate;
    }

    /// One scored interaction given as its line (the JSON of an
    /// [`InteractionResult`], no newline), in the order lines should appear.
    pub fn result_line(&mut self, line: &str) -> Result<(), OutputError> {
        self.results()?.write_line(line)
    }

    /// `--excel`: every CSV starts with a UTF-8 byte order mark.
    pub fn set_excel(&mut self, on: bool) {
        self.excel = on;
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn results(&mut self) -> Result<&mut JsonlWriter, OutputError> {
        self.results.as_mut().ok_or_else(|| OutputError::Finished {
            path: self.dir.join(RESULTS_JSONL),
        })
    }

    fn write_csv(
        &self,
        name: &str,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), ::csv::Error>,
    ) -> Result<(), OutputError> {
        let path = self.dir.join(name);
        let mut bytes = csv::start(self.excel);
        write(&mut bytes).map_err(|source| OutputError::Csv {
            path: path.clone(),
            source,
        })?;
        write_atomic(&path, &bytes)
    }
}

impl ReportSink for DirSink {
    fn result(&mut self, r: &InteractionResult) -> Result<(), OutputError> {
        self.results()?.write(r)
    }

    fn input_error(&mut self, line: &InputErrorLine) -> Result<(), OutputError> {
        self.results()?.write(line)?;
        self.input_errors.push(line.clone());
        Ok(())
    }

    fn finish(
        &mut self,
        aggregates: &Aggregates,
        results: &[InteractionResult],
        summary: &RunSummary,
    ) -> Result<(), OutputError> {
        let jsonl = self.results.take().ok_or_else(|| OutputError::Finished {
            path: self.dir.join(RESULTS_JSONL),
        })?;
        jsonl.commit()?;
        self.write_csv(AGENTS_CSV, |w| csv::write_agents(w, &aggregates.agents))?;
        self.write_csv(RULES_CSV, |w| csv::write_rules(w, &aggregates.rules))?;
        let dims = &aggregates.dimensions;
        self.write_csv(TEAMS_CSV, |w| csv::write_teams(w, &aggregates.teams, dims))?;
        self.write_csv(ASSESSMENT_CSV, |w| {
            csv::write_assessment(w, &aggregates.assessment, dims)
        })?;
        let page = html::render(&Report {
            summary,
            aggregates,
            results,
            input_errors: &self.input_errors,
            sample_coverage: &self.sample_coverage,
            sample_target: self.sample_target,
        });
        let mut f = AtomicFile::create(&self.dir.join(REPORT_HTML))?;
        f.write_all(page.as_bytes())?;
        f.commit()
    }
}
