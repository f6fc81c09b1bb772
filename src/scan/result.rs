//! What scanning one interaction produces: the line written to `results.jsonl`.
//! Field names and order are a contract with downstream systems (schema_version 1).

use crate::interaction::{Roles, Speaker, Turn};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const SCHEMA_VERSION: u32 = 1;

pub use crate::rules::vocab::{RuleKind, RulesetId, Severity};

/// One place in the interaction that supports a violation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// 1-based turn number.
    pub turn: usize,
    pub speaker: Speaker,
    pub start_s: f64,
    pub end_s: f64,
    /// The matched words as written in the original text.
    pub matched: String,
    /// The whole turn text (redacted unless --no-redact).
    pub text: String,
    /// Byte offsets of `matched` in the original turn text.
    pub start_byte: usize,
    pub end_byte: usize,
    /// Matched by pronunciation (pinyin), not by the exact characters.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fuzzy: bool,
    /// A reviewer marked this hit false: it no longer counts (see
    /// [`InteractionResult::review`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dismissed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// Shared with the rule (ids and fixed texts repeat in every result, so they are
    /// reference-counted rather than copied).
    pub rule_id: Arc<str>,
    pub kind: RuleKind,
    pub severity: Severity,
    pub deduct: u32,
    /// Forbidden: the counted hits. Required: empty. Metric: empty.
    pub evidence: Vec<Evidence>,
    /// Metric rules: the measured value and the limit it broke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    /// Required rules: where the phrase was said, but outside the rule's window
    /// (e.g. a greeting at 13 s when it was due in the first 10 s).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside_window: Vec<Evidence>,
    /// A sentence for the QA reviewer saying what was expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Arc<str>>,
    /// Added by a reviewer who found what the machine missed: the id of the
    /// `missed` verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by_verdict: Option<i64>,
}

/// Who took a violation back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DismissedBy {
    /// A lead overturned it on the agent's appeal.
    Appeal,
    /// A reviewer marked every one of its hits false.
    Review,
}

/// A violation that no longer counts, with who took it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dismissed {
    pub by: DismissedBy,
    /// The appeal's id, or the id of the last false-hit verdict.
    pub id: i64,
    #[serde(flatten)]
    pub violation: Violation,
}

/// What review and appeals changed: present only when they changed something.
/// `score`, `passed`, `fatal` and `violations` of the result are then the reviewed
/// ones; the machine's score and verdict are kept here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewEffect {
    pub machine_score: u32,
    pub machine_passed: bool,
    /// Violations taken back, with their evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dismissed: Vec<Dismissed>,
}

/// The scored interaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractionResult {
    pub schema_version: u32,
    pub interaction_id: String,
    pub kind: crate::interaction::InteractionKind,
    pub source: String,
    pub agent_id: String,
    pub started_at: Option<String>,
    pub duration_s: f64,
    pub roles: Roles,
    /// Calls: why the roles are unknown, or what they were inferred from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_reason: Option<String>,
    pub ruleset: RulesetId,
    pub score: u32,
    /// With `[[dimension]]` tables: each dimension's score (100 minus its rules'
    /// deductions, never below 0); `score` is then their weighted sum.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimension_scores: BTreeMap<Arc<str>, u32>,
    pub passed: bool,
    pub fatal: bool,
    pub violations: Vec<Violation>,
    /// Rule ids checked and not violated, so a consumer can tell "passed" from "not checked".
    pub passed_rules: Vec<Arc<str>>,
    /// Measured metrics, snake_case names with unit suffix (agent_first_response_s).
    pub metrics: BTreeMap<String, f64>,
    /// Present when reviewers' verdicts or an appeal's ruling changed the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewEffect>,
    pub turns: Vec<Turn>,
}

/// The line written for an input that could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputErrorLine {
    pub schema_version: u32,
    pub source: String,
    pub error: String,
}
