//! The checked run configuration of `callqa scan`: built from raw arguments, it owns
//! the compiled ruleset and everything else the run needs, so a bad rule file or a
//! bad option stops the run before any input is read.

use super::args::{AsrInputArg, ChannelsArg, ScanArgs};
use super::CliError;
use crate::batch::shard::ShardSpec;
use crate::batch::{CallOptions, SampleSpec};
use crate::call::{AsrInput, ChannelLayout};
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
}

impl ScanConfig {
    pub fn from_args(args: ScanArgs) -> Result<ScanConfig, CliError> {
        let ruleset = Ruleset::load(&args.rules)?;
        let jobs = match args.jobs {
            Some(0) => return Err(CliError::Usage("--jobs must be at least 1".into())),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
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
        })
    }
}
