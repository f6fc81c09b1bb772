//! What service standards say beyond "this phrase, somewhere": an answer expected
//! after a trigger (`after`), several things that must all be said (`all-of`), a
//! phrase that only counts near another one, or not near it (`near`, `not-near`),
//! regex except contexts (`except-patterns`), and example sentences a rule must find
//! or must not (`examples`). Checked as strictly as the rest of a rule file.

use super::compile::{compiled_pattern, normalized_phrase};
use super::error::{Locator, RuleError};
use super::spec::{NearSpec, RuleSpec, SpeakerFilter};
use super::vocab::RuleKind;
use crate::interaction::Speaker;
use toml::Spanned;

/// The compiled conditions of one rule (all empty for a plain rule).
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub near: Option<Nearness>,
    pub not_near: Option<Nearness>,
    pub except_patterns: Vec<regex::Regex>,
    pub after: Option<Trigger>,
    /// Normalized phrases per group of `all-of` (empty without it).
    pub all_of: Vec<Vec<String>>,
    pub examples: Vec<Example>,
    pub except_after: Option<HoldExcuse>,
}

/// `except-after`: a silence or wait that follows an agent turn saying one of
/// `phrases` (normalized) does not count, when it lasts at most `max_seconds`.
#[derive(Debug, Clone)]
pub struct HoldExcuse {
    pub phrases: Vec<String>,
    pub max_seconds: f64,
}

impl Conditions {
    /// Whether the matcher has anything to check per hit.
    pub fn filters_hits(&self) -> bool {
        self.near.is_some() || self.not_near.is_some()
    }
}

/// Phrases that must (or must not) be within `within_chars` characters of a hit.
#[derive(Debug, Clone)]
pub struct Nearness {
    pub phrases: Vec<String>,
    pub within_chars: usize,
}

/// What opens the window of a conditional rule.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub speaker: SpeakerFilter,
    pub phrases: Vec<String>,
    pub patterns: Vec<regex::Regex>,
    pub window: TriggerWindow,
}

/// How long after a trigger the rule's own hits are looked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TriggerWindow {
    /// The next N turns of the rule's speaker after the trigger's turn.
    Turns(usize),
    /// Hits starting at most S seconds after the trigger ends.
    Seconds(f64),
}

impl std::fmt::Display for TriggerWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TriggerWindow::Turns(n) => write!(f, "next {n} turn(s)"),
            TriggerWindow::Seconds(s) => write!(f, "next {s} s"),
        }
    }
}

/// One example sentence of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// `file:line:column` of the example in its rule file.
    pub at: String,
    /// Whether the rule must find a hit in it.
    pub hit: bool,
    pub speaker: Speaker,
    pub text: String,
}

/// Compiles the condition keys of `spec`, pushing every problem to `err`.
pub fn compile(
    spec: &RuleSpec,
    loc: &Locator<'_>,
    err: &mut dyn FnMut(usize, String),
) -> Conditions {
    let mut c = Conditions::default();
    let metric = spec.kind == RuleKind::Metric;
    let refuse = |err: &mut dyn FnMut(usize, String), at: usize, key: &str| {
        err(
            at,
            format!("a metric rule has no `{key}`; it applies to phrase rules"),
        )
    };
    if let Some(n) = &spec.near {
        if metric {
            refuse(err, n.span().start, "near");
        } else {
            c.near = nearness(n, "near", err);
        }
    }
    if let Some(n) = &spec.not_near {
        if metric {
            refuse(err, n.span().start, "not-near");
        } else {
            c.not_near = nearness(n, "not-near", err);
        }
    }
    if let Some(p) = spec.except_patterns.first() {
        if metric {
            refuse(err, p.span().start, "except-patterns");
        }
    }
    if !metric {
        c.except_patterns = spec
            .except_patterns
            .iter()
            .filter_map(|p| pattern(p, "except pattern", err))
            .collect();
    }
    if let Some(a) = &spec.after {
        if metric {
            refuse(err, a.span().start, "after");
        } else {
            c.after = trigger(a, err);
        }
    }
    if let Some(groups) = &spec.all_of {
        c.all_of = all_of(spec, groups, err);
    }
    if let Some(e) = &spec.except_after {
        c.except_after = hold_excuse(spec, e, err);
    }
    if let Some(ex) = &spec.examples {
        if metric {
            refuse(err, ex.span().start, "examples");
        } else {
            c.examples = examples(spec, ex.get_ref(), loc, err);
        }
    }
    c
}

fn phrase(p: &Spanned<String>, what: &str, err: &mut dyn FnMut(usize, String)) -> Option<String> {
    normalized_phrase(p, what, "", err)
}

fn pattern(
    p: &Spanned<String>,
    what: &str,
    err: &mut dyn FnMut(usize, String),
) -> Option<regex::Regex> {
    compiled_pattern(p, what, err).map(|(re, _)| re)
}

fn nearness(
    n: &Spanned<NearSpec>,
    key: &str,
    err: &mut dyn FnMut(usize, String),
) -> Option<Nearness> {
    let spec = n.get_ref();
    let chars = *spec.within_chars.get_ref();
    let mut ok = true;
    if !(1..=200).contains(&chars) {
        err(
            spec.within_chars.span().start,
            format!("{key}: within-chars = {chars} is out of range 1..=200"),
        );
        ok = false;
    }
    if spec.phrases.is_empty() {
        err(n.span().start, format!("{key}: give at least one phrase"));
        ok = false;
    }
    let phrases: Vec<String> = spec
        .phrases
        .iter()
        .filter_map(|p| phrase(p, &format!("{key} phrase"), err))
        .collect();
    (ok && phrases.len() == spec.phrases.len()).then_some(Nearness {
        phrases,
        within_chars: chars as usize,
    })
}

fn trigger(
    a: &Spanned<super::spec::AfterSpec>,
    err: &mut dyn FnMut(usize, String),
) -> Option<Trigger> {
    let spec = a.get_ref();
    let at = a.span().start;
    let window = match (&spec.within_turns, &spec.within_seconds) {
        (Some(n), None) => {
            let v = *n.get_ref();
            if !(1..=1000).contains(&v) {
                err(
                    n.span().start,
                    format!("after: within-turns = {v} is out of range 1..=1000"),
                );
                return None;
            }
            TriggerWindow::Turns(v as usize)
        }
        (None, Some(s)) => {
            let v = *s.get_ref();
            if !(v.is_finite() && v > 0.0) {
                err(
                    s.span().start,
                    format!("after: within-seconds = {v} must be above 0"),
                );
                return None;
            }
            TriggerWindow::Seconds(v)
        }
        (Some(_), Some(_)) => {
            err(
                at,
                "after: give within-turns or within-seconds, not both".into(),
            );
            return None;
        }
        (None, None) => {
            err(
                at,
                "after: say how long an answer may take: within-turns = N or within-seconds = S"
                    .into(),
            );
            return None;
        }
    };
    if spec.phrases.is_empty() && spec.patterns.is_empty() {
        err(at, "after: give the trigger's phrases or patterns".into());
        return None;
    }
    let phrases: Vec<String> = spec
        .phrases
        .iter()
        .filter_map(|p| phrase(p, "after phrase", err))
        .collect();
    let patterns: Vec<regex::Regex> = spec
        .patterns
        .iter()
        .filter_map(|p| pattern(p, "after pattern", err))
        .collect();
    (phrases.len() == spec.phrases.len() && patterns.len() == spec.patterns.len()).then_some(
        Trigger {
            speaker: spec.speaker,
            phrases,
            patterns,
            window,
        },
    )
}

fn all_of(
    spec: &RuleSpec,
    groups: &Spanned<Vec<super::spec::PhraseGroup>>,
    err: &mut dyn FnMut(usize, String),
) -> Vec<Vec<String>> {
    let at = groups.span().start;
    if spec.kind != RuleKind::Required {
        err(at, "all-of only belongs in a required rule".into());
        return Vec::new();
    }
    if spec.phrases.is_some() || !spec.patterns.is_empty() {
        err(
            at,
            "give all-of or phrases/patterns, not both (a phrase that must be said is a group of its own)"
                .into(),
        );
        return Vec::new();
    }
    if matches!(spec.match_mode, Some(super::spec::MatchMode::Pinyin)) {
        err(at, "all-of does not combine with match = \"pinyin\"".into());
        return Vec::new();
    }
    if groups.get_ref().is_empty() {
        err(
            at,
            "all-of is empty: give at least one group of phrases".into(),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for (g, group) in groups.get_ref().iter().enumerate() {
        if group.get_ref().is_empty() {
            err(
                group.span().start,
                format!("all-of group {} is empty: give at least one phrase", g + 1),
            );
            continue;
        }
        out.push(
            group
                .get_ref()
                .iter()
                .filter_map(|p| phrase(p, "all-of phrase", err))
                .collect(),
        );
    }
    out
}

fn hold_excuse(
    spec: &RuleSpec,
    e: &Spanned<super::spec::ExceptAfterSpec>,
    err: &mut dyn FnMut(usize, String),
) -> Option<HoldExcuse> {
    use super::vocab::Metric;
    let at = e.span().start;
    let metric = spec
        .metric
        .as_ref()
        .and_then(|m| Metric::from_name(m.get_ref()));
    if !matches!(
        metric,
        Some(Metric::LongestSilenceSeconds | Metric::AgentMaxResponseSeconds)
    ) {
        err(
            at,
            "except-after belongs in a metric rule on longest-silence-seconds or agent-max-response-seconds"
                .into(),
        );
        return None;
    }
    let spec = e.get_ref();
    let max = *spec.max_seconds.get_ref();
    if !(max.is_finite() && max > 0.0) {
        err(
            spec.max_seconds.span().start,
            format!("except-after: max-seconds = {max} must be above 0"),
        );
        return None;
    }
    if spec.phrases.is_empty() {
        err(
            at,
            "except-after: give the phrases that announce a pause (请稍等, 我帮您查一下)".into(),
        );
        return None;
    }
    let phrases: Vec<String> = spec
        .phrases
        .iter()
        .filter_map(|p| phrase(p, "except-after phrase", err))
        .collect();
    (phrases.len() == spec.phrases.len()).then_some(HoldExcuse {
        phrases,
        max_seconds: max,
    })
}

fn examples(
    spec: &RuleSpec,
    ex: &super::spec::ExamplesSpec,
    loc: &Locator<'_>,
    err: &mut dyn FnMut(usize, String),
) -> Vec<Example> {
    let default_speaker = match spec.speaker {
        SpeakerFilter::Customer => Speaker::Customer,
        SpeakerFilter::Agent | SpeakerFilter::Any => Speaker::Agent,
    };
    let mut out = Vec::new();
    for (hit, list) in [(true, &ex.hit), (false, &ex.miss)] {
        for e in list {
            let text = e.get_ref().trim();
            let (speaker, text) = if let Some(rest) = text.strip_prefix("customer:") {
                (Speaker::Customer, rest.trim())
            } else if let Some(rest) = text.strip_prefix("agent:") {
                (Speaker::Agent, rest.trim())
            } else {
                (default_speaker, text)
            };
            if text.is_empty() {
                err(e.span().start, "an example sentence is empty".into());
                continue;
            }
            let RuleError {
                file, line, column, ..
            } = loc.at(e.span().start, None, "");
            out.push(Example {
                at: format!("{}:{line}:{column}", file.display()),
                hit,
                speaker,
                text: text.to_string(),
            });
        }
    }
    out
}
