//! Everything a run leaves behind for people and other systems: `results.jsonl` (the
//! contract with downstream systems), `agents.csv`, `teams.csv`, `assessment.csv` and
//! `rules.csv` (the aggregates), `report.html` (the page a QA lead opens) and
//! `ruleset.toml` (the rules the run scored with). Every file is written atomically, so
//! a reader never sees half a file, even when the run is killed.

pub mod assessment_schema;
pub mod atomic;
mod coverage;
pub mod csv;
mod error;
pub mod export;
pub mod html;
pub mod jsonl;
pub mod merge;
pub mod postgres;
pub mod ruleset_file;
pub mod safe_csv;
mod sink;
mod summary;

pub use coverage::{
    coverage_from_rows, sample_coverage_from_csv, SampleCoverage, DEFAULT_SAMPLE_TARGET,
};
pub use error::OutputError;
pub use sink::{
    DirSink, ReportSink, AGENTS_CSV, ASSESSMENT_CSV, REPORT_HTML, RESULTS_JSONL, RULES_CSV,
    TEAMS_CSV,
};
pub use summary::RunSummary;
