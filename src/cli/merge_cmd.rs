//! `callqa merge`: combines the output directories of `scan --shard K/N` runs into
//! one `results.jsonl` (de-duplicated, in merge order), aggregates and report, and
//! copies the (global) `sample.csv` of the first shard that has one. The ruleset is
//! the one the first shard wrote (`ruleset.toml`) unless `--rules` names it.

use super::args::MergeArgs;
use super::config::MergeConfig;
use super::scan_cmd::{finish, slim};
use super::{CliError, Outcome};
use crate::output::merge;
use crate::output::{DirSink, ReportSink};
use crate::reporter::Reporter;
use crate::sample::csv::SAMPLE_CSV;

pub fn run(args: MergeArgs, reporter: &dyn Reporter) -> Result<Outcome, CliError> {
    let MergeConfig {
        dirs,
        out_dir,
        ruleset,
        rules_path,
        rules_given,
        assess,
    } = MergeConfig::from_args(args)?;
    let merged = merge::merge(&dirs)?;
    if !rules_given {
        merge::check_ruleset(&merged, &ruleset, &rules_path)?;
    } else if let Some(r) = merged
        .results
        .iter()
        .find(|r| r.ruleset.sha256 != ruleset.sha256)
    {
        return Err(CliError::Usage(format!(
            "the shards were scored with ruleset {} {} (sha256 {}) but --rules {} is {} {} (sha256 {}); give the rules the shards ran with, or leave --rules out to use the shards' ruleset.toml",
            r.ruleset.name,
            r.ruleset.version,
            &r.ruleset.sha256[..12.min(r.ruleset.sha256.len())],
            rules_path.display(),
            ruleset.name,
            ruleset.version,
            &ruleset.sha256[..12]
        )));
    }
    let mut sink = DirSink::create(&out_dir)?;
    for r in &merged.results {
        sink.result(r)?;
    }
    for e in &merged.errors {
        sink.input_error(e)?;
    }
    if let Some(sample) = dirs
        .iter()
        .map(|d| d.join(SAMPLE_CSV))
        .find(|p| p.is_file())
    {
        let bytes = std::fs::read(&sample).map_err(|source| CliError::Read {
            path: sample.clone(),
            source,
        })?;
        crate::output::atomic::write_atomic(&out_dir.join(SAMPLE_CSV), &bytes)?;
        sink.set_sample_coverage(crate::output::sample_coverage_from_csv(&sample)?);
    }
    let (n, problems) = (merged.results.len(), merged.errors.len());
    let kept: Vec<_> = merged.results.into_iter().map(slim).collect();
    finish(&mut sink, &ruleset, &assess, &kept, (0, problems), reporter)?;
    reporter.status(&format!(
        "merged {} shard output(s): {n} interaction(s), {problems} problem(s); outputs in {}",
        dirs.len(),
        out_dir.display()
    ));
    Ok(if problems > 0 {
        Outcome::SomeInputsFailed
    } else {
        Outcome::Done
    })
}
