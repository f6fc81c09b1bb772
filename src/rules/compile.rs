//! Checks a parsed rule file and compiles it: phrases are normalized and put into one
//! Aho-Corasick automaton for all rules, regexes are compiled, windows and metric
//! bounds resolved. Everything that can be wrong is found here, at load time, never
//! while scanning.

use super::error::{Locator, RuleError};
use super::spec::{MatchMode, RuleSpec, SpeakerFilter, WindowSpec};
use super::vocab::{Metric, RuleKind};
use super::{Band, Rule, RuleMatch, Window};
use crate::rules::MetricBound;
use crate::text::normalize::normalize_str;
use crate::text::pinyin::PinyinPhrases;

/// Largest compiled regex we accept (bytes); keeps a hostile rule file from eating memory.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Largest deduction a rule can make; the base score is 100.
pub const MAX_DEDUCT: i64 = 100;
/// Most syllables a pinyin phrase may differ by.
pub const MAX_PINYIN_DISTANCE: i64 = 3;

pub(super) fn compile_rule(
    spec: &RuleSpec,
    loc: &Locator,
    errors: &mut Vec<RuleError>,
) -> Option<Rule> {
    let id = spec.id.get_ref().as_str();
    let before = errors.len();
    let mut err = |at: usize, msg: String| errors.push(loc.at(at, Some(id), msg));
    let id_at = spec.id.span().start;

    if id.is_empty()
        || !id
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
    {
        err(id_at, "malformed id: use only lowercase letters, digits, '.', '_' and '-' (e.g. \"forbidden.dont-know\")".into());
    } else if !id.as_bytes()[0].is_ascii_alphanumeric() {
        // Ids land in CSV cells and on command lines: a leading '-' reads as a
        // formula in a spreadsheet and as an option in a shell.
        err(
            id_at,
            "malformed id: start with a letter or digit (e.g. \"forbidden.dont-know\")".into(),
        );
    }

    // Deductions.
    let deduct = match &spec.deduct {
        None => {
            err(
                id_at,
                "missing `deduct` (points taken off when the rule is violated; 0..=100)".into(),
            );
            0
        }
        Some(d) if !(0..=MAX_DEDUCT).contains(d.get_ref()) => {
            err(
                d.span().start,
                format!("deduct = {} is out of range 0..={MAX_DEDUCT}", d.get_ref()),
            );
            0
        }
        Some(d) => *d.get_ref() as u32,
    };
    let max_deduct = match &spec.max_deduct {
        None => None,
        Some(m) if spec.kind != RuleKind::Forbidden => {
            err(m.span().start, "max-deduct only applies to forbidden rules (required and metric rules deduct once)".into());
            None
        }
        Some(m) if *m.get_ref() < i64::from(deduct) || *m.get_ref() > MAX_DEDUCT => {
            err(
                m.span().start,
                format!(
                    "max-deduct = {} must be between deduct ({deduct}) and {MAX_DEDUCT}",
                    m.get_ref()
                ),
            );
            None
        }
        Some(m) => Some(*m.get_ref() as u32),
    };

    // Phrases, patterns, except.
    let raw_phrases: Vec<&toml::Spanned<String>> = spec
        .phrases
        .as_ref()
        .map(|p| p.get_ref().iter().collect())
        .unwrap_or_default();
    let mut phrases = Vec::new();
    let mut patterns = Vec::new();
    let mut except = Vec::new();
    let mut pattern_words = Vec::new();
    if spec.kind == RuleKind::Metric {
        if let Some(p) = &spec.phrases {
            err(
                p.span().start,
                "a metric rule has no phrases; remove `phrases` or change `kind`".into(),
            );
        }
        if let Some(p) = spec.patterns.first() {
            err(
                p.span().start,
                "a metric rule has no patterns; remove `patterns` or change `kind`".into(),
            );
        }
        if let Some(p) = spec.except.first() {
            err(p.span().start, "a metric rule has no except phrases".into());
        }
    } else {
        if let Some(p) = &spec.phrases {
            if p.get_ref().is_empty() && spec.patterns.is_empty() {
                err(
                    p.span().start,
                    "phrases is empty: give at least one phrase (or a pattern)".into(),
                );
            }
        } else if spec.patterns.is_empty() && spec.all_of.is_none() {
            err(
                id_at,
                "no phrases and no patterns: a forbidden or required rule needs at least one"
                    .into(),
            );
        }
        let hint = " (spaces and punctuation are ignored)";
        phrases.extend(
            raw_phrases
                .iter()
                .filter_map(|p| normalized_phrase(p, "phrase", hint, &mut err)),
        );
        for p in &spec.patterns {
            if let Some((re, folded)) = compiled_pattern(p, "pattern", &mut err) {
                pattern_words.extend(crate::text::sound_alike::pattern_words(&folded));
                patterns.push(re);
            }
        }
        except.extend(
            spec.except
                .iter()
                .filter_map(|p| normalized_phrase(p, "except phrase", "", &mut err)),
        );
    }

    // Window.
    let window = match &spec.within {
        None => None,
        Some(w) if spec.kind == RuleKind::Metric => {
            err(
                w.span().start,
                "a metric rule has no window; remove `within`".into(),
            );
            None
        }
        Some(w) => match window_of(w.get_ref()) {
            Ok(win) => Some(win),
            Err(msg) => {
                err(w.span().start, msg);
                None
            }
        },
    };

    // Metric.
    let metric = match (&spec.kind, &spec.metric) {
        (RuleKind::Metric, None) => {
            err(
                id_at,
                format!("missing `metric`; one of: {}", metric_names()),
            );
            None
        }
        (RuleKind::Metric, Some(m)) => match Metric::from_name(m.get_ref()) {
            None => {
                err(
                    m.span().start,
                    format!(
                        "unknown metric {:?}; one of: {}",
                        m.get_ref(),
                        metric_names()
                    ),
                );
                None
            }
            Some(metric) => {
                let max = spec.max.as_ref().map(|v| *v.get_ref());
                let min = spec.min.as_ref().map(|v| *v.get_ref());
                if max.is_none() && min.is_none() {
                    err(
                        m.span().start,
                        "a metric rule needs `max` or `min` (or both)".into(),
                    );
                    None
                } else if let (Some(lo), Some(hi)) = (min, max) {
                    if lo > hi {
                        err(
                            spec.min.as_ref().unwrap().span().start,
                            format!("min = {lo} is above max = {hi}; no value could pass"),
                        );
                        None
                    } else {
                        Some(MetricBound { metric, max, min })
                    }
                } else if max.is_some_and(|v| !v.is_finite() || v < 0.0)
                    || min.is_some_and(|v| !v.is_finite() || v < 0.0)
                {
                    err(
                        m.span().start,
                        "metric bounds must be finite and not negative".into(),
                    );
                    None
                } else {
                    Some(MetricBound { metric, max, min })
                }
            }
        },
        (_, Some(m)) => {
            err(
                m.span().start,
                "`metric` only belongs in a rule with kind = \"metric\"".into(),
            );
            None
        }
        (_, None) => {
            if let Some(v) = spec.max.as_ref().or(spec.min.as_ref()) {
                err(
                    v.span().start,
                    "`max`/`min` only belong in a rule with kind = \"metric\"".into(),
                );
            }
            None
        }
    };

    // How phrases meet the text; errors leave the rule out below.
    let match_mode = match (spec.match_mode, &spec.max_distance) {
        (None | Some(MatchMode::Exact), Some(d)) => {
            err(
                d.span().start,
                "max-distance only applies with match = \"pinyin\"".into(),
            );
            RuleMatch::Exact
        }
        (Some(MatchMode::Pinyin), _) if spec.kind == RuleKind::Metric => {
            err(
                id_at,
                "match = \"pinyin\" needs phrases; a metric rule has none".into(),
            );
            RuleMatch::Exact
        }
        (Some(MatchMode::Pinyin), d) => {
            let distance = d.as_ref().map_or(0, |d| *d.get_ref());
            if !(0..=MAX_PINYIN_DISTANCE).contains(&distance) {
                err(
                    d.as_ref().unwrap().span().start,
                    format!("max-distance = {distance} is out of range 0..={MAX_PINYIN_DISTANCE}"),
                );
            }
            RuleMatch::Pinyin(PinyinPhrases::new(&phrases, distance.max(0) as usize))
        }
        (Some(MatchMode::Exact), None) => RuleMatch::Exact,
        (None, None) => RuleMatch::Auto,
    };

    let conditions = super::conditions::compile(spec, loc, &mut err);

    if errors.len() > before {
        return None;
    }
    let speaker = if spec.kind == RuleKind::Metric {
        SpeakerFilter::Any
    } else {
        spec.speaker
    };
    let title = spec.title.clone().unwrap_or_else(|| id.to_string());
    let not_found = super::detail::not_found(&title, window);
    Some(Rule {
        id: id.into(),
        title,
        not_found: not_found.into(),
        kind: spec.kind,
        speaker,
        severity: spec.severity,
        deduct,
        max_deduct,
        window,
        applies_to: spec.applies_to.clone(),
        phrases,
        except,
        patterns,
        pattern_words,
        metric,
        match_mode,
        conditions,
        dimension: None,
    })
}

fn window_of(w: &WindowSpec) -> Result<Window, String> {
    let given = [
        w.first_turns.is_some(),
        w.last_turns.is_some(),
        w.first_seconds.is_some(),
        w.last_seconds.is_some(),
    ];
    match given.iter().filter(|g| **g).count() {
        0 => {
            return Err(
                "empty window: give one of first-turns, last-turns, first-seconds, last-seconds"
                    .into(),
            )
        }
        1 => {}
        _ => return Err(
            "a window takes exactly one of first-turns, last-turns, first-seconds, last-seconds"
                .into(),
        ),
    }
    let turns = |n: i64, key: &str| {
        if n >= 1 {
            Ok(n as usize)
        } else {
            Err(format!("{key} = {n} is impossible: it must be at least 1"))
        }
    };
    let seconds = |s: f64, key: &str| {
        if s.is_finite() && s > 0.0 {
            Ok(s)
        } else {
            Err(format!(
                "{key} = {s} is impossible: it must be a positive number of seconds"
            ))
        }
    };
    if let Some(n) = w.first_turns {
        return turns(n, "first-turns").map(Window::FirstTurns);
    }
    if let Some(n) = w.last_turns {
        return turns(n, "last-turns").map(Window::LastTurns);
    }
    if let Some(s) = w.first_seconds {
        return seconds(s, "first-seconds").map(Window::FirstSeconds);
    }
    seconds(w.last_seconds.unwrap_or_default(), "last-seconds").map(Window::LastSeconds)
}

fn metric_names() -> String {
    Metric::ALL
        .iter()
        .map(|m| m.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A regex's source with each non-ASCII character normalized as text is (when
/// that gives exactly one character); ASCII, and so the regex syntax, is kept.
/// A phrase of a rule file normalized like the text it is matched in; an error
/// (`{what} "…" is empty after normalization{hint}`) when nothing is left.
pub(super) fn normalized_phrase(
    p: &toml::Spanned<String>,
    what: &str,
    hint: &str,
    err: &mut dyn FnMut(usize, String),
) -> Option<String> {
    let n = normalize_str(p.get_ref());
    if n.is_empty() {
        err(
            p.span().start,
            format!(
                "{what} {:?} is empty after normalization{hint}",
                p.get_ref()
            ),
        );
        return None;
    }
    Some(n)
}

/// A regex of a rule file, compiled over normalized text (its literal characters
/// are normalized the same way, one for one), with the folded source; an error
/// when it does not parse or matches empty text.
pub(super) fn compiled_pattern(
    p: &toml::Spanned<String>,
    what: &str,
    err: &mut dyn FnMut(usize, String),
) -> Option<(regex::Regex, String)> {
    let folded = fold_pattern(p.get_ref());
    match regex::RegexBuilder::new(&folded)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
    {
        Ok(re) if re.is_match("") => {
            err(
                p.span().start,
                format!(
                    "{what} {:?} matches empty text; every position would be a hit",
                    p.get_ref()
                ),
            );
            None
        }
        Ok(re) => Some((re, folded)),
        Err(e) => {
            err(
                p.span().start,
                format!("bad regex {:?}: {}", p.get_ref(), one_line(&e.to_string())),
            );
            None
        }
    }
}

fn fold_pattern(pattern: &str) -> String {
    pattern
        .chars()
        .map(|c| {
            if c.is_ascii() {
                return c;
            }
            let normalized = normalize_str(c.encode_utf8(&mut [0; 4]));
            let mut one = normalized.chars();
            match (one.next(), one.next()) {
                (Some(n), None) => n,
                _ => c,
            }
        })
        .collect()
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn check_band(band: &toml::Spanned<Band>, loc: &Locator, errors: &mut Vec<RuleError>) {
    let b = band.get_ref();
    if !(0.0..=100.0).contains(&b.min) {
        errors.push(loc.at(
            band.span().start,
            None,
            format!(
                "band {:?}: min = {} is out of range 0..=100",
                b.label, b.min
            ),
        ));
    }
    if !b.coefficient.is_finite() || b.coefficient < 0.0 {
        errors.push(loc.at(
            band.span().start,
            None,
            format!(
                "band {:?}: coefficient must be a non-negative number",
                b.label
            ),
        ));
    }
}
