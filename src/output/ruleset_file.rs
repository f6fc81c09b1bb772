//! `ruleset.toml`: the exact rule text a run scored with (the rule files
//! concatenated in load order), written beside its results so that `callqa merge`
//! can take the shards' ruleset from the shards themselves. Loaded as one rule file,
//! it has the same sha256 as the results' `ruleset.sha256`.

use super::atomic::write_atomic;
use super::OutputError;
use crate::rules::Ruleset;
use std::path::Path;

pub const RULESET_TOML: &str = "ruleset.toml";

/// Writes `dir/ruleset.toml` atomically; returns false (and removes an older
/// `ruleset.toml`, which would name another ruleset) when the rule files do not read
/// back as one file, see [`Ruleset::as_one_file`].
pub fn write(dir: &Path, ruleset: &Ruleset) -> Result<bool, OutputError> {
    let path = dir.join(RULESET_TOML);
    match ruleset.as_one_file() {
        Some(text) => {
            write_atomic(&path, text.as_bytes())?;
            Ok(true)
        }
        None => {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(OutputError::Write { path, source: e })
                }
                _ => {}
            }
            Ok(false)
        }
    }
}
