//! Chat logs: one message per JSON line (or CSV row) with the columns
//! `conversation_id, agent_id, ts (RFC 3339), role (agent|customer|system), text`.
//! Messages of a conversation may be spread over the file in any order; they are
//! grouped and sorted by time. A malformed line is reported with its line number and
//! the rest of the file is still read.

use super::{InputProblem, TextRead};
use crate::interaction::{Interaction, InteractionKind, Roles, Speaker, Turn};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

/// Longest chat line we accept; longer lines are reported, not read.
pub const MAX_LINE_BYTES: usize = 1 << 20;

#[derive(Debug, Deserialize)]
struct Message {
    conversation_id: String,
    #[serde(default)]
    agent_id: Option<String>,
    ts: String,
    role: String,
    #[serde(default)]
    text: Option<String>,
}

pub(super) struct Parsed {
    line: usize,
    pub(super) conversation_id: String,
    agent_id: String,
    ts: DateTime<FixedOffset>,
    speaker: Speaker,
    text: String,
}

/// A message once its conversation is known (ids are kept once per conversation).
struct Received {
    line: usize,
    ts: DateTime<FixedOffset>,
    speaker: Speaker,
    text: String,
}

/// One conversation being read.
#[derive(Default)]
pub(super) struct Conversation {
    pub(super) id: String,
    /// The agent, and the line that first named it.
    agent: Option<(String, usize)>,
    first_line: usize,
    /// Why the conversation cannot be scored (a second agent id), on which line.
    conflict: Option<(usize, String)>,
    messages: Vec<Received>,
}

/// Conversations in order of first appearance, built while reading so that ids are
/// stored once per conversation, not once per message.
#[derive(Default)]
struct Grouper {
    index: HashMap<String, usize>,
    conversations: Vec<Conversation>,
}

impl Grouper {
    fn push(&mut self, p: Parsed) {
        let slot = match self.index.get(&p.conversation_id) {
            Some(&i) => i,
            None => {
                self.index
                    .insert(p.conversation_id.clone(), self.conversations.len());
                self.conversations.push(Conversation::start(&p));
                self.conversations.len() - 1
            }
        };
        self.conversations[slot].add(p);
    }
}

impl Conversation {
    /// An empty conversation that `p` starts.
    pub(super) fn start(p: &Parsed) -> Conversation {
        Conversation {
            id: p.conversation_id.clone(),
            first_line: p.line,
            ..Conversation::default()
        }
    }

    /// Adds the message `p` (of this conversation).
    pub(super) fn add(&mut self, p: Parsed) {
        if !p.agent_id.is_empty() {
            match &self.agent {
                None => self.agent = Some((p.agent_id, p.line)),
                Some((first, at)) if *first != p.agent_id && self.conflict.is_none() => {
                    self.conflict = Some((
                        p.line,
                        format!(
                            "agent_id `{}` differs from `{first}` on line {at} in conversation `{}`; a conversation is scored for one agent, so it is not scored: give a transferred conversation's parts their own conversation_id",
                            p.agent_id, self.id
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        self.messages.push(Received {
            line: p.line,
            ts: p.ts,
            speaker: p.speaker,
            text: p.text,
        });
    }
}

/// The text of one line of a JSON Lines log, once its checks pass: `Ok(None)` for
/// a blank line, `Err` for a line that is reported (too long, not UTF-8).
pub(super) fn line_text(bytes: &[u8]) -> Result<Option<&str>, String> {
    if bytes.len() > MAX_LINE_BYTES {
        return Err(format!(
            "line is {} bytes, over the {MAX_LINE_BYTES}-byte limit",
            bytes.len()
        ));
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err("not valid UTF-8".into());
    };
    let text = text.trim_start_matches('\u{feff}').trim();
    Ok((!text.is_empty()).then_some(text))
}

/// The message on a (non-blank) line, checked.
pub(super) fn parse_line(text: &str, line: usize) -> Result<Parsed, String> {
    serde_json::from_str::<Message>(text)
        .map_err(|e| format!("bad JSON: {e}"))
        .and_then(|m| check(m, line))
}

fn check(m: Message, line: usize) -> Result<Parsed, String> {
    if m.conversation_id.trim().is_empty() {
        return Err("empty conversation_id".into());
    }
    let ts = DateTime::parse_from_rfc3339(m.ts.trim()).map_err(|e| {
        format!(
            "ts {:?} is not an RFC 3339 time ({e}); e.g. 2026-11-16T09:00:00+08:00",
            m.ts
        )
    })?;
    let speaker = match m.role.trim().to_ascii_lowercase().as_str() {
        "agent" => Speaker::Agent,
        "customer" => Speaker::Customer,
        "system" => Speaker::System,
        other => {
            return Err(format!(
                "role {other:?} is not one of agent, customer, system"
            ))
        }
    };
    let Some(text) = m.text else {
        return Err("no `text` (write \"text\": \"\" for an empty message)".into());
    };
    let agent_id = m.agent_id.unwrap_or_default().trim().to_string();
    if agent_id.is_empty() && speaker == Speaker::Agent {
        return Err(
            "an agent message without `agent_id`: every agent message must name its agent".into(),
        );
    }
    Ok(Parsed {
        line,
        conversation_id: m.conversation_id,
        agent_id,
        ts,
        speaker,
        text,
    })
}

/// Reads a JSON Lines chat log.
pub fn read_jsonl(path: &Path, source: &str, reader: impl BufRead) -> TextRead {
    let mut parsed = Grouper::default();
    let mut problems = Vec::new();
    let problem = |line: usize, reason: String| InputProblem {
        source: path.to_path_buf(),
        line: Some(line),
        reason,
    };
    for (i, line) in reader.split(b'\n').enumerate() {
        let n = i + 1;
        let bytes = match line {
            Ok(b) => b,
            Err(e) => {
                problems.push(problem(n, format!("read error: {e}")));
                break;
            }
        };
        match line_text(&bytes).and_then(|t| t.map(|t| parse_line(t, n)).transpose()) {
            Ok(Some(p)) => parsed.push(p),
            Ok(None) => {}
            Err(reason) => problems.push(problem(n, reason)),
        }
    }
    let interactions = group(parsed, path, source, &mut problems);
    TextRead {
        interactions,
        problems,
    }
}

/// Reads a CSV chat log with a header row naming the same columns.
pub fn read_csv(path: &Path, source: &str, reader: impl std::io::Read) -> TextRead {
    let mut parsed = Grouper::default();
    let mut problems = Vec::new();
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let problem = |line: usize, reason: String| InputProblem {
        source: path.to_path_buf(),
        line: Some(line),
        reason,
    };
    match csv.headers() {
        Ok(h) => {
            let missing: Vec<&str> = ["conversation_id", "ts", "role", "text"]
                .into_iter()
                .filter(|c| !h.iter().any(|x| x.trim_start_matches('\u{feff}') == *c))
                .collect();
            if !missing.is_empty() {
                problems.push(problem(
                    1,
                    format!("header lacks column(s) {}", missing.join(", ")),
                ));
                return TextRead {
                    interactions: Vec::new(),
                    problems,
                };
            }
        }
        Err(e) => {
            problems.push(problem(1, format!("bad CSV header: {e}")));
            return TextRead {
                interactions: Vec::new(),
                problems,
            };
        }
    }
    let headers = csv.headers().cloned().unwrap_or_default();
    let headers = csv::StringRecord::from(
        headers
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}'))
            .collect::<Vec<_>>(),
    );
    for record in csv.records() {
        match record {
            Ok(rec) => {
                let n = rec.position().map_or(0, |p| p.line() as usize);
                match rec
                    .deserialize::<Message>(Some(&headers))
                    .map_err(|e| format!("bad row: {e}"))
                    .and_then(|m| check(m, n))
                {
                    Ok(p) => parsed.push(p),
                    Err(reason) => problems.push(problem(n, reason)),
                }
            }
            Err(e) => {
                let n = e.position().map_or(0, |p| p.line() as usize);
                problems.push(problem(n, format!("bad CSV row: {e}")));
            }
        }
    }
    let interactions = group(parsed, path, source, &mut problems);
    TextRead {
        interactions,
        problems,
    }
}

/// Sorts each conversation by time, keeping file order for equal times. A
/// conversation that names no agent, or two, is a problem, not an interaction.
fn group(
    grouper: Grouper,
    path: &Path,
    source: &str,
    problems: &mut Vec<InputProblem>,
) -> Vec<Interaction> {
    let mut out = Vec::with_capacity(grouper.conversations.len());
    for conv in grouper.conversations {
        match finish(conv, path, source) {
            Ok(i) => out.push(i),
            Err(p) => problems.push(p),
        }
    }
    out
}

/// One conversation as an interaction, its messages sorted by time (file order for
/// equal times); a problem when it names no agent, or two.
pub(super) fn finish(
    conv: Conversation,
    path: &Path,
    source: &str,
) -> Result<Interaction, InputProblem> {
    let problem = |line: usize, reason: String| InputProblem {
        source: path.to_path_buf(),
        line: Some(line),
        reason,
    };
    if let Some((line, reason)) = conv.conflict {
        return Err(problem(line, reason));
    }
    let Some((agent_id, _)) = conv.agent else {
        return Err(problem(
            conv.first_line,
            format!(
                "conversation `{}` names no agent (no line has an agent_id), so it is not scored",
                conv.id
            ),
        ));
    };
    let mut msgs = conv.messages;
    msgs.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.line.cmp(&b.line)));
    let start = msgs[0].ts;
    let end = msgs[msgs.len() - 1].ts;
    let turns = msgs
        .into_iter()
        .map(|m| {
            let at = seconds_between(start, m.ts);
            Turn::new(m.speaker, at, at, m.text)
        })
        .collect();
    Ok(Interaction {
        id: conv.id,
        kind: Some(InteractionKind::Chat),
        source: source.to_string(),
        agent_id,
        started_at: Some(start),
        duration_s: seconds_between(start, end),
        roles: Roles::Known,
        roles_reason: None,
        turns,
        measured: Default::default(),
    })
}

fn seconds_between(a: DateTime<FixedOffset>, b: DateTime<FixedOffset>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_sorts_spread_messages() {
        let data = r#"{"conversation_id":"c2","agent_id":"A1","ts":"2026-11-16T09:00:05+08:00","role":"agent","text":"您好"}
{"conversation_id":"c1","agent_id":"A2","ts":"2026-11-16T09:00:10+08:00","role":"customer","text":"在吗"}
{"conversation_id":"c2","agent_id":"A1","ts":"2026-11-16T09:00:00+08:00","role":"customer","text":"你好"}
"#;
        let r = read_jsonl(Path::new("x.jsonl"), "x.jsonl", data.as_bytes());
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.interactions.len(), 2);
        let c2 = &r.interactions[0];
        assert_eq!(c2.id, "c2");
        assert_eq!(c2.turns[0].text, "你好");
        assert_eq!(c2.turns[1].start_s, 5.0);
        assert_eq!(c2.duration_s, 5.0);
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let data = "{\"conversation_id\":\"c1\",\"agent_id\":\"A1\",\"ts\":\"2026-11-16T09:00:00+08:00\",\"role\":\"agent\",\"text\":\"ok\"}\nnot json\n{\"conversation_id\":\"c1\",\"ts\":\"yesterday\",\"role\":\"agent\",\"text\":\"x\"}\n{\"conversation_id\":\"c1\",\"ts\":\"2026-11-16T09:00:00+08:00\",\"role\":\"bot\",\"text\":\"x\"}\n";
        let r = read_jsonl(Path::new("x.jsonl"), "x.jsonl", data.as_bytes());
        assert_eq!(r.interactions.len(), 1);
        let lines: Vec<_> = r.problems.iter().map(|p| p.line.unwrap()).collect();
        assert_eq!(lines, vec![2, 3, 4]);
        assert!(r.problems[1].reason.contains("RFC 3339"));
    }

    #[test]
    fn agent_ids_and_text_are_checked_per_line_and_conversation() {
        let line = |conv: &str, agent: Option<&str>, role: &str, text: Option<&str>| {
            let mut v = serde_json::json!({"conversation_id": conv, "ts": "2026-11-16T09:00:00+08:00", "role": role});
            if let Some(a) = agent {
                v["agent_id"] = a.into();
            }
            if let Some(t) = text {
                v["text"] = t.into();
            }
            v.to_string()
        };
        let data = [
            line("c1", Some("A1"), "agent", Some("您好")),
            line("c1", None, "customer", Some("在吗")),
            line("c2", Some("A1"), "agent", Some("您好")),
            line("c2", Some("A2"), "agent", Some("我来接")),
            line("c3", None, "agent", Some("您好")),
            line("c4", None, "customer", Some("有人吗")),
            line("c1", Some("A1"), "agent", None),
            line("c1", Some("A1"), "agent", Some("")),
        ]
        .join("\n");
        let r = read_jsonl(Path::new("x.jsonl"), "x.jsonl", data.as_bytes());
        let ids: Vec<&str> = r.interactions.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["c1"]);
        assert_eq!(r.interactions[0].agent_id, "A1");
        assert_eq!(r.interactions[0].turns.len(), 3);
        let found: Vec<(usize, &str)> = r
            .problems
            .iter()
            .map(|p| (p.line.unwrap(), p.reason.as_str()))
            .collect();
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found[0].0 == 5 && found[0].1.contains("without `agent_id`"),
            "{found:?}"
        );
        assert!(
            found[1].0 == 7 && found[1].1.contains("no `text`"),
            "{found:?}"
        );
        assert!(
            found[2].0 == 4 && found[2].1.contains("`A2` differs from `A1` on line 3"),
            "{found:?}"
        );
        assert!(
            found[3].0 == 6 && found[3].1.contains("names no agent"),
            "{found:?}"
        );
    }
}
