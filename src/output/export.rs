//! `callqa export`: hands downstream systems (HR performance, BI) the results
//! recorded in the state store since a time, as JSON Lines (each line exactly as in
//! `results.jsonl`) or as a flat CSV, streamed to any writer. Results come with
//! what review and appeals decided ([`crate::scan::review`]); the review records
//! themselves are exported with `--verdicts` ([`verdicts`]).
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
use crate::store::reviewed::Reviews;
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
    let mut reviews = Reviews::load(store)?;
    let mut n = 0;
    match format {
        ExportFormat::Jsonl => {
            store.for_each_result_since(since, |r: StoredResult| {
                let line = reviews.reviewed_line(store, &r)?.unwrap_or(r.line);
                out.write_all(line.as_bytes())?;
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
                let mut result = parse(store, &r.line)?;
                reviews.apply(store, &mut result)?;
                w.write_record(csv_row(&result, &r.recorded_at))?;
                n += 1;
                Ok::<(), ExportError>(())
            })?;
            w.flush()?;
        }
    }
    Ok(n)
}

/// A stored results line, read.
fn parse(store: &Store, line: &str) -> Result<InteractionResult, ExportError> {
    serde_json::from_str(line).map_err(|source| ExportError::Line {
        db: store.path().to_path_buf(),
        source,
    })
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

/// The CSV columns of `export --verdicts`: one row per verdict or appeal.
pub const VERDICT_COLUMNS: [&str; 15] = [
    "record",
    "id",
    "interaction_id",
    "source",
    "rule_id",
    "verdict",
    "hit_key",
    "start_s",
    "text",
    "user",
    "created_at",
    "ruling",
    "ruling_note",
    "ruled_by",
    "ruled_at",
];

/// Writes the review records given or ruled at or after `since` (all when `None`):
/// verdicts (`"record": "verdict"`, as `GET /api/interactions/{id}` shows them),
/// then appeals (`"record": "appeal"`), each oldest first. Returns how many.
pub fn verdicts(
    store: &Store,
    since: Option<DateTime<FixedOffset>>,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<usize, ExportError> {
    let since = since.map(|t| t.with_timezone(&Utc));
    let after = |t: Option<&str>| {
        since.is_none_or(|s| {
            t.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t.with_timezone(&Utc) >= s)
        })
    };
    let verdicts: Vec<_> = store
        .all_verdicts()?
        .into_iter()
        .filter(|v| after(Some(&v.created_at)))
        .collect();
    let appeals: Vec<_> = store
        .all_appeals()?
        .into_iter()
        .filter(|a| after(Some(&a.created_at)) || after(a.ruled_at.as_deref()))
        .collect();
    match format {
        ExportFormat::Jsonl => {
            for v in &verdicts {
                let mut line = serde_json::to_value(v).unwrap_or_default();
                line["record"] = "verdict".into();
                writeln!(out, "{line}")?;
            }
            for a in &appeals {
                let mut line = serde_json::to_value(a).unwrap_or_default();
                line["record"] = "appeal".into();
                writeln!(out, "{line}")?;
            }
            out.flush()?;
        }
        ExportFormat::Csv => {
            let mut w = super::safe_csv::SafeWriter::new(&mut *out);
            w.write_record(VERDICT_COLUMNS)?;
            for v in &verdicts {
                w.write_record([
                    "verdict".to_string(),
                    v.id.to_string(),
                    v.interaction_id.clone(),
                    v.source.clone(),
                    v.rule_id.clone(),
                    v.verdict.name().to_string(),
                    v.hit_key.clone(),
                    v.start_s.map(|s| s.to_string()).unwrap_or_default(),
                    v.note.clone(),
                    v.user.clone(),
                    v.created_at.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ])?;
            }
            for a in &appeals {
                w.write_record([
                    "appeal".to_string(),
                    a.id.to_string(),
                    a.interaction_id.clone(),
                    a.source.clone(),
                    a.rule_id.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    a.reason.clone(),
                    a.user.clone(),
                    a.created_at.clone(),
                    a.ruling.map(|r| r.name().to_string()).unwrap_or_default(),
                    a.ruling_note.clone().unwrap_or_default(),
                    a.ruled_by.clone().unwrap_or_default(),
                    a.ruled_at.clone().unwrap_or_default(),
                ])?;
            }
            w.flush()?;
        }
    }
    Ok(verdicts.len() + appeals.len())
}
