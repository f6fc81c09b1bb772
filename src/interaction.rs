//! The one shape every input takes before it is scanned: an interaction made of
//! speaker turns on a common time axis. Chat logs, third-party transcripts and our
//! own transcribed calls all become an [`Interaction`], so the scanner has one job.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who spoke a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Agent,
    Customer,
    System,
    /// Mono recordings: we cannot tell agent from customer.
    Unknown,
}

impl Speaker {
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Agent => "agent",
            Speaker::Customer => "customer",
            Speaker::System => "system",
            Speaker::Unknown => "unknown",
        }
    }
}

/// Where an interaction came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InteractionKind {
    Chat,
    Transcript,
    Call,
}

/// Whether speaker roles are known (chats, stereo calls), inferred (mono calls
/// whose two voices were told apart) or not known at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Roles {
    #[default]
    Known,
    /// A mono call: its two voices were told apart by how they sound, and the agent
    /// is the one who spoke the service script (or spoke first). Rules treat the
    /// turns as attributed, but the attribution can be wrong.
    Inferred,
    /// Every turn may be the agent's or the customer's.
    Unknown,
}

impl Roles {
    /// Whether each turn has a speaker (known or inferred).
    pub fn attributed(self) -> bool {
        self != Roles::Unknown
    }
}

/// Time of a piece of a turn's text, from word/token timestamps of the recognizer.
/// `start_byte..end_byte` indexes the turn's `text`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimedSpan {
    pub start_byte: usize,
    pub end_byte: usize,
    pub start_s: f64,
    pub end_s: f64,
}

/// One utterance or chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: Speaker,
    /// Seconds from the start of the interaction.
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
    /// Token timings inside `text`, when the recognizer gave them (empty for chats).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<TimedSpan>,
}

impl Turn {
    pub fn new(speaker: Speaker, start_s: f64, end_s: f64, text: impl Into<String>) -> Self {
        Turn {
            speaker,
            start_s,
            end_s,
            text: text.into(),
            spans: Vec::new(),
        }
    }

    /// Time of the text at `start_byte..end_byte`: from token timings when present,
    /// otherwise the turn's own times.
    pub fn time_of(&self, start_byte: usize, end_byte: usize) -> (f64, f64) {
        let mut first: Option<f64> = None;
        let mut last: Option<f64> = None;
        for span in &self.spans {
            if span.end_byte > start_byte && span.start_byte < end_byte {
                first.get_or_insert(span.start_s);
                last = Some(span.end_s);
            }
        }
        match (first, last) {
            (Some(a), Some(b)) => (a, b.max(a)),
            _ => (self.start_s, self.end_s),
        }
    }
}

/// An interaction ready to be scanned (and, in this JSON form, as the state store
/// keeps it).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Interaction {
    pub id: String,
    pub kind: Option<InteractionKind>,
    /// The file it was read from, as given on the command line.
    pub source: String,
    pub agent_id: String,
    /// RFC 3339 start time, when known.
    pub started_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Length in seconds (last message minus first, or the recording's length).
    pub duration_s: f64,
    pub roles: Roles,
    /// Why the roles are unknown, or what they were inferred from (mono calls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_reason: Option<String>,
    /// Turns sorted by `start_s`.
    pub turns: Vec<Turn>,
    /// Metrics measured outside the text (audio: silence, interruptions, ...), keyed
    /// by metric name as used in rules (`longest-silence-seconds`).
    pub measured: BTreeMap<String, f64>,
}

impl Interaction {
    /// Whether the text came out of a speech recognizer (our calls, and the
    /// transcripts of other recognizers), so rules match it tolerantly.
    pub fn recognized(&self) -> bool {
        matches!(
            self.kind,
            Some(InteractionKind::Call | InteractionKind::Transcript)
        )
    }
}
