//! A large JSON Lines chat log read in bounded memory. A conversation's messages may
//! be spread over the whole file, so reading it at once would hold the file; this
//! reads it twice instead. The first pass keeps, per conversation, only the number
//! of its last line (under a 64-bit hash of its id); the second groups messages as
//! [`chat::read_jsonl`] does and hands a conversation out as soon as its last line
//! is read and every conversation that started before it is out. Memory then holds
//! the conversations open at one point of the file (in an export that writes a
//! conversation's messages close together, a few hundred) and a bit per line (the
//! lines that end a conversation); the first pass's table (16 bytes or so per
//! conversation) is freed before the second pass. Conversations come out in order of
//! first appearance, as from [`chat::read_jsonl`]; a line's problem comes out when
//! the line is read, a conversation's (no agent, two agents) when it ends.
//!
//! Two ids with the same hash only make the earlier conversation wait for the
//! later one's last line (or the end of the file): never out too early.

use super::chat::{self, Conversation};
use super::hashed::HashedMap;
use super::{encoding, InputProblem};
use crate::interaction::Interaction;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::path::Path;

/// What the stream hands out, in order.
#[derive(Debug)]
pub enum Streamed {
    Interaction(Interaction),
    Problem(InputProblem),
}

/// Just the conversation id of a line (the first pass).
#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow)]
    conversation_id: Cow<'a, str>,
}

/// Reads the chat log at `path` (UTF-8, or GB18030 decoded) and hands each
/// conversation and problem to `each`, in order; stops at the first error `each`
/// returns.
pub fn stream_jsonl<E>(
    path: &Path,
    source: &str,
    mut each: impl FnMut(Streamed) -> Result<(), E>,
) -> Result<(), E> {
    let problem = |line: Option<usize>, reason: String| InputProblem {
        source: path.to_path_buf(),
        line,
        reason,
    };
    let hasher = RandomState::new();
    let last = match last_lines(path, &hasher) {
        Ok(last) => last,
        Err(reason) => return each(Streamed::Problem(problem(None, reason))),
    };
    let mut text = match encoding::open_text(path) {
        Ok(t) => t,
        Err(reason) => return each(Streamed::Problem(problem(None, reason))),
    };
    let reader = text.reader();
    let mut open = Open::default();
    let mut bytes = Vec::new();
    let mut n = 0;
    loop {
        bytes.clear();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                each(Streamed::Problem(problem(
                    Some(n + 1),
                    format!("read error: {e}"),
                )))?;
                break;
            }
        }
        n += 1;
        let line = strip_newline(&bytes);
        let text = match chat::line_text(line) {
            Ok(Some(t)) => t,
            Ok(None) => continue,
            Err(reason) => {
                each(Streamed::Problem(problem(Some(n), reason)))?;
                continue;
            }
        };
        let id = match chat::parse_line(text, n) {
            Ok(p) => {
                let id = p.conversation_id.clone();
                open.push(p);
                id
            }
            Err(reason) => {
                each(Streamed::Problem(problem(Some(n), reason)))?;
                // Its conversation may still end on this line.
                match serde_json::from_str::<IdOnly<'_>>(text) {
                    Ok(m) => m.conversation_id.into_owned(),
                    Err(_) => continue,
                }
            }
        };
        if last.holds(n) {
            open.end(&id);
            while let Some(conv) = open.pop_ended() {
                each(finished(conv, path, source))?;
            }
        }
    }
    while let Some(conv) = open.pop_any() {
        each(finished(conv, path, source))?;
    }
    Ok(())
}

fn finished(conv: Conversation, path: &Path, source: &str) -> Streamed {
    match chat::finish(conv, path, source) {
        Ok(i) => Streamed::Interaction(i),
        Err(p) => Streamed::Problem(p),
    }
}

fn strip_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

/// Line numbers, one bit each.
struct LineSet(Vec<u64>);

impl LineSet {
    fn holds(&self, n: usize) -> bool {
        self.0.get(n / 64).is_some_and(|w| w & (1 << (n % 64)) != 0)
    }
}

/// The first pass: the lines that are the last of their conversation (by the hash
/// of its id). The table it takes is freed before the second pass, which keeps a
/// bit per line.
fn last_lines(path: &Path, hasher: &RandomState) -> Result<LineSet, String> {
    let last = last_line_table(path, hasher)?;
    let top = last.values().copied().max().unwrap_or(0);
    let mut set = LineSet(vec![0; top / 64 + 1]);
    for n in last.into_values() {
        set.0[n / 64] |= 1 << (n % 64);
    }
    Ok(set)
}

/// The last line of each conversation, by the hash of its id.
fn last_line_table(path: &Path, hasher: &RandomState) -> Result<HashedMap<u64, usize>, String> {
    let mut text = encoding::open_text(path)?;
    let reader = text.reader();
    let mut last = HashedMap::default();
    let mut bytes = Vec::new();
    let mut n = 0;
    loop {
        bytes.clear();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        n += 1;
        if let Ok(Some(text)) = chat::line_text(strip_newline(&bytes)) {
            if let Ok(m) = serde_json::from_str::<IdOnly<'_>>(text) {
                last.insert(hasher.hash_one(&*m.conversation_id), n);
            }
        }
    }
    Ok(last)
}

/// The conversations being read, in order of first appearance.
#[derive(Default)]
struct Open {
    /// Sequence number (order of first appearance) of each open conversation.
    index: HashMap<String, usize>,
    /// Open conversations from sequence number `first` on; `true` once ended.
    queue: VecDeque<(Conversation, bool)>,
    first: usize,
}

impl Open {
    fn push(&mut self, p: chat::Parsed) {
        let seq = match self.index.get(&p.conversation_id) {
            Some(&seq) => seq,
            None => {
                let seq = self.first + self.queue.len();
                self.index.insert(p.conversation_id.clone(), seq);
                self.queue.push_back((Conversation::start(&p), false));
                seq
            }
        };
        self.queue[seq - self.first].0.add(p);
    }

    fn end(&mut self, id: &str) {
        if let Some(&seq) = self.index.get(id) {
            self.queue[seq - self.first].1 = true;
        }
    }

    /// The first conversation, when it has ended.
    fn pop_ended(&mut self) -> Option<Conversation> {
        if self.queue.front().is_some_and(|(_, ended)| *ended) {
            self.pop_any()
        } else {
            None
        }
    }

    fn pop_any(&mut self) -> Option<Conversation> {
        let (conv, _) = self.queue.pop_front()?;
        self.first += 1;
        self.index.remove(&conv.id);
        Some(conv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn line(conv: &str, agent: Option<&str>, ts: &str, role: &str, text: &str) -> String {
        let mut v =
            serde_json::json!({"conversation_id": conv, "ts": ts, "role": role, "text": text});
        if let Some(a) = agent {
            v["agent_id"] = a.into();
        }
        v.to_string()
    }

    #[test]
    fn streams_the_interactions_read_jsonl_reads_in_the_same_order() {
        let t = |s: u32| format!("2026-11-16T09:00:{s:02}+08:00");
        let mut lines = Vec::new();
        for round in 0..4u32 {
            for c in 0..6 {
                let id = format!("c{c}");
                lines.push(line(
                    &id,
                    Some("A1"),
                    &t(50 - round * 10),
                    "agent",
                    &format!("r{round}"),
                ));
            }
        }
        // c6 ends before c5 does, and a bad line and a conflict sit in the middle.
        lines.insert(3, line("c6", Some("A2"), &t(1), "customer", "早"));
        lines.insert(7, "not json".into());
        lines.insert(9, line("c1", Some("A9"), &t(2), "agent", "换人"));
        lines.push(line("c7", None, &t(3), "customer", "在吗"));
        lines.push(r#"{"conversation_id":"c5","ts":"later","role":"agent","text":"x"}"#.into());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chats.jsonl");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(lines.join("\n").as_bytes())
            .unwrap();
        let whole = chat::read_jsonl(&path, "chats.jsonl", lines.join("\n").as_bytes());
        let mut got = Vec::new();
        let mut problems = Vec::new();
        stream_jsonl(&path, "chats.jsonl", |s| {
            match s {
                Streamed::Interaction(i) => got.push(i),
                Streamed::Problem(p) => problems.push(p),
            }
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(got, whole.interactions);
        let lines_of = |ps: &[InputProblem]| {
            let mut v: Vec<Option<usize>> = ps.iter().map(|p| p.line).collect();
            v.sort();
            v
        };
        assert_eq!(lines_of(&problems), lines_of(&whole.problems));
        assert_eq!(problems.len(), 4, "{problems:?}");
        let ids: Vec<&str> = got.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["c0", "c2", "c6", "c3", "c4", "c5"]);
    }

    #[test]
    fn an_unreadable_file_is_one_problem() {
        let mut problems = Vec::new();
        stream_jsonl(Path::new("/no/such/chats.jsonl"), "x", |s| {
            problems.push(s);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(problems.len(), 1);
    }
}
