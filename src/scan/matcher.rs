//! Finds where each rule's phrases and patterns occur in an interaction. One pass of
//! the shared automaton per turn (over the turn's normalized text in the phrase
//! alphabet, about one byte per character) finds every phrase of every rule; each rule then
//! resolves its own candidates leftmost-longest without overlaps, drops hits inside
//! its except phrases, and applies its speaker filter and window.

use crate::interaction::{Interaction, Roles, Speaker, Turn};
use crate::rules::{PatternList, PhraseRole, Rule, RuleMatch, Ruleset, SpeakerFilter, Window};
use crate::scan::result::{Evidence, RuleKind};
use crate::text::normalize::{normalize, normalize_str_into_with, Normalized};
use crate::text::phrase_alphabet::CodeOffsets;
use crate::text::sound_alike::Corrected;

/// The hits of one rule in one interaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleHits {
    /// Hits that count: right speaker, inside the window, not excepted.
    pub counted: Vec<Evidence>,
    /// Hits by the right speaker outside the rule's window (e.g. a greeting said too
    /// late). They do not count, but explain a required-rule violation.
    pub outside_window: Vec<Evidence>,
    /// For each counted hit, its `all-of` group plus one (0 without all-of).
    pub counted_groups: Vec<u16>,
    /// Occurrences of the rule's `after` trigger, in turn order (`text` left empty:
    /// it is the turn's text).
    pub triggers: Vec<Evidence>,
}

/// The hits of an interaction, only for the rules that have any (most rules have
/// none in most interactions), ordered by rule index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hits {
    by_rule: Vec<(usize, RuleHits)>,
}

impl Hits {
    /// The hits of rule `rule` (an index into `ruleset.rules`); empty when it has none.
    pub fn of(&self, rule: usize) -> &RuleHits {
        static NONE: RuleHits = RuleHits {
            counted: Vec::new(),
            outside_window: Vec::new(),
            counted_groups: Vec::new(),
            triggers: Vec::new(),
        };
        match self.by_rule.binary_search_by_key(&rule, |(r, _)| *r) {
            Ok(i) => &self.by_rule[i].1,
            Err(_) => &NONE,
        }
    }

    /// Moves the hits of rule `rule` out (empty when it has none).
    pub fn take(&mut self, rule: usize) -> RuleHits {
        match self.by_rule.binary_search_by_key(&rule, |(r, _)| *r) {
            Ok(i) => std::mem::take(&mut self.by_rule[i].1),
            Err(_) => RuleHits::default(),
        }
    }

    fn entry(&mut self, rule: usize) -> &mut RuleHits {
        let i = match self.by_rule.binary_search_by_key(&rule, |(r, _)| *r) {
            Ok(i) => i,
            Err(i) => {
                self.by_rule.insert(i, (rule, RuleHits::default()));
                i
            }
        };
        &mut self.by_rule[i].1
    }
}

/// A place in a turn's normalized text where a rule's phrase or pattern occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    rule: usize,
    start: usize,
    /// Sorting key: longer first among candidates starting at the same place.
    neg_end: std::cmp::Reverse<usize>,
    /// Exact before pronunciation hits over the same text.
    fuzzy: bool,
    /// The `all-of` group plus one (0 for a plain phrase or pattern).
    group: u16,
}

impl Candidate {
    fn new(rule: usize, start: usize, end: usize, fuzzy: bool) -> Self {
        Candidate {
            rule,
            start,
            neg_end: std::cmp::Reverse(end),
            fuzzy,
            group: 0,
        }
    }

    fn end(&self) -> usize {
        self.neg_end.0
    }
}

/// Buffers reused from turn to turn and interaction to interaction, so the scan of
/// a turn allocates only when it finds something.
#[derive(Default)]
struct Scratch {
    normalized: String,
    /// The normalized text in the phrase automaton's alphabet.
    codes: Vec<u8>,
    offsets: CodeOffsets,
    found: Found,
}

/// What the passes over one turn found, in normalized-text offsets.
#[derive(Default)]
struct Found {
    candidates: Vec<Candidate>,
    /// (rule, start, end) of except phrases and except patterns.
    excepts: Vec<(usize, usize, usize)>,
    /// (rule, start, end, near = true / not-near = false) of near phrases.
    nears: Vec<(usize, usize, usize, bool)>,
    /// Occurrences of rules' `after` triggers.
    triggers: Vec<Candidate>,
    /// Which gated regexes may match in the text of the current pass.
    gates: Vec<bool>,
}

impl Found {
    /// Offsets of what the corrected pass found (everything from the given
    /// lengths on) as offsets of the normalized text.
    fn map_to_normalized(
        &mut self,
        corrected: &Corrected,
        candidates: usize,
        (excepts, nears, triggers): (usize, usize, usize),
    ) {
        let at = |o: usize| corrected.to_normalized(o);
        for c in self.candidates[candidates..]
            .iter_mut()
            .chain(&mut self.triggers[triggers..])
        {
            let end = at(c.end());
            c.start = at(c.start);
            c.neg_end = std::cmp::Reverse(end);
        }
        for x in &mut self.excepts[excepts..] {
            (x.1, x.2) = (at(x.1), at(x.2));
        }
        for n in &mut self.nears[nears..] {
            (n.1, n.2) = (at(n.1), at(n.2));
        }
    }

    fn clear(&mut self) {
        self.candidates.clear();
        self.excepts.clear();
        self.nears.clear();
        self.triggers.clear();
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Whether a rule looks at turns by `speaker`. With unknown roles (mono calls) every
/// speech turn may be the agent's or the customer's, so every rule sees it.
pub fn speaker_matches(filter: SpeakerFilter, speaker: Speaker, roles: Roles) -> bool {
    match speaker {
        Speaker::System => false,
        Speaker::Unknown => true,
        _ if roles == Roles::Unknown => true,
        Speaker::Agent => matches!(filter, SpeakerFilter::Agent | SpeakerFilter::Any),
        Speaker::Customer => matches!(filter, SpeakerFilter::Customer | SpeakerFilter::Any),
    }
}

/// Finds the hits of every phrase and pattern rule in `interaction`.
pub fn find_hits(interaction: &Interaction, ruleset: &Ruleset) -> Hits {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => find_hits_with(interaction, ruleset, &mut scratch),
        // Only reachable if a caller re-enters from inside a scan; stay correct.
        Err(_) => find_hits_with(interaction, ruleset, &mut Scratch::default()),
    })
}

fn find_hits_with(interaction: &Interaction, ruleset: &Ruleset, scratch: &mut Scratch) -> Hits {
    let rules = &ruleset.rules;
    let mut hits = Hits::default();
    // Ordinal of each turn among the turns each rule's speaker filter sees; only
    // turn windows need it, so it is built on the first hit of such a rule.
    let mut ordinals: Option<TurnOrdinals> = None;
    let Scratch {
        normalized: text,
        codes,
        offsets,
        found,
    } = scratch;
    let index = &ruleset.index;
    // Recognized speech is corrected towards the vocabulary for the rules
    // without a `match` key; typed text never is.
    let sound_alike = index
        .sound_alike
        .as_ref()
        .filter(|_| interaction.recognized());

    for (t, turn) in interaction.turns.iter().enumerate() {
        if turn.speaker == Speaker::System || turn.text.is_empty() {
            continue;
        }
        let sees = |r: usize| {
            let rule = &rules[r];
            rule.kind != RuleKind::Metric
                && rule.applies_to_kind(interaction.kind)
                && speaker_matches(rule.speaker, turn.speaker, interaction.roles)
        };
        let sees_trigger =
            |r: usize| {
                let rule = &rules[r];
                rule.applies_to_kind(interaction.kind)
                    && rule.conditions.after.as_ref().is_some_and(|t| {
                        speaker_matches(t.speaker, turn.speaker, interaction.roles)
                    })
            };
        let sees = Sees {
            hits: &sees,
            triggers: &sees_trigger,
        };
        // One pass normalizes the turn and encodes it for the automaton.
        let mut encoder = index.alphabet.encoder(codes);
        normalize_str_into_with(&turn.text, text, &mut encoder);
        if text.is_empty() {
            continue;
        }
        let codes = encoder.codes();
        found.clear();
        // When something was corrected (same offsets), rules without a `match`
        // key run over the corrected text, the others over the text as recognized.
        let corrected = sound_alike.and_then(|v| v.correct(text));
        let pass = if corrected.is_some() {
            Pass::AsWritten
        } else {
            Pass::Only
        };
        collect_candidates(text, codes, pass, ruleset, offsets, &sees, found);
        if let Some(corrected) = &corrected {
            let shadow_codes = index.alphabet.encode(&corrected.text);
            let before = found.candidates.len();
            let before_other = (found.excepts.len(), found.nears.len(), found.triggers.len());
            collect_candidates(
                &corrected.text,
                &shadow_codes,
                Pass::Corrected,
                ruleset,
                offsets,
                &sees,
                found,
            );
            if corrected.moves_offsets() {
                found.map_to_normalized(corrected, before, before_other);
            }
            for c in &mut found.candidates[before..] {
                c.fuzzy = c.fuzzy || corrected.is_fuzzy(c.start..c.end());
            }
        }
        if found.candidates.is_empty() && found.triggers.is_empty() {
            continue;
        }
        let Found {
            candidates,
            excepts,
            nears,
            triggers,
            ..
        } = &mut *found;
        // Per rule, non-overlapping hits: leftmost first, the longest among those
        // starting at the same place, an exact hit before a pronunciation hit.
        candidates.sort_unstable();
        // The offset map back to the original text is only needed for turns with a hit.
        let mut norm: Option<Normalized> = None;
        let mut rule_now = usize::MAX;
        let mut next_free = 0;
        for c in candidates.iter() {
            if c.rule != rule_now {
                rule_now = c.rule;
                next_free = 0;
            }
            if c.start < next_free {
                continue;
            }
            next_free = c.end();
            let covering =
                |&&(r, s, e): &&(usize, usize, usize)| r == c.rule && s <= c.start && c.end() <= e;
            if excepts.iter().any(|x| covering(&x)) {
                let norm = norm.get_or_insert_with(|| normalize(&turn.text));
                let excepted = excepts
                    .iter()
                    .filter(covering)
                    .any(|&(_, s, e)| !crosses_sentence(&turn.text, norm.original_range(s..e)));
                if excepted {
                    continue;
                }
            }
            let rule = &rules[c.rule];
            let norm = norm.get_or_insert_with(|| normalize(&turn.text));
            if rule.conditions.filters_hits()
                && !near_allows(rule, c, nears, text, &turn.text, norm)
            {
                continue;
            }
            let evidence = evidence_for(t, turn, norm, c);
            let inside = in_window(rule, interaction, &mut ordinals, t, &evidence);
            let rule_hits = hits.entry(c.rule);
            if inside {
                rule_hits.counted.push(evidence);
                rule_hits.counted_groups.push(c.group);
            } else {
                rule_hits.outside_window.push(evidence);
            }
        }
        // Trigger occurrences: one per rule and turn, the leftmost (longest there).
        // "太差了，我要投诉" is one complaint to answer, and the window the first
        // trigger opens holds every later one's.
        triggers.sort_unstable();
        let mut rule_now = usize::MAX;
        for c in triggers.iter() {
            if c.rule == rule_now {
                continue;
            }
            rule_now = c.rule;
            let norm = norm.get_or_insert_with(|| normalize(&turn.text));
            // Most triggers are answered and never shown: the turn text is filled
            // in only for those that become evidence.
            let range = norm.original_range(c.start..c.end());
            let (start_s, end_s) = turn.time_of(range.start, range.end);
            hits.entry(c.rule).triggers.push(Evidence {
                turn: t + 1,
                speaker: turn.speaker,
                start_s,
                end_s,
                matched: turn.text[range.clone()].to_string(),
                text: String::new(),
                start_byte: range.start,
                end_byte: range.end,
                fuzzy: false,
                dismissed: false,
            });
        }
    }
    hits
}

/// Whether a hit passes its rule's `near` and `not-near`: a phrase of them within
/// `within-chars` characters, in the same sentence.
fn near_allows(
    rule: &Rule,
    c: &Candidate,
    nears: &[(usize, usize, usize, bool)],
    text: &str,
    original: &str,
    norm: &Normalized,
) -> bool {
    let close = |positive: bool, within: usize| {
        nears.iter().any(|&(r, s, e, p)| {
            if r != c.rule || p != positive {
                return false;
            }
            let (from, to) = (s.min(c.start), e.max(c.end()));
            let gap = if e <= c.start {
                text.get(e..c.start)
                    .map_or(usize::MAX, |g| g.chars().count())
            } else if s >= c.end() {
                text.get(c.end()..s)
                    .map_or(usize::MAX, |g| g.chars().count())
            } else {
                0
            };
            gap <= within && !crosses_sentence(original, norm.original_range(from..to))
        })
    };
    let conditions = &rule.conditions;
    conditions
        .near
        .as_ref()
        .is_none_or(|n| close(true, n.within_chars))
        && conditions
            .not_near
            .as_ref()
            .is_none_or(|n| !close(false, n.within_chars))
}

/// Whether `original[range]` runs over the end of a sentence or clause: an except
/// phrase found across "不知道。您再等等" is two sentences, not the phrase.
fn crosses_sentence(original: &str, range: std::ops::Range<usize>) -> bool {
    original.get(range).is_some_and(|s| {
        s.contains(|c| {
            matches!(
                c,
                '。' | '！' | '？' | '；' | '，' | '.' | '!' | '?' | ';' | ',' | '．' | '､' | '、'
            )
        })
    })
}

/// Which rules a pass over a turn's text serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The only pass (typed text, or recognized text nothing was corrected in).
    Only,
    /// Recognized text as written: rules that pin `match`.
    AsWritten,
    /// Recognized text corrected towards the vocabulary: rules without `match`.
    Corrected,
}

impl Pass {
    fn serves(self, rule: &Rule) -> bool {
        match self {
            Pass::Only => true,
            Pass::AsWritten => !matches!(rule.match_mode, RuleMatch::Auto),
            Pass::Corrected => matches!(rule.match_mode, RuleMatch::Auto),
        }
    }
}

/// Which rules a turn is for: their phrases and patterns (`hits`), their `after`
/// triggers (`triggers`).
struct Sees<'a> {
    hits: &'a dyn Fn(usize) -> bool,
    triggers: &'a dyn Fn(usize) -> bool,
}

/// The phrase, except, near, trigger, pattern and pronunciation candidates of one
/// pass over a turn's normalized `text` (`codes` is it in the phrase alphabet).
fn collect_candidates(
    text: &str,
    codes: &[u8],
    pass: Pass,
    ruleset: &Ruleset,
    offsets: &mut CodeOffsets,
    sees: &Sees<'_>,
    found: &mut Found,
) {
    let rules = &ruleset.rules;
    let index = &ruleset.index;
    let serves = |r: usize| (sees.hits)(r) && pass.serves(&rules[r]);
    let triggers = |r: usize| (sees.triggers)(r) && pass.serves(&rules[r]);
    found.gates.clear();
    found.gates.resize(index.gate_count, false);
    // Offsets of the encoding map back to the normalized text only in turns
    // with a hit.
    let mut mapped = false;
    for m in index.automaton.find_overlapping_iter(codes) {
        if !mapped {
            offsets.rebuild(text, codes);
            mapped = true;
        }
        let (start, end) = (offsets.text_offset(m.start()), offsets.text_offset(m.end()));
        for &(r, role) in &index.owners[m.pattern().as_usize()] {
            if let PhraseRole::Gate(g) = role {
                found.gates[g as usize] = true;
                continue;
            }
            if role == PhraseRole::Trigger {
                if triggers(r) {
                    found.triggers.push(Candidate::new(r, start, end, false));
                }
                continue;
            }
            if !serves(r) {
                continue;
            }
            match role {
                PhraseRole::Hit => found.candidates.push(Candidate::new(r, start, end, false)),
                PhraseRole::Group(g) => found.candidates.push(Candidate {
                    group: g + 1,
                    ..Candidate::new(r, start, end, false)
                }),
                PhraseRole::Except => found.excepts.push((r, start, end)),
                PhraseRole::Near(positive) => found.nears.push((r, start, end, positive)),
                PhraseRole::Trigger | PhraseRole::Gate(_) => {}
            }
        }
    }
    let Found {
        candidates,
        excepts,
        triggers: trigger_hits,
        gates,
        ..
    } = found;
    // Regex `k` of `list` may match: it has no gate, or its gate occurs in the text.
    let open = |r: usize, list: PatternList, k: usize| {
        index.gate(r, list, k).is_none_or(|g| gates[g as usize])
    };
    for &r in &index.searching_rules {
        let rule = &rules[r];
        if triggers(r) {
            let patterns = rule.conditions.after.iter().flat_map(|t| &t.patterns);
            for (k, re) in patterns.enumerate() {
                if open(r, PatternList::TriggerPatterns, k) {
                    trigger_hits.extend(
                        re.find_iter(text)
                            .map(|m| Candidate::new(r, m.start(), m.end(), false)),
                    );
                }
            }
        }
        if !serves(r) {
            continue;
        }
        for (k, re) in rule.patterns.iter().enumerate() {
            if open(r, PatternList::Patterns, k) {
                candidates.extend(
                    re.find_iter(text)
                        .map(|m| Candidate::new(r, m.start(), m.end(), false)),
                );
            }
        }
        for (k, re) in rule.conditions.except_patterns.iter().enumerate() {
            if open(r, PatternList::ExceptPatterns, k) {
                excepts.extend(re.find_iter(text).map(|m| (r, m.start(), m.end())));
            }
        }
        if let Some(fuzzy) = rule.pinyin() {
            for h in fuzzy.find(text) {
                candidates.push(Candidate::new(r, h.start, h.end, h.fuzzy));
            }
        }
    }
}

fn evidence_for(t: usize, turn: &Turn, norm: &Normalized, c: &Candidate) -> Evidence {
    let range = norm.original_range(c.start..c.end());
    let (start_s, end_s) = turn.time_of(range.start, range.end);
    Evidence {
        turn: t + 1,
        speaker: turn.speaker,
        start_s,
        end_s,
        matched: turn.text[range.clone()].to_string(),
        text: turn.text.clone(),
        start_byte: range.start,
        end_byte: range.end,
        fuzzy: c.fuzzy,
        dismissed: false,
    }
}

/// For each speaker filter, the position of each turn among the turns it sees.
struct TurnOrdinals {
    /// [filter][turn] -> ordinal (or usize::MAX when the filter does not see the turn)
    ordinal: [Vec<usize>; 3],
    count: [usize; 3],
}

fn filter_slot(f: SpeakerFilter) -> usize {
    match f {
        SpeakerFilter::Agent => 0,
        SpeakerFilter::Customer => 1,
        SpeakerFilter::Any => 2,
    }
}

impl TurnOrdinals {
    fn new(i: &Interaction) -> Self {
        let mut ordinal: [Vec<usize>; 3] = Default::default();
        let mut count = [0; 3];
        let spoken: Vec<bool> = i.turns.iter().map(|t| !t.text.trim().is_empty()).collect();
        for f in [
            SpeakerFilter::Agent,
            SpeakerFilter::Customer,
            SpeakerFilter::Any,
        ] {
            let s = filter_slot(f);
            for (turn, &spoken) in i.turns.iter().zip(&spoken) {
                if spoken && speaker_matches(f, turn.speaker, i.roles) {
                    ordinal[s].push(count[s]);
                    count[s] += 1;
                } else {
                    ordinal[s].push(usize::MAX);
                }
            }
        }
        TurnOrdinals { ordinal, count }
    }
}

/// Whether a hit lies inside its rule's window. Turn windows need the turn
/// ordinals, built on first use into `ord`.
fn in_window(
    rule: &Rule,
    i: &Interaction,
    ord: &mut Option<TurnOrdinals>,
    turn: usize,
    e: &Evidence,
) -> bool {
    const EPS: f64 = 1e-9;
    let s = filter_slot(rule.speaker);
    match rule.window {
        None => true,
        Some(Window::FirstTurns(n)) => {
            ord.get_or_insert_with(|| TurnOrdinals::new(i)).ordinal[s][turn] < n
        }
        Some(Window::LastTurns(n)) => {
            let ord = ord.get_or_insert_with(|| TurnOrdinals::new(i));
            let o = ord.ordinal[s][turn];
            o != usize::MAX && o + n >= ord.count[s]
        }
        Some(Window::FirstSeconds(secs)) => e.start_s <= secs + EPS,
        Some(Window::LastSeconds(secs)) => e.end_s + EPS >= i.duration_s - secs,
    }
}
