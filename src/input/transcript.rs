//! Transcripts from another speech recognizer, one interaction per JSON file:
//! `{"interaction_id","agent_id","started_at","segments":[{"speaker","start_s","end_s","text"}]}`.
//! `speaker` is agent, customer or unknown (any unknown speaker marks the roles unknown).

use super::{InputProblem, TextRead};
use crate::interaction::{Interaction, InteractionKind, Roles, Speaker, Turn};
use chrono::DateTime;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct TranscriptFile {
    interaction_id: String,
    #[serde(default)]
    agent_id: String,
    #[serde(default)]
    started_at: Option<String>,
    segments: Vec<Segment>,
}

#[derive(Debug, Deserialize)]
struct Segment {
    speaker: String,
    start_s: f64,
    end_s: f64,
    #[serde(default)]
    text: String,
}

pub fn read(path: &Path, source: &str, bytes: &[u8]) -> TextRead {
    let problem = |reason: String| TextRead {
        interactions: Vec::new(),
        problems: vec![InputProblem {
            source: path.to_path_buf(),
            line: None,
            reason,
        }],
    };
    let file: TranscriptFile = match serde_json::from_slice(bytes) {
        Ok(f) => f,
        Err(e) => {
            return problem(format!(
                "bad transcript JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ))
        }
    };
    if file.interaction_id.trim().is_empty() {
        return problem("empty interaction_id".into());
    }
    let started_at = match file
        .started_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(t),
            Err(e) => return problem(format!("started_at {s:?} is not an RFC 3339 time ({e})")),
        },
    };
    let mut turns = Vec::with_capacity(file.segments.len());
    let mut roles = Roles::Known;
    for (i, seg) in file.segments.into_iter().enumerate() {
        let speaker = match seg.speaker.trim().to_ascii_lowercase().as_str() {
            "agent" => Speaker::Agent,
            "customer" => Speaker::Customer,
            "unknown" | "" => {
                roles = Roles::Unknown;
                Speaker::Unknown
            }
            other => {
                return problem(format!(
                    "segments[{i}].speaker {other:?} is not agent, customer or unknown"
                ))
            }
        };
        if !seg.start_s.is_finite()
            || !seg.end_s.is_finite()
            || seg.start_s < 0.0
            || seg.end_s < seg.start_s
        {
            return problem(format!(
                "segments[{i}] has impossible times start_s={} end_s={}",
                seg.start_s, seg.end_s
            ));
        }
        turns.push(Turn::new(speaker, seg.start_s, seg.end_s, seg.text));
    }
    turns.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    let duration_s = turns.iter().map(|t| t.end_s).fold(0.0, f64::max);
    TextRead {
        interactions: vec![Interaction {
            id: file.interaction_id,
            kind: Some(InteractionKind::Transcript),
            source: source.to_string(),
            agent_id: file.agent_id,
            started_at,
            duration_s,
            roles,
            roles_reason: None,
            turns,
            measured: Default::default(),
        }],
        problems: Vec::new(),
    }
}
