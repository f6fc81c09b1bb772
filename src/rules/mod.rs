//! The service standard as data: TOML rule files are parsed strictly, checked and
//! compiled once into a [`Ruleset`] the scanner can apply to any number of interactions.

mod compile;
pub mod conditions;
pub mod detail;
pub mod dimension;
pub mod error;
pub mod gate;
pub mod spec;
pub mod vocab;

use crate::interaction::InteractionKind;
use crate::text::phrase_alphabet::PhraseAlphabet;
use crate::text::pinyin::PinyinPhrases;
use crate::text::sound_alike::SoundAlike;
use aho_corasick::AhoCorasick;
pub use dimension::Dimension;
use error::{Locator, RulesError};
use sha2::{Digest, Sha256};
pub use spec::SpeakerFilter;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
pub use vocab::{Metric, RuleKind, RulesetId, Severity};

/// A score band reported per agent (e.g. >= 90 "excellent", coefficient 1.2).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub min: f64,
    pub label: String,
    #[serde(default = "one")]
    pub coefficient: f64,
}

/// The default `alert-below`: two consecutive periods under 60 call for action.
pub const DEFAULT_ALERT_BELOW: f64 = 60.0;

fn one() -> f64 {
    1.0
}

/// Where in an interaction a rule looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// The first N turns of the rule's speaker.
    FirstTurns(usize),
    LastTurns(usize),
    /// Seconds from the start of the interaction.
    FirstSeconds(f64),
    /// Seconds back from the end of the interaction.
    LastSeconds(f64),
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Window::FirstTurns(n) => write!(f, "first {n} turn(s)"),
            Window::LastTurns(n) => write!(f, "last {n} turn(s)"),
            Window::FirstSeconds(s) => write!(f, "first {s} s"),
            Window::LastSeconds(s) => write!(f, "last {s} s"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricBound {
    pub metric: Metric,
    pub max: Option<f64>,
    pub min: Option<f64>,
}

impl MetricBound {
    /// Whether `value` breaks the bound.
    pub fn violated_by(&self, value: f64) -> bool {
        self.max.is_some_and(|m| value > m) || self.min.is_some_and(|m| value < m)
    }
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: Arc<str>,
    pub title: String,
    /// What a violation of this required rule says when the phrase was not said at
    /// all (made once at load time; every result shares it).
    pub not_found: Arc<str>,
    pub kind: RuleKind,
    pub speaker: SpeakerFilter,
    pub severity: Severity,
    pub deduct: u32,
    pub max_deduct: Option<u32>,
    pub window: Option<Window>,
    pub applies_to: Option<Vec<InteractionKind>>,
    /// Normalized phrases (also in the shared automaton).
    pub phrases: Vec<String>,
    /// Normalized except phrases (also in the shared automaton).
    pub except: Vec<String>,
    pub patterns: Vec<regex::Regex>,
    /// The literal Chinese words inside `patterns` (for correcting recognized text).
    pub pattern_words: Vec<String>,
    pub metric: Option<MetricBound>,
    pub match_mode: RuleMatch,
    /// after, all-of, near, not-near, except-patterns, examples.
    pub conditions: conditions::Conditions,
    /// Index into [`Ruleset::dimensions`]; `None` when the ruleset has none.
    pub dimension: Option<usize>,
}

/// How a rule's phrases and patterns meet the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleMatch {
    /// No `match` key: exact in typed text; in recognized speech over the text
    /// corrected towards the ruleset's vocabulary.
    Auto,
    /// `match = "exact"`: the characters as written, everywhere.
    Exact,
    /// `match = "pinyin"`: also by sound within `max-distance`, everywhere.
    Pinyin(PinyinPhrases),
}

impl Rule {
    /// The rule's own pronunciation matcher (`match = "pinyin"`).
    pub fn pinyin(&self) -> Option<&PinyinPhrases> {
        match &self.match_mode {
            RuleMatch::Pinyin(p) => Some(p),
            _ => None,
        }
    }
}

impl Rule {
    pub fn applies_to_kind(&self, kind: Option<InteractionKind>) -> bool {
        match (&self.applies_to, kind) {
            (None, _) | (_, None) => true,
            (Some(kinds), Some(k)) => kinds.contains(&k),
        }
    }

    /// A one-line description for `callqa rules check`.
    pub fn summary(&self) -> String {
        let kind = match self.kind {
            RuleKind::Forbidden => "forbidden",
            RuleKind::Required => "required",
            RuleKind::Metric => "metric",
        };
        let mut s = format!(
            "{:<28} {:<9} {:<5}",
            self.id,
            kind,
            format!("{:?}", self.severity).to_lowercase()
        );
        match &self.metric {
            Some(m) => {
                s.push_str(&format!(" {}", m.metric.name()));
                if let Some(max) = m.max {
                    s.push_str(&format!(" <= {max}"));
                }
                if let Some(min) = m.min {
                    s.push_str(&format!(" >= {min}"));
                }
            }
            None => {
                s.push_str(&format!(
                    " speaker={} phrases={} patterns={} except={}",
                    match self.speaker {
                        SpeakerFilter::Agent => "agent",
                        SpeakerFilter::Customer => "customer",
                        SpeakerFilter::Any => "any",
                    },
                    self.phrases.len(),
                    self.patterns.len(),
                    self.except.len()
                ));
                if let Some(w) = &self.window {
                    s.push_str(&format!(" within {w}"));
                }
                match self.match_mode {
                    RuleMatch::Pinyin(_) => s.push_str(" match=pinyin"),
                    RuleMatch::Exact => s.push_str(" match=exact"),
                    RuleMatch::Auto => {}
                }
            }
        }
        s.push_str(&format!(" deduct={}", self.deduct));
        if let Some(m) = self.max_deduct {
            s.push_str(&format!(" max-deduct={m}"));
        }
        s.push_str(&format!("  {}", self.title));
        s
    }
}

/// What an automaton pattern is to a rule that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhraseRole {
    Hit,
    Except,
    /// A phrase of `all-of` group N (from 0).
    Group(u16),
    /// A phrase of `near` (true) or `not-near` (false).
    Near(bool),
    /// A phrase of the `after` trigger.
    Trigger,
    /// A literal one of which every match of gated pattern N starts with.
    Gate(u32),
}

/// The three lists of regexes a rule may have, for [`PhraseIndex::gate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternList {
    Patterns = 0,
    ExceptPatterns = 1,
    TriggerPatterns = 2,
}

/// All phrases of all rules in one automaton; `owners[pattern]` says which rules use it.
/// The automaton runs over text encoded with `alphabet` (about one byte per
/// character), not over UTF-8.
#[derive(Debug, Clone)]
pub struct PhraseIndex {
    pub alphabet: PhraseAlphabet,
    pub automaton: AhoCorasick,
    pub owners: Vec<Vec<(usize, PhraseRole)>>,
    /// Rules that also search each turn on their own (regex patterns or pinyin
    /// matching), so the scanner does not look at every rule for every turn.
    pub searching_rules: Vec<usize>,
    /// What recognized text is corrected towards for rules without a `match` key.
    pub sound_alike: Option<SoundAlike>,
    /// Per rule and pattern list, the gate of each regex (`None`: runs on every turn).
    pub gates: Vec<[Vec<Option<u32>>; 3]>,
    /// How many gated regexes there are.
    pub gate_count: usize,
}

impl PhraseIndex {
    /// The gate of regex `k` of `list` of rule `rule`, if it has one.
    pub fn gate(&self, rule: usize, list: PatternList, k: usize) -> Option<u32> {
        self.gates
            .get(rule)
            .and_then(|g| g[list as usize].get(k).copied().flatten())
    }
}

/// A loaded, checked and compiled rule set.
#[derive(Debug, Clone)]
pub struct Ruleset {
    pub name: Arc<str>,
    pub version: Arc<str>,
    pub pass_score: f64,
    pub bands: Vec<Band>,
    /// Weighted parts of the score, in the order defined; empty: one plain score.
    pub dimensions: Vec<Dimension>,
    /// Mean score under which two consecutive periods raise an alert.
    pub alert_below: f64,
    pub sha256: Arc<str>,
    pub files: Vec<PathBuf>,
    /// The rule files' texts concatenated in load order: what `sha256` is taken
    /// over, and loaded as one source, the same ruleset (see [`Ruleset::as_one_file`]).
    pub text: Arc<str>,
    pub rules: Vec<Rule>,
    pub index: PhraseIndex,
}

impl Ruleset {
    /// The words of the service script the agent must say on a call: the phrases
    /// of the required agent rules that apply to calls, and the literal words of
    /// their patterns (normalized, sorted, without repeats). On a mono call the
    /// voice that says more of them is taken for the agent.
    pub fn agent_script_words(&self) -> Vec<String> {
        let mut words: Vec<String> = self
            .rules
            .iter()
            .filter(|r| r.kind == RuleKind::Required && r.speaker == SpeakerFilter::Agent)
            .filter(|r| {
                r.applies_to
                    .as_ref()
                    .is_none_or(|kinds| kinds.contains(&InteractionKind::Call))
            })
            .flat_map(|r| r.phrases.iter().chain(&r.pattern_words).cloned())
            .collect();
        words.sort();
        words.dedup();
        words
    }

    pub fn id(&self) -> RulesetId {
        RulesetId {
            name: self.name.clone(),
            version: self.version.clone(),
            sha256: self.sha256.clone(),
        }
    }

    /// Loads a rule file, or every `*.toml` in a directory (in name order).
    pub fn load(path: &Path) -> Result<Ruleset, RulesError> {
        let files = rule_files(path)?;
        let mut sources = Vec::new();
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => sources.push((file, text)),
                Err(e) => {
                    return Err(RulesError {
                        errors: vec![Locator {
                            file: &file,
                            source: "",
                        }
                        .whole_file(format!("cannot read rule file: {e}"))],
                    })
                }
            }
        }
        Self::from_sources(&sources)
    }

    /// [`Ruleset::text`] when it reads back as this same ruleset (same sha256, same
    /// rules, dimensions and bands): always for one file; for several, unless the
    /// files do not join into one TOML document (e.g. a file without a final newline,
    /// or top-level keys after another file's tables). `None` then.
    pub fn as_one_file(&self) -> Option<&str> {
        if self.files.len() == 1 {
            return Some(&self.text);
        }
        let name = self.files.first().cloned().unwrap_or_default();
        let again = Self::from_sources(&[(name, self.text.to_string())]).ok()?;
        let ids = |r: &Ruleset| -> Vec<String> { r.rules.iter().map(Rule::summary).collect() };
        let same = again.sha256 == self.sha256
            && ids(&again) == ids(self)
            && again.bands == self.bands
            && again.dimensions == self.dimensions
            && (
                again.name.as_ref(),
                again.version.as_ref(),
                again.pass_score,
                again.alert_below,
            ) == (
                self.name.as_ref(),
                self.version.as_ref(),
                self.pass_score,
                self.alert_below,
            );
        same.then_some(&*self.text)
    }

    /// Compiles rules from (file name, contents) pairs.
    pub fn from_sources(sources: &[(PathBuf, String)]) -> Result<Ruleset, RulesError> {
        let mut errors = Vec::new();
        let mut meta = None;
        let mut bands = Vec::new();
        let mut vocabulary: Vec<String> = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut dims = dimension::Collected::default();
        let mut hasher = Sha256::new();
        for (n, (file, text)) in sources.iter().enumerate() {
            hasher.update(text.as_bytes());
            let loc = Locator { file, source: text };
            let parsed: spec::RuleFileSpec = match toml::from_str(text) {
                Ok(p) => p,
                Err(e) => {
                    let at = e.span().map_or(0, |s| s.start);
                    let id = rule_id_near(text, at);
                    errors.push(loc.at(at, id.as_deref(), e.message().trim().to_string()));
                    continue;
                }
            };
            if let Some(rs) = parsed.ruleset {
                let at = rs.span().start;
                let rs = rs.into_inner();
                if meta.is_some() {
                    errors.push(loc.at(
                        at,
                        None,
                        "a second [ruleset] table; exactly one rule file may define it",
                    ));
                } else {
                    let pass = *rs.pass_score.get_ref();
                    if !(0.0..=100.0).contains(&pass) {
                        errors.push(loc.at(
                            rs.pass_score.span().start,
                            None,
                            format!("pass-score = {pass} is out of range 0..=100"),
                        ));
                    }
                    if rs.name.trim().is_empty() || rs.version.trim().is_empty() {
                        errors.push(loc.at(
                            at,
                            None,
                            "[ruleset] needs a non-empty name and version",
                        ));
                    }
                    for w in &rs.vocabulary {
                        let n = crate::text::normalize::normalize_str(w.get_ref());
                        if n.chars().count() < 2 {
                            errors.push(loc.at(
                                w.span().start,
                                None,
                                format!("vocabulary word {:?} needs at least two characters after normalization", w.get_ref()),
                            ));
                        } else {
                            vocabulary.push(n);
                        }
                    }
                    let alert = rs
                        .alert_below
                        .as_ref()
                        .map_or(DEFAULT_ALERT_BELOW, |a| *a.get_ref());
                    if let Some(a) = rs
                        .alert_below
                        .as_ref()
                        .filter(|a| !(0.0..=100.0).contains(a.get_ref()))
                    {
                        errors.push(loc.at(
                            a.span().start,
                            None,
                            format!("alert-below = {} is out of range 0..=100", a.get_ref()),
                        ));
                    }
                    meta = Some((rs.name, rs.version, pass, alert));
                }
            }
            for band in &parsed.band {
                compile::check_band(band, &loc, &mut errors);
                bands.push(band.get_ref().clone());
            }
            dims.defs
                .extend(parsed.dimension.into_iter().map(|d| (n, d)));
            for rule in &parsed.rule {
                let spec = rule.get_ref();
                let id = spec.id.get_ref();
                let here = loc.at(spec.id.span().start, None, "");
                let here = format!("{}:{}:{}", here.file.display(), here.line, here.column);
                if let Some(first) = seen.get(id) {
                    errors.push(loc.at(
                        spec.id.span().start,
                        Some(id),
                        format!("duplicate id; first defined at {first}"),
                    ));
                    continue;
                }
                seen.insert(id.clone(), here);
                if let Some(r) = compile::compile_rule(spec, &loc, &mut errors) {
                    dims.refs
                        .push((n, rules.len(), spec.id.span().start, spec.dimension.clone()));
                    rules.push(r);
                }
            }
        }
        if meta.is_none() && errors.is_empty() {
            let file = sources
                .first()
                .map(|s| s.0.as_path())
                .unwrap_or(Path::new("<rules>"));
            errors.push(
                Locator { file, source: "" }
                    .whole_file("no [ruleset] table (name, version, pass-score) in any rule file"),
            );
        }
        if rules.is_empty() && errors.is_empty() {
            let file = sources
                .first()
                .map(|s| s.0.as_path())
                .unwrap_or(Path::new("<rules>"));
            errors.push(Locator { file, source: "" }.whole_file("no [[rule]] defined"));
        }
        let dimensions = dimension::resolve(sources, &dims, &mut rules, &mut errors);
        if !errors.is_empty() {
            return Err(RulesError { errors });
        }
        bands.sort_by(|a, b| b.min.total_cmp(&a.min));
        let index = build_index(&rules, &vocabulary).map_err(|e| RulesError {
            errors: vec![Locator {
                file: &sources[0].0,
                source: "",
            }
            .whole_file(format!("cannot build phrase automaton: {e}"))],
        })?;
        let (name, version, pass_score, alert_below) = meta.expect("checked above");
        Ok(Ruleset {
            name: name.into(),
            version: version.into(),
            pass_score,
            bands,
            dimensions,
            alert_below,
            sha256: format!("{:x}", hasher.finalize()).into(),
            files: sources.iter().map(|s| s.0.clone()).collect(),
            text: sources
                .iter()
                .map(|s| s.1.as_str())
                .collect::<String>()
                .into(),
            rules,
            index,
        })
    }
}

fn rule_files(path: &Path) -> Result<Vec<PathBuf>, RulesError> {
    let fail = |msg: String| RulesError {
        errors: vec![Locator {
            file: path,
            source: "",
        }
        .whole_file(msg)],
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read rules: {e}")))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| fail(format!("cannot list rules directory: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(fail("no *.toml rule files in this directory".into()));
    }
    Ok(files)
}

fn build_index(rules: &[Rule], vocabulary: &[String]) -> Result<PhraseIndex, String> {
    let mut patterns: Vec<String> = Vec::new();
    let mut owners: Vec<Vec<(usize, PhraseRole)>> = Vec::new();
    let mut by_text: HashMap<String, usize> = HashMap::new();
    for (r, rule) in rules.iter().enumerate() {
        let c = &rule.conditions;
        let groups = c.all_of.iter().enumerate().flat_map(|(g, phrases)| {
            phrases
                .iter()
                .map(move |p| (p, PhraseRole::Group(g as u16)))
        });
        let near = c
            .near
            .iter()
            .flat_map(|n| n.phrases.iter())
            .map(|p| (p, PhraseRole::Near(true)));
        let not_near = c
            .not_near
            .iter()
            .flat_map(|n| n.phrases.iter())
            .map(|p| (p, PhraseRole::Near(false)));
        let trigger = c
            .after
            .iter()
            .flat_map(|t| t.phrases.iter())
            .map(|p| (p, PhraseRole::Trigger));
        let tagged = rule
            .phrases
            .iter()
            .map(|p| (p, PhraseRole::Hit))
            .chain(rule.except.iter().map(|p| (p, PhraseRole::Except)))
            .chain(groups)
            .chain(near)
            .chain(not_near)
            .chain(trigger);
        for (phrase, role) in tagged {
            let slot = *by_text.entry(phrase.clone()).or_insert_with(|| {
                patterns.push(phrase.clone());
                owners.push(Vec::new());
                patterns.len() - 1
            });
            if !owners[slot].contains(&(r, role)) {
                owners[slot].push((r, role));
            }
        }
    }
    // Gates: the literal prefixes of regexes, owned by the regex they open.
    let mut gates = Vec::with_capacity(rules.len());
    let mut gate_count = 0u32;
    for (r, rule) in rules.iter().enumerate() {
        let c = &rule.conditions;
        let lists: [&[regex::Regex]; 3] = [
            &rule.patterns,
            &c.except_patterns,
            c.after.as_ref().map_or(&[][..], |t| &t.patterns[..]),
        ];
        let mut of_rule: [Vec<Option<u32>>; 3] = Default::default();
        for (l, list) in lists.iter().enumerate() {
            for re in list.iter() {
                let gate = gate::gate_literals(re.as_str()).map(|literals| {
                    let g = gate_count;
                    gate_count += 1;
                    for literal in literals {
                        let slot = *by_text.entry(literal.clone()).or_insert_with(|| {
                            patterns.push(literal);
                            owners.push(Vec::new());
                            patterns.len() - 1
                        });
                        owners[slot].push((r, PhraseRole::Gate(g)));
                    }
                    g
                });
                of_rule[l].push(gate);
            }
        }
        gates.push(of_rule);
    }
    let alphabet =
        PhraseAlphabet::new(patterns.iter().map(String::as_str)).map_err(|e| e.to_string())?;
    let encoded: Vec<Vec<u8>> = patterns.iter().map(|p| alphabet.encode(p)).collect();
    // A DFA costs memory at load time and makes the per-turn pass over the text fast.
    let automaton = AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .prefilter(false)
        .build(&encoded)
        .map_err(|e| e.to_string())?;
    let searching_rules = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            !r.patterns.is_empty()
                || r.pinyin().is_some()
                || !r.conditions.except_patterns.is_empty()
                || r.conditions
                    .after
                    .as_ref()
                    .is_some_and(|t| !t.patterns.is_empty())
        })
        .map(|(i, _)| i)
        .collect();
    let auto = rules
        .iter()
        .filter(|r| matches!(r.match_mode, RuleMatch::Auto));
    let words = auto
        .flat_map(|r| {
            let c = &r.conditions;
            r.phrases
                .iter()
                .chain(&r.except)
                .chain(&r.pattern_words)
                .chain(c.all_of.iter().flatten())
                .chain(c.after.iter().flat_map(|t| t.phrases.iter()))
        })
        .chain(vocabulary)
        .map(String::as_str);
    Ok(PhraseIndex {
        alphabet,
        automaton,
        owners,
        searching_rules,
        sound_alike: SoundAlike::new(words),
        gates,
        gate_count: gate_count as usize,
    })
}

/// The id of the `[[rule]]` table that contains byte `at`, found textually (used
/// when the file does not parse, so the error can still name the rule).
fn rule_id_near(source: &str, at: usize) -> Option<String> {
    let at = (0..=at.min(source.len()))
        .rev()
        .find(|i| source.is_char_boundary(*i))?;
    let table_start = source[..at].rfind("[[rule]]")?;
    let table_end = source[table_start + 8..]
        .find("\n[")
        .map_or(source.len(), |e| table_start + 8 + e);
    let re = regex::Regex::new(r#"(?m)^\s*id\s*=\s*"([^"]*)""#).ok()?;
    re.captures(&source[table_start..table_end])
        .map(|c| c[1].to_string())
}
