//! The checked configuration of each command that runs a job (`scan`, `rescore`,
//! `merge`, `export`, `sample`): built from the raw arguments, it owns the compiled ruleset
//! and everything else the run needs, so a bad rule file or a bad option stops the
//! command before any input or database is touched.

use super::args::{
    AsrInputArg, AssessArgs, ChannelsArg, ExportArgs, FormatArg, MergeArgs, PeriodArg, RescoreArgs,
    SampleArgs, ScanArgs,
};
use super::CliError;
use crate::aggregate::PeriodKind;
use crate::batch::shard::ShardSpec;
use crate::batch::{CallOptions, SampleSpec};
use crate::call::{AsrInput, ChannelLayout};
use crate::input::roster::Roster;
use crate::output::export::ExportFormat;
use crate::output::postgres::PgTarget;
use crate::rules::Ruleset;
use std::path::{Path, PathBuf};

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
            period: match args.period.unwrap_or(PeriodArg::Week) {
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
        let ruleset = Ruleset::load(&rules_or_default(args.rules))?;
        let jobs = jobs(args.jobs)?;
        let out = out_or_default(args.out);
        let db = args
            .db
            .unwrap_or_else(|| out.join(crate::store::DEFAULT_DB));
        if !db.is_file() {
            return Err(crate::store::StoreError::Missing { path: db }.into());
        }
        Ok(RescoreConfig {
            ruleset,
            out_dir: out,
            db,
            jobs,
            redact: !args.no_redact,
            assess: AssessConfig::from_args(args.assess)?,
        })
    }
}

/// `callqa merge`.
pub struct MergeConfig {
    pub dirs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub ruleset: Ruleset,
    /// Where the ruleset came from, and whether the user named it (`--rules`) or
    /// the first shard wrote it (its `ruleset.toml`).
    pub rules_path: PathBuf,
    pub rules_given: bool,
    pub assess: AssessConfig,
}

impl MergeConfig {
    pub fn from_args(args: MergeArgs) -> Result<MergeConfig, CliError> {
        let (rules_path, rules_given) = match args.rules {
            Some(path) => (path, true),
            None => {
                let first = args
                    .dirs
                    .first()
                    .ok_or(crate::output::merge::MergeError::NoDirs)?;
                (crate::output::merge::shard_ruleset(first)?, false)
            }
        };
        Ok(MergeConfig {
            ruleset: Ruleset::load(&rules_path)?,
            dirs: args.dirs,
            out_dir: out_or_default(args.out),
            rules_path,
            rules_given,
            assess: AssessConfig::from_args(args.assess)?,
        })
    }
}

/// `--out` when neither the command line nor the config file names one.
pub const DEFAULT_OUT: &str = "out";
/// `--rules` when neither the command line nor the config file names them.
pub const DEFAULT_RULES: &str = "rules";

fn out_or_default(out: Option<PathBuf>) -> PathBuf {
    out.unwrap_or_else(|| PathBuf::from(DEFAULT_OUT))
}

/// The rules: as given, else [`DEFAULT_RULES`].
pub fn rules_or_default(rules: Option<PathBuf>) -> PathBuf {
    rules.unwrap_or_else(|| PathBuf::from(DEFAULT_RULES))
}

/// The state database of `export` and `db`: as given, else `out/callqa.db`.
pub fn db_or_default(db: Option<PathBuf>) -> PathBuf {
    db.unwrap_or_else(|| Path::new(DEFAULT_OUT).join(crate::store::DEFAULT_DB))
}

/// `callqa export`.
pub struct ExportConfig {
    pub since: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub format: ExportFormat,
    pub db: PathBuf,
    /// Review records instead of results.
    pub verdicts: bool,
    /// `--postgres URL`: upsert there instead of writing stdout.
    pub postgres: Option<PgTarget>,
}

impl ExportConfig {
    pub fn from_args(args: ExportArgs) -> Result<ExportConfig, CliError> {
        let since = args
            .since
            .as_deref()
            .map(crate::output::export::parse_since)
            .transpose()
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let postgres = args
            .postgres
            .as_deref()
            .map(|url| PgTarget::parse(url, &args.pg_schema))
            .transpose()
            .map_err(CliError::Usage)?;
        Ok(ExportConfig {
            postgres,
            since,
            format: match args.format {
                FormatArg::Jsonl => ExportFormat::Jsonl,
                FormatArg::Csv => ExportFormat::Csv,
            },
            db: db_or_default(args.db),
            verdicts: args.verdicts,
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
        let ruleset = Ruleset::load(&rules_or_default(args.rules))?;
        let out = out_or_default(args.out);
        let jobs = jobs(args.jobs)?;
        // A missing INPUT is a typo or an unmounted archive: stop before anything
        // (the outputs of the last good run included) is touched.
        for input in &args.inputs {
            if !input.exists() {
                return Err(CliError::NoInput(format!(
                    "{}: no such file or directory; nothing was scanned and the outputs in {} are unchanged",
                    input.display(),
                    out.display()
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
        if out.exists() && !out.is_dir() {
            return Err(CliError::Usage(format!(
                "--out {}: exists and is not a directory",
                out.display()
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
            .unwrap_or_else(|| out.join(crate::store::DEFAULT_DB));
        let default_layout = match args.channels.unwrap_or(ChannelsArg::AgentLeft) {
            ChannelsArg::AgentLeft => ChannelLayout::AgentLeft,
            ChannelsArg::AgentRight => ChannelLayout::AgentRight,
            ChannelsArg::Mono => ChannelLayout::Mono,
        };
        Ok(ScanConfig {
            ruleset,
            inputs: args.inputs,
            out_dir: out,
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
            model: args
                .model
                .unwrap_or_else(|| PathBuf::from(crate::model::DEFAULT_MODEL)),
            language: args.language.unwrap_or_else(|| "zh".to_string()),
            db,
            sample,
            shard,
            fail_under: args.fail_under,
            assess: AssessConfig::from_args(args.assess)?,
        })
    }
}
