//! `callqa merge`: puts the outputs of shards (`--shard K/N` runs) back together.
//! Each shard directory's `results.jsonl` is read, error lines included; results are
//! de-duplicated by (interaction_id, source); error lines by their whole content
//! (every shard reads every chat file, so a broken chat file is reported by each).
//! The merged lists come back in a fixed order, ready for [`crate::aggregate`] and a
//! [`crate::output::DirSink`].
//!
//! The ruleset comes from the shards too: each writes the rules it ran with to
//! `ruleset.toml` ([`shard_ruleset`]).
//!
//! Order: results by (source, interaction_id, then their JSON text), error lines by
//! (source, error). An unsharded run writes results in input order instead, so to
//! compare the two, sort the unsharded results the same way ([`sort_results`]); the
//! aggregates do not depend on order at all.

use crate::output::ruleset_file::RULESET_TOML;
use crate::output::RESULTS_JSONL;
use crate::rules::Ruleset;
use crate::scan::result::{InputErrorLine, InteractionResult};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// The shards' results, merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    pub results: Vec<InteractionResult>,
    pub errors: Vec<InputErrorLine>,
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no directories to merge; give the shard output directories, e.g. callqa merge out/shard-* --out out/merged")]
    NoDirs,
    #[error("cannot read {path}: {source} (did that shard finish? rerun it, then merge again)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a results line: {source}")]
    Line {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    #[error("interaction {interaction_id} of {source_file} differs between {first} and {second}; the shards were run on different inputs or rules: rerun them alike")]
    Conflict {
        interaction_id: String,
        source_file: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("cannot read {path}: {source}; a shard written by an older callqa has no ruleset.toml: give the rules the shards ran with, --rules PATH")]
    NoRuleset {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not the ruleset the shards' results were scored with (sha256 {file_sha} there, {results_sha} in the results); rerun that shard, or give the rules the shards ran with, --rules PATH")]
    RulesetFile {
        path: PathBuf,
        file_sha: String,
        results_sha: String,
    },
    #[error("{first} was scored with ruleset {first_sha} but {second} with {second_sha}; rerun every shard with the same rules")]
    Rulesets {
        first: PathBuf,
        first_sha: String,
        second: PathBuf,
        second_sha: String,
    },
}

/// Reads and merges `DIR/results.jsonl` of every dir.
pub fn merge(dirs: &[PathBuf]) -> Result<Merged, MergeError> {
    if dirs.is_empty() {
        return Err(MergeError::NoDirs);
    }
    // (source, interaction_id) -> (file it came from, the results it has there)
    let mut by_key: BTreeMap<(String, String), (PathBuf, Vec<InteractionResult>)> = BTreeMap::new();
    let mut errors: Vec<InputErrorLine> = Vec::new();
    let mut ruleset: Option<(PathBuf, String)> = None;
    for dir in dirs {
        let path = dir.join(RESULTS_JSONL);
        let (results, errs) = read_results(&path)?;
        let mut here: BTreeMap<(String, String), Vec<InteractionResult>> = BTreeMap::new();
        for r in results {
            match &ruleset {
                None => ruleset = Some((path.clone(), r.ruleset.sha256.to_string())),
                Some((first, sha)) if **sha != *r.ruleset.sha256 => {
                    return Err(MergeError::Rulesets {
                        first: first.clone(),
                        first_sha: sha.clone(),
                        second: path.clone(),
                        second_sha: r.ruleset.sha256.to_string(),
                    })
                }
                Some(_) => {}
            }
            here.entry((r.source.clone(), r.interaction_id.clone()))
                .or_default()
                .push(r);
        }
        for (key, list) in here {
            match by_key.get(&key) {
                None => {
                    by_key.insert(key, (path.clone(), list));
                }
                Some((first, seen)) if *seen != list => {
                    return Err(MergeError::Conflict {
                        interaction_id: key.1,
                        source_file: key.0,
                        first: first.clone(),
                        second: path.clone(),
                    })
                }
                Some(_) => {}
            }
        }
        errors.extend(errs);
    }
    let mut results: Vec<InteractionResult> =
        by_key.into_values().flat_map(|(_, list)| list).collect();
    sort_results(&mut results);
    errors.sort_by(|a, b| (&a.source, &a.error).cmp(&(&b.source, &b.error)));
    errors.dedup();
    Ok(Merged { results, errors })
}

/// Where the ruleset a shard ran with is: `dir/ruleset.toml`, as the shard wrote
/// it ([`crate::output::ruleset_file`]); an error when it is not there.
pub fn shard_ruleset(dir: &Path) -> Result<PathBuf, MergeError> {
    let path = dir.join(RULESET_TOML);
    match std::fs::metadata(&path) {
        Ok(_) => Ok(path),
        Err(source) => Err(MergeError::NoRuleset { path, source }),
    }
}

/// Checks that `ruleset`, read from `path`, is what `merged` was scored with.
pub fn check_ruleset(merged: &Merged, ruleset: &Ruleset, path: &Path) -> Result<(), MergeError> {
    match merged.results.first() {
        Some(r) if r.ruleset.sha256 != ruleset.sha256 => Err(MergeError::RulesetFile {
            path: path.to_path_buf(),
            file_sha: short(&ruleset.sha256),
            results_sha: short(&r.ruleset.sha256),
        }),
        _ => Ok(()),
    }
}

fn short(sha: &str) -> String {
    sha.chars().take(12).collect()
}

/// Sorts results into merge order: (source, interaction_id, JSON text).
pub fn sort_results(results: &mut [InteractionResult]) {
    results.sort_by_cached_key(|r| {
        (
            r.source.clone(),
            r.interaction_id.clone(),
            serde_json::to_string(r).unwrap_or_default(),
        )
    });
}

/// Reads one results.jsonl: result lines and error lines (those with an `error` key).
pub fn read_results(
    path: &Path,
) -> Result<(Vec<InteractionResult>, Vec<InputErrorLine>), MergeError> {
    let file = std::fs::File::open(path).map_err(|source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| MergeError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |source| MergeError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        };
        let value: serde_json::Value = serde_json::from_str(&line).map_err(bad)?;
        if value.get("error").is_some() {
            errors.push(serde_json::from_value(value).map_err(bad)?);
        } else {
            results.push(serde_json::from_value(value).map_err(bad)?);
        }
    }
    Ok((results, errors))
}
