//! `callqa export`: hands downstream systems (HR performance, BI) the results
//! recorded in the state store since a time, as JSON Lines (each line exactly as in
//! `results.jsonl`) or as a flat CSV, streamed to any writer.
//!
//! Boundary: `--since T` is **inclusive**: a result recorded at exactly `T` is
//! exported. Recorded times are stored to the microsecond (UTC); a `T` with finer
//! precision is compared exactly (a result at 10:00:00.000001 is not at or after
//! 10:00:00.0000015). A consumer that polls should pass the `recorded_at` of the last
//! row it got and drop rows it has already seen, or keep its own high-water mark:
//! re-sending a result never changes it (results are keyed by interaction, source and
//! ruleset). An unchanged result re-recorded by a rerun keeps its first time, so it is
//! not sent again; a rescore records new lines, which are.

use crate::scan::result::InteractionResult;
use crate::store::{Store, StoreError, StoredResult};
use chrono::{DateTime, FixedOffset, Utc};
use std::io::Write;
use std::str::FromStr;

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 10] = [
    "interaction_id",
    "agent_id",
    "started_at",
    "kind",
    "score",
    "passed",
    "fatal",
    "violated_rules",
    "ruleset_version",
    "recorded_at",
];

/// Output format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

impl FromStr for ExportFormat {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(ExportError::Format {
                given: s.to_string(),
            }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("--since {given:?} is not an RFC 3339 time; write it like 2026-11-23T00:00:00Z or 2026-11-23T08:00:00+08:00")]
    Since { given: String },
    #[error("--format {given:?}: use jsonl or csv")]
    Format { given: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database {db}: a stored result is not a results line: {source} (was it written by another callqa version? rescore to rewrite it)")]
    Line {
        db: std::path::PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write the export: {0} (is the pipe or disk still there?)")]
    Write(#[from] std::io::Error),
    #[error("cannot write the export: {0}")]
    Csv(#[from] ::csv::Error),
}

/// Parses an RFC 3339 `--since` value.
pub fn parse_since(s: &str) -> Result<DateTime<FixedOffset>, ExportError> {
    DateTime::parse_from_rfc3339(s.trim()).map_err(|_| ExportError::Since {
        given: s.to_string(),
    })
}

/// Writes every result recorded at or after `since` (all when `None`) to `out`, and
/// returns how many were written. Order: by recorded time, then interaction id,
/// source and ruleset hash.
pub fn export(
    store: &Store,
    since: Option<DateTime<FixedOffset>>,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<usize, ExportError> {
    let since = since.map(|t| t.with_timezone(&Utc));
    let mut n = 0;
    match format {
        ExportFormat::Jsonl => {
            store.for_each_result_since(since, |r: StoredResult| {
                out.write_all(r.line.as_bytes())?;
                out.write_all(b"\n")?;
                n += 1;
                Ok::<(), ExportError>(())
            })?;
            out.flush()?;
        }
        ExportFormat::Csv => {
            let mut w = super::safe_csv::SafeWriter::new(&mut *out);
            w.write_record(CSV_COLUMNS)?;
            store.for_each_result_since(since, |r: StoredResult| {
                let result: InteractionResult =
                    serde_json::from_str(&r.line).map_err(|source| ExportError::Line {
                        db: store.path().to_path_buf(),
                        source,
                    })?;
                w.write_record(csv_row(&result, &r.recorded_at))?;
                n += 1;
                Ok::<(), ExportError>(())
            })?;
            w.flush()?;
        }
    }
    Ok(n)
}

/// One CSV row: violated rule ids are distinct, in the order of the violations,
/// joined with `;`.
pub fn csv_row(r: &InteractionResult, recorded_at: &str) -> [String; 10] {
    let mut rules: Vec<&str> = Vec::new();
    for v in &r.violations {
        if !rules.contains(&&*v.rule_id) {
            rules.push(&v.rule_id);
        }
    }
    let kind = serde_json::to_value(r.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    [
        r.interaction_id.clone(),
        r.agent_id.clone(),
        r.started_at.clone().unwrap_or_default(),
        kind,
        r.score.to_string(),
        r.passed.to_string(),
        r.fatal.to_string(),
        rules.join(";"),
        r.ruleset.version.to_string(),
        recorded_at.to_string(),
    ]
}
