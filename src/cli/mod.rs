//! The command line as a library: [`args`] are what clap parsed, [`config`] the
//! checked run configuration, and [`run`] executes a command and says how it ended
//! as an [`Outcome`] the binary maps to an exit code.

pub mod args;
pub mod config;
mod db_cmd;
mod export_cmd;
mod merge_cmd;
mod model_cmd;
mod rescore_cmd;
mod sample_cmd;
mod scan_cmd;

use crate::reporter::Reporter;
use args::{Cli, Command, RulesCommand};
use std::io::Write;

/// How a command ended; each maps to a documented exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was read and written.
    Done,
    /// Some inputs could not be read; the others were scored and written.
    SomeInputsFailed,
    /// Everything was written, but the mean score is under `--fail-under`.
    UnderGate,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Done => exit::OK,
            Outcome::SomeInputsFailed => exit::INPUTS_FAILED,
            Outcome::UnderGate => exit::UNDER_GATE,
        }
    }
}

/// Exit codes (documented in README).
pub mod exit {
    pub const OK: i32 = 0;
    /// Other failure (output not writable, model conversion failed, ...).
    pub const FAILURE: i32 = 1;
    /// Some inputs could not be read (EX_DATAERR); the rest were processed.
    pub const INPUTS_FAILED: i32 = 65;
    /// The mean score of the run is under `--fail-under`; outputs were written.
    pub const UNDER_GATE: i32 = 3;
    /// Bad command line (EX_USAGE).
    pub const USAGE: i32 = 64;
    /// An INPUT does not exist, or nothing readable was found (EX_NOINPUT); no
    /// output was touched.
    pub const NO_INPUT: i32 = 66;
    /// The state database is in use by another run (EX_TEMPFAIL): retry later.
    pub const DB_IN_USE: i32 = 75;
    /// The state database is damaged (EX_IOERR): `callqa db rebuild` salvages it.
    pub const DB_DAMAGED: i32 = 74;
    /// Bad rule files (EX_CONFIG).
    pub const BAD_RULES: i32 = 78;
}

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Rules(#[from] crate::rules::error::RulesError),
    #[error("{0}")]
    Usage(String),
    /// No input to score: outputs are left as they were.
    #[error("{0}")]
    NoInput(String),
    /// Another process writes to the state database.
    #[error("{0}")]
    InUse(String),
    /// The state database is damaged.
    #[error("{0}")]
    Damaged(String),
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Rules(_) => exit::BAD_RULES,
            CliError::Usage(_) => exit::USAGE,
            CliError::NoInput(_) => exit::NO_INPUT,
            CliError::InUse(_) => exit::DB_IN_USE,
            CliError::Damaged(_) => exit::DB_DAMAGED,
            CliError::Other(_) => exit::FAILURE,
        }
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            e @ crate::store::StoreError::InUse { .. } => CliError::InUse(e.to_string()),
            e @ crate::store::StoreError::Damaged { .. } => CliError::Damaged(e.to_string()),
            e => CliError::Other(e.to_string()),
        }
    }
}

impl From<crate::output::OutputError> for CliError {
    fn from(e: crate::output::OutputError) -> Self {
        CliError::Other(e.to_string())
    }
}

/// Whether `e` (or an error it wraps) is a write to a closed pipe: the reader of
/// stdout has gone (`| head`), which ends a command quietly, not as a failure.
pub(crate) fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut at = Some(e);
    while let Some(e) = at {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return true;
            }
        }
        if let Some(csv) = e.downcast_ref::<::csv::Error>() {
            if let ::csv::ErrorKind::Io(io) = csv.kind() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return true;
                }
            }
        }
        at = e.source();
    }
    false
}

/// Runs one command. `stdout` receives the command's output proper (rule summaries,
/// model info); everything else goes through `reporter`.
pub fn run(cli: Cli, stdout: &mut dyn Write, reporter: &dyn Reporter) -> Result<Outcome, CliError> {
    match cli.command {
        Command::Scan(args) => scan_cmd::run(args, reporter),
        Command::Rules(RulesCommand::Check { path }) => rules_check(&path, stdout),
        Command::Rules(RulesCommand::Test { path }) => rules_test(&path, stdout),
        Command::Model(cmd) => model_cmd::run(cmd, stdout, reporter),
        Command::Sample(args) => sample_cmd::run(args, stdout, reporter),
        Command::Rescore(args) => rescore_cmd::run(args, reporter),
        Command::Merge(args) => merge_cmd::run(args, reporter),
        Command::Export(args) => export_cmd::run(args, stdout, reporter),
        Command::Db(cmd) => db_cmd::run(cmd, stdout),
    }
}

fn rules_test(path: &std::path::Path, stdout: &mut dyn Write) -> Result<Outcome, CliError> {
    let ruleset = crate::rules::Ruleset::load(path)?;
    let report = crate::scan::examples::test_examples(&ruleset);
    let io = |e: std::io::Error| CliError::Other(format!("cannot write to stdout: {e}"));
    for failure in &report.failures {
        writeln!(stdout, "{failure}").map_err(io)?;
    }
    let without: Vec<&str> = ruleset
        .rules
        .iter()
        .filter(|r| r.kind != crate::rules::RuleKind::Metric && r.conditions.examples.is_empty())
        .map(|r| &*r.id)
        .collect();
    if report.failures.is_empty() {
        writeln!(
            stdout,
            "ok: {} example(s) of {} rule(s) behave as written{}",
            report.tested,
            ruleset
                .rules
                .iter()
                .filter(|r| !r.conditions.examples.is_empty())
                .count(),
            if without.is_empty() {
                String::new()
            } else {
                format!("; without examples: {}", without.join(", "))
            }
        )
        .map_err(io)?;
        Ok(Outcome::Done)
    } else {
        Err(CliError::Other(format!(
            "{} of {} example(s) do not behave as written (listed above)",
            report.failures.len(),
            report.tested
        )))
    }
}

fn rules_check(path: &std::path::Path, stdout: &mut dyn Write) -> Result<Outcome, CliError> {
    let ruleset = crate::rules::Ruleset::load(path)?;
    let io = |e: std::io::Error| CliError::Other(format!("cannot write to stdout: {e}"));
    for rule in &ruleset.rules {
        writeln!(stdout, "{}", rule.summary()).map_err(io)?;
    }
    writeln!(
        stdout,
        "ok: {} rules in {} file(s); ruleset {} {} (pass-score {}, sha256 {})",
        ruleset.rules.len(),
        ruleset.files.len(),
        ruleset.name,
        ruleset.version,
        ruleset.pass_score,
        &ruleset.sha256[..12]
    )
    .map_err(io)?;
    Ok(Outcome::Done)
}
