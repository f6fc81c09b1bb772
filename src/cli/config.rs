//! The checked configuration of each command that runs a job (`scan`, `rescore`,
//! `export`, `sample`): built from the raw arguments, it owns the compiled ruleset
//! and everything else the run needs, so a bad rule file or a bad option stops the
//! command before any input or database is touched.

use super::args::{
    AsrInputArg, AssessArgs, ChannelsArg, ExportArgs, FormatArg, PeriodArg, RescoreArgs,
    SampleArgs, ScanArgs,
};
use super::CliError;
use crate::aggregate::PeriodKind;
use crate::batch::shard::ShardSpec;
use crate::batch::{CallOptions, SampleSpec};
use crate::call::{AsrInput, ChannelLayout};
use crate::input::roster::Roster;
use crate::output::export::ExportFormat;
use crate::rules::Ruleset;
use std::path::PathBuf;

pub struct ScanConfig {
    pub ruleset: Ruleset,
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub jobs: usize,
    pub redact: bool,
    pub calls: CallOptions,
    pub model: PathBuf,
    pub language: String,
    pub db: PathBuf,
    pub sample: Option<SampleSpec>,
    pub shard: ShardSpec,
    pub fail_under: Option<f64>,
    pub assess: AssessConfig,
}

/// `--roster`, `--period`, `--excel`, checked (the roster read and validated).
pub struct AssessConfig {
    pub roster: Option<Roster>,
    pub period: PeriodKind,
    pub excel: bool,
}

impl AssessConfig {
    pub fn from_args(args: AssessArgs) -> Result<AssessConfig, CliError> {
        let roster = match &args.roster {
            Some(path) => Some(crate::input::roster::read(path)?),
            None => None,
        };
        Ok(AssessConfig {
            roster,
            period: match args.period {
                PeriodArg::Week => PeriodKind::Week,
                PeriodArg::Month => PeriodKind::Month,
                PeriodArg::Quarter => PeriodKind::Quarter,
            },
            excel: args.excel,
        })
    }
}

/// `--jobs`: at least 1; the number of CPUs when not given.
fn jobs(arg: Option<usize>) -> Result<usize, CliError> {
    match arg {
        Some(0) => Err(CliError::Usage("--jobs must be at least 1".into())),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// `callqa rescore`.
pub struct RescoreConfig {
    pub ruleset: Ruleset,
    pub out_dir: PathBuf,
    pub db: PathBuf,
    pub jobs: usize,
    pub redact: bool,
    pub assess: AssessConfig,
}

impl RescoreConfig {
    pub fn from_args(args: RescoreArgs) -> Result<RescoreConfig, CliError> {
        let ruleset = Ruleset::load(&args.rules)?;
        let jobs = jobs(args.jobs)?;
        let db = args
            .db
            .unwrap_or_else(|| args.out.join(crate::store::DEFAULT_DB));
        if !db.is_file() {
            return Err(crate::store::StoreError::Missing { path: db }.into());
        }
        Ok(RescoreConfig {
            ruleset,
            out_dir: args.out,
            db,
            jobs,
            redact: !args.no_redact,
            assess: AssessConfig::from_args(args.assess)?,
        })
    }
}

/// `callqa export`.
pub struct ExportConfig {
    pub since: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub format: ExportFormat,
    pub db: PathBuf,
}

impl ExportConfig {
    pub fn from_args(args: ExportArgs) -> Result<ExportConfig, CliError> {
        let since = args
            .since
            .as_deref()
            .map(crate::output::export::parse_since)
            .transpose()
            .map_err(|e| CliError::Usage(e.to_string()))?;
        Ok(ExportConfig {
            since,
            format: match args.format {
                FormatArg::Jsonl => ExportFormat::Jsonl,
                FormatArg::Csv => ExportFormat::Csv,
            },
            db: args.db,
        })
    }
}

/// `callqa sample`.
pub struct SampleConfig {
    pub inputs: Vec<PathBuf>,
    pub rate: f64,
    pub seed: u64,
    pub db: Option<PathBuf>,
    pub calls: CallOptions,
}

impl SampleConfig {
    pub fn from_args(args: SampleArgs) -> Result<SampleConfig, CliError> {
        let rate =
            crate::sample::check_rate(args.rate).map_err(|e| CliError::Usage(e.to_string()))?;
        Ok(SampleConfig {
            inputs: args.inputs,
            rate,
            seed: args.seed,
            db: args.db,
            calls: CallOptions {
                default_layout: Default::default(),
                manifests: args.manifest,
                asr_input: Default::default(),
            },
        })
    }
}

impl ScanConfig {
    pub fn from_args(args: ScanArgs) -> Result<ScanConfig, CliError> {
        let ruleset = Ruleset::load(&args.rules)?;
        let jobs = jobs(args.jobs)?;
        // A missing INPUT is a typo or an unmounted archive: stop before anything
        // (the outputs of the last good run included) is touched.
        for input in &args.inputs {
            if !input.exists() {
                return Err(CliError::NoInput(format!(
                    "{}: no such file or directory; nothing was scanned and the outputs in {} are unchanged",
                    input.display(),
                    args.out.display()
                )));
            }
        }
        if let Some(s) = args.fail_under {
            if !(0.0..=100.0).contains(&s) {
                return Err(CliError::Usage(format!(
                    "--fail-under {s}: use a score from 0 to 100"
                )));
            }
        }
        for m in &args.manifest {
            if !m.is_file() {
                return Err(CliError::Usage(format!(
                    "--manifest {}: no such file",
                    m.display()
                )));
            }
        }
        if args.out.exists() && !args.out.is_dir() {
            return Err(CliError::Usage(format!(
                "--out {}: exists and is not a directory",
                args.out.display()
            )));
        }
        let sample = match args.sample {
            Some(rate) => {
                let rate =
                    crate::sample::check_rate(rate).map_err(|e| CliError::Usage(e.to_string()))?;
                Some(SampleSpec {
                    rate,
                    seed: args.seed,
                })
            }
            None => None,
        };
        let shard = match &args.shard {
            Some(s) => ShardSpec::parse(s).map_err(|e| CliError::Usage(e.to_string()))?,
            None => ShardSpec::ALL,
        };
        let db = args
            .db
            .unwrap_or_else(|| args.out.join(crate::store::DEFAULT_DB));
        let default_layout = match args.channels {
            ChannelsArg::AgentLeft => ChannelLayout::AgentLeft,
            ChannelsArg::AgentRight => ChannelLayout::AgentRight,
            ChannelsArg::Mono => ChannelLayout::Mono,
        };
        Ok(ScanConfig {
            ruleset,
            inputs: args.inputs,
            out_dir: args.out,
            jobs,
            redact: !args.no_redact,
            calls: CallOptions {
                default_layout,
                manifests: args.manifest,
                asr_input: match args.asr_input {
                    AsrInputArg::Speech => AsrInput::Speech,
                    AsrInputArg::Whole => AsrInput::Whole,
                },
            },
            model: args.model,
            language: args.language,
            db,
            sample,
            shard,
            fail_under: args.fail_under,
            assess: AssessConfig::from_args(args.assess)?,
        })
    }
}
