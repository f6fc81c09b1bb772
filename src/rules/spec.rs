//! The rule-file format exactly as users write it (the documented contract), parsed
//! strictly: unknown keys are errors. Spans are kept so every later check can point
//! at file:line:column.

use super::vocab::{RuleKind, Severity};
use crate::interaction::InteractionKind;
use crate::rules::Band;
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFileSpec {
    pub ruleset: Option<Spanned<RulesetSpec>>,
    #[serde(default)]
    pub band: Vec<Spanned<Band>>,
    #[serde(default)]
    pub dimension: Vec<Spanned<DimensionSpec>>,
    #[serde(default)]
    pub rule: Vec<Spanned<RuleSpec>>,
}

/// `[[dimension]] id, title, weight`: a part of the overall score (服务态度 30 %).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionSpec {
    pub id: Spanned<String>,
    pub title: String,
    /// Percent of the overall score; the weights of all dimensions sum to 100.
    pub weight: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RulesetSpec {
    pub name: String,
    pub version: String,
    #[serde(default = "default_pass_score")]
    pub pass_score: Spanned<f64>,
    /// Extra words recognized text is corrected towards (product names, the
    /// centre's name), beside the rules' own phrases and pattern words.
    #[serde(default)]
    pub vocabulary: Vec<Spanned<String>>,
    /// An agent whose mean score is under this in two consecutive periods gets the
    /// `two_periods_below_60` alert in assessment.csv (default 60).
    pub alert_below: Option<Spanned<f64>>,
}

fn default_pass_score() -> Spanned<f64> {
    Spanned::new(0..0, 80.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpeakerFilter {
    #[default]
    Agent,
    Customer,
    Any,
}

/// `match = ...` of a rule. Without the key a rule matches exactly in typed text
/// and by sound in recognized speech (see [`crate::text::sound_alike`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// Only the characters as written, in speech too.
    Exact,
    /// By toneless pinyin within `max-distance`, in every kind of text.
    Pinyin,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WindowSpec {
    pub first_turns: Option<i64>,
    pub last_turns: Option<i64>,
    pub first_seconds: Option<f64>,
    pub last_seconds: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSpec {
    pub id: Spanned<String>,
    pub title: Option<String>,
    pub kind: RuleKind,
    #[serde(default)]
    pub speaker: SpeakerFilter,
    #[serde(default)]
    pub phrases: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
    #[serde(default)]
    pub except: Vec<Spanned<String>>,
    pub deduct: Option<Spanned<i64>>,
    pub max_deduct: Option<Spanned<i64>>,
    #[serde(default)]
    pub severity: Severity,
    pub within: Option<Spanned<WindowSpec>>,
    pub metric: Option<Spanned<String>>,
    pub max: Option<Spanned<f64>>,
    pub min: Option<Spanned<f64>>,
    #[serde(default, rename = "match")]
    pub match_mode: Option<MatchMode>,
    /// Pinyin matching: how many syllables may differ (by a known confusion).
    pub max_distance: Option<Spanned<i64>>,
    /// Interaction kinds the rule applies to (default: all).
    pub applies_to: Option<Vec<InteractionKind>>,
    /// The rule applies only after a trigger (see [`AfterSpec`]).
    pub after: Option<Spanned<AfterSpec>>,
    /// Required: every group must have a hit (phrases of a group are alternatives).
    pub all_of: Option<Spanned<Vec<PhraseGroup>>>,
    /// A hit counts only when one of these phrases is close by in the same sentence.
    pub near: Option<Spanned<NearSpec>>,
    /// A hit does not count when one of these phrases is close by in the same sentence.
    pub not_near: Option<Spanned<NearSpec>>,
    /// Regex except contexts (over normalized text, within one sentence).
    #[serde(default)]
    pub except_patterns: Vec<Spanned<String>>,
    /// Sentences the rule must find (`hit`) or must not (`miss`); `callqa rules test`.
    pub examples: Option<Spanned<ExamplesSpec>>,
    /// Metric rules on silence and waits: a pause the agent announced does not count.
    pub except_after: Option<Spanned<ExceptAfterSpec>>,
    /// The `[[dimension]]` this rule's deductions come off.
    pub dimension: Option<Spanned<String>>,
}

/// `except-after = { phrases, max-seconds }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExceptAfterSpec {
    pub phrases: Vec<Spanned<String>>,
    pub max_seconds: Spanned<f64>,
}

/// One group of `all-of`: alternatives, any of which satisfies the group.
pub type PhraseGroup = Spanned<Vec<Spanned<String>>>;

/// `after = { speaker, phrases, patterns, within-turns | within-seconds }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AfterSpec {
    #[serde(default = "customer")]
    pub speaker: SpeakerFilter,
    #[serde(default)]
    pub phrases: Vec<Spanned<String>>,
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
    pub within_turns: Option<Spanned<i64>>,
    pub within_seconds: Option<Spanned<f64>>,
}

fn customer() -> SpeakerFilter {
    SpeakerFilter::Customer
}

/// `near = { phrases, within-chars }` (and `not-near`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NearSpec {
    pub phrases: Vec<Spanned<String>>,
    pub within_chars: Spanned<i64>,
}

/// `examples = { hit = [...], miss = [...] }`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExamplesSpec {
    #[serde(default)]
    pub hit: Vec<Spanned<String>>,
    #[serde(default)]
    pub miss: Vec<Spanned<String>>,
}
