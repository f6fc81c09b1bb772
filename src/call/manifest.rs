//! Reads a call manifest: the CSV that tells, per recording, the call id, the
//! agent, when the call started and which channel the agent is on. Columns are
//! `call_id,file,agent_id,started_at,channel_layout` (any order, found by header
//! name; extra columns ignored); `file` is relative to the manifest. A bad line
//! is reported with its line number and skipped; only an unreadable manifest or a
//! wrong header stops the manifest.

use super::spec::{CallSpec, ChannelLayout};
use crate::input::InputProblem;
use chrono::DateTime;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The columns a manifest must have.
pub const COLUMNS: [&str; 5] = [
    "call_id",
    "file",
    "agent_id",
    "started_at",
    "channel_layout",
];

/// A problem with a manifest, naming the file and, when it is one line, the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("{file}: cannot read the manifest: {reason}")]
    Unreadable { file: PathBuf, reason: String },
    #[error("{file}: the header lacks column `{column}`; a manifest needs call_id,file,agent_id,started_at,channel_layout")]
    MissingColumn { file: PathBuf, column: &'static str },
    #[error("{file}:{line}: {reason}")]
    Line {
        file: PathBuf,
        line: usize,
        reason: String,
    },
}

impl From<ManifestError> for InputProblem {
    /// The problem without the file name in its reason (InputProblem shows the file).
    fn from(e: ManifestError) -> Self {
        match e {
            ManifestError::Unreadable { file, reason } => InputProblem {
                source: file,
                line: None,
                reason: format!("cannot read the manifest: {reason}"),
            },
            ManifestError::MissingColumn { file, column } => InputProblem {
                source: file,
                line: Some(1),
                reason: format!("the header lacks column `{column}`; a manifest needs call_id,file,agent_id,started_at,channel_layout"),
            },
            ManifestError::Line { file, line, reason } => InputProblem {
                source: file,
                line: Some(line),
                reason,
            },
        }
    }
}

/// What a manifest gave: the calls, and the lines that could not be used.
#[derive(Debug, Default)]
pub struct ManifestRead {
    pub calls: Vec<CallSpec>,
    pub problems: Vec<ManifestError>,
    /// Recordings named on rejected lines: they are not scored at all (scoring
    /// them with defaults would charge the wrong agent or swap the roles).
    pub rejected_files: Vec<PathBuf>,
}

/// Reads a manifest. An empty `channel_layout` cell means `default_layout`.
pub fn read_manifest(
    path: &Path,
    default_layout: ChannelLayout,
) -> Result<ManifestRead, ManifestError> {
    let unreadable = |reason: String| ManifestError::Unreadable {
        file: path.to_path_buf(),
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| unreadable(e.to_string()))?;
    let headers = reader
        .headers()
        .map_err(|e| unreadable(e.to_string()))?
        .clone();
    let mut index = [0usize; 5];
    for (slot, column) in index.iter_mut().zip(COLUMNS) {
        *slot = headers
            .iter()
            .position(|h| {
                h.trim_start_matches('\u{feff}')
                    .eq_ignore_ascii_case(column)
            })
            .ok_or(ManifestError::MissingColumn {
                file: path.to_path_buf(),
                column,
            })?;
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let mut out = ManifestRead::default();
    let mut seen: HashSet<String> = HashSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                out.problems.push(ManifestError::Line {
                    file: path.to_path_buf(),
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |i: usize| record.get(index[i]).unwrap_or("");
        match parse_line(
            [cell(0), cell(1), cell(2), cell(3), cell(4)],
            base,
            default_layout,
            &seen,
        ) {
            Ok(spec) => {
                seen.insert(spec.id.clone());
                out.calls.push(spec);
            }
            Err(reason) => {
                if !cell(1).is_empty() {
                    out.rejected_files.push(base.join(cell(1)));
                }
                out.problems.push(ManifestError::Line {
                    file: path.to_path_buf(),
                    line,
                    reason: format!(
                        "{reason}; the recording is not scored until the line is fixed"
                    ),
                });
            }
        }
    }
    Ok(out)
}

fn parse_line(
    [call_id, file, agent_id, started_at, layout]: [&str; 5],
    base: &Path,
    default_layout: ChannelLayout,
    seen: &HashSet<String>,
) -> Result<CallSpec, String> {
    if call_id.is_empty() {
        return Err("empty call_id".into());
    }
    if seen.contains(call_id) {
        return Err(format!("call_id `{call_id}` appears twice"));
    }
    if file.is_empty() {
        return Err("empty file".into());
    }
    let started_at = if started_at.is_empty() {
        None
    } else {
        Some(DateTime::parse_from_rfc3339(started_at).map_err(|e| {
            format!("started_at `{started_at}` is not an RFC 3339 time like 2024-05-01T09:30:00+08:00 ({e})")
        })?)
    };
    let layout_given = !layout.is_empty();
    let layout = if layout.is_empty() {
        default_layout
    } else {
        layout.parse()?
    };
    let path = base.join(file);
    Ok(CallSpec {
        id: call_id.to_string(),
        source: path.display().to_string(),
        path,
        agent_id: agent_id.to_string(),
        started_at,
        layout,
        layout_given,
        asr_input: Default::default(),
        agent_cues: std::sync::Arc::new([]),
    })
}
