//! The command line as a library: [`args`] are what clap parsed, [`config`] the
//! checked run configuration, and [`run`] executes a command and says how it ended
//! as an [`Outcome`] the binary maps to an exit code.

pub mod args;
pub mod config;
pub mod config_file;
mod db_cmd;
mod export_cmd;
mod kept;
mod merge_cmd;
mod model_cmd;
mod rescore_cmd;
mod sample_cmd;
mod scan_cmd;
mod serve_cmd;

use crate::reporter::Reporter;
use args::{Cli, Command, RulesCommand};
use std::io::Write;
use std::path::PathBuf;

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
    /// Bad rule files, roster or config file (EX_CONFIG).
    pub const BAD_RULES: i32 = 78;
}

/// Why a command could not do its job. Each variant keeps its source, and
/// [`CliError::exit_code`] maps it to a documented exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Rules(#[from] crate::rules::error::RulesError),
    /// The roster: a configuration file, refused as a whole when a line is bad.
    #[error(transparent)]
    Roster(#[from] crate::input::roster::RosterError),
    #[error("{0}")]
    Usage(String),
    /// The config file (`callqa.toml`, `--config`, `$CALLQA_CONFIG`).
    #[error(transparent)]
    ConfigFile(#[from] config_file::ConfigFileError),
    /// No input to score: outputs are left as they were.
    #[error("{0}")]
    NoInput(String),
    /// The state database: in use, damaged, unreadable.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    Merge(#[from] crate::output::merge::MergeError),
    #[error(transparent)]
    Export(#[from] crate::output::export::ExportError),
    #[error(transparent)]
    Postgres(#[from] crate::output::postgres::PgError),
    #[error(transparent)]
    Asr(#[from] crate::asr::AsrError),
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    #[error(transparent)]
    Users(#[from] crate::serve::users::UsersError),
    #[error("cannot write to stdout: {0}")]
    Stdout(#[source] std::io::Error),
    #[error("cannot write {path}: {source}")]
    Csv {
        path: std::path::PathBuf,
        source: ::csv::Error,
    },
    #[error("cannot create --out {path}: {source}")]
    CreateOut {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start {jobs} worker threads: {source}")]
    Threads {
        jobs: usize,
        source: rayon::ThreadPoolBuildError,
    },
    #[error("{failed} of {tested} example(s) do not behave as written (listed above)")]
    Examples { failed: usize, tested: usize },
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        use crate::store::StoreError;
        match self {
            CliError::Rules(_) | CliError::Roster(_) | CliError::ConfigFile(_) => exit::BAD_RULES,
            CliError::Usage(_) => exit::USAGE,
            CliError::NoInput(_) => exit::NO_INPUT,
            CliError::Store(StoreError::InUse { .. }) => exit::DB_IN_USE,
            CliError::Store(StoreError::Damaged { .. }) => exit::DB_DAMAGED,
            _ => exit::FAILURE,
        }
    }

    /// The message as the binary prints it: every line starts with `error: `
    /// (a rules error already lists each problem on its own such line).
    pub fn report(&self) -> String {
        match self {
            CliError::Rules(e) => e.to_string(),
            CliError::Roster(e) => e
                .problems
                .iter()
                .map(|p| format!("error: {p}"))
                .collect::<Vec<_>>()
                .join("\n"),
            e => format!("error: {e}"),
        }
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
pub fn run(
    mut cli: Cli,
    stdout: &mut dyn Write,
    reporter: &dyn Reporter,
) -> Result<Outcome, CliError> {
    let env = std::env::var_os(config_file::CONFIG_ENV);
    let file = config_file::find(cli.config.as_deref(), env, std::path::Path::new(""))?;
    config_file::apply(&mut cli, &file);
    match cli.command {
        Command::Scan(args) => scan_cmd::run(args, reporter),
        Command::Rules(RulesCommand::Check { path }) => rules_check(path, stdout),
        Command::Rules(RulesCommand::Test { path }) => rules_test(path, stdout),
        Command::Model(cmd) => model_cmd::run(cmd, stdout, reporter),
        Command::Sample(args) => sample_cmd::run(args, stdout, reporter),
        Command::Rescore(args) => rescore_cmd::run(args, reporter),
        Command::Merge(args) => merge_cmd::run(args, reporter),
        Command::Export(args) => export_cmd::run(args, stdout, reporter),
        Command::Db(cmd) => db_cmd::run(cmd, stdout),
        Command::Serve(args) => serve_cmd::run(args, reporter),
        Command::Users(cmd) => serve_cmd::users(cmd, reporter),
    }
}

fn rules_test(path: Option<PathBuf>, stdout: &mut dyn Write) -> Result<Outcome, CliError> {
    let ruleset = crate::rules::Ruleset::load(&config::rules_or_default(path))?;
    let report = crate::scan::examples::test_examples(&ruleset);
    let io = CliError::Stdout;
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
        Err(CliError::Examples {
            failed: report.failures.len(),
            tested: report.tested,
        })
    }
}

fn rules_check(path: Option<PathBuf>, stdout: &mut dyn Write) -> Result<Outcome, CliError> {
    let ruleset = crate::rules::Ruleset::load(&config::rules_or_default(path))?;
    let io = CliError::Stdout;
    for rule in &ruleset.rules {
        let mut line = rule.summary();
        if let Some(d) = rule.dimension.and_then(|d| ruleset.dimensions.get(d)) {
            line.push_str(&format!("  [{}]", d.id));
        }
        writeln!(stdout, "{line}").map_err(io)?;
    }
    for d in &ruleset.dimensions {
        writeln!(
            stdout,
            "dimension {:<18} {:>5} %  {}",
            d.id, d.weight, d.title
        )
        .map_err(io)?;
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
