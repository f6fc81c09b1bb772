//! Finds where each rule's phrases and patterns occur in an interaction. One pass of
//! the shared automaton per turn finds every phrase of every rule; each rule then
//! resolves its own candidates leftmost-longest without overlaps, drops hits inside
//! its except phrases, and applies its speaker filter and window.

use crate::interaction::{Interaction, Roles, Speaker, Turn};
use crate::rules::{PhraseRole, Rule, Ruleset, SpeakerFilter, Window};
use crate::scan::result::{Evidence, RuleKind};
use crate::text::normalize::{normalize, normalize_str_into, Normalized};

/// The hits of one rule in one interaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleHits {
    /// Hits that count: right speaker, inside the window, not excepted.
    pub counted: Vec<Evidence>,
    /// Hits by the right speaker outside the rule's window (e.g. a greeting said too
    /// late). They do not count, but explain a required-rule violation.
    pub outside_window: Vec<Evidence>,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    start: usize,
    end: usize,
    fuzzy: bool,
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

/// Hits per rule, indexed like `ruleset.rules`. Metric rules get empty hits.
pub fn find_hits(interaction: &Interaction, ruleset: &Ruleset) -> Vec<RuleHits> {
    let rules = &ruleset.rules;
    let mut out = vec![RuleHits::default(); rules.len()];
    let active: Vec<bool> = rules
        .iter()
        .map(|r| r.kind != RuleKind::Metric && r.applies_to_kind(interaction.kind))
        .collect();
    // Ordinal of each turn among the turns each rule's speaker filter sees.
    let ordinals = TurnOrdinals::new(interaction);
    let mut candidates: Vec<Vec<Candidate>> = vec![Vec::new(); rules.len()];
    let mut excepts: Vec<Vec<(usize, usize)>> = vec![Vec::new(); rules.len()];
    let mut touched: Vec<usize> = Vec::new();

    let mut text = String::new();
    for (t, turn) in interaction.turns.iter().enumerate() {
        if turn.speaker == Speaker::System || turn.text.is_empty() {
            continue;
        }
        let sees = |r: usize| {
            active[r] && speaker_matches(rules[r].speaker, turn.speaker, interaction.roles)
        };
        normalize_str_into(&turn.text, &mut text);
        if text.is_empty() {
            continue;
        }
        for m in ruleset.index.automaton.find_overlapping_iter(text.as_str()) {
            for &(r, role) in &ruleset.index.owners[m.pattern().as_usize()] {
                if !sees(r) {
                    continue;
                }
                if candidates[r].is_empty() && excepts[r].is_empty() {
                    touched.push(r);
                }
                match role {
                    PhraseRole::Hit => candidates[r].push(Candidate {
                        start: m.start(),
                        end: m.end(),
                        fuzzy: false,
                    }),
                    PhraseRole::Except => excepts[r].push((m.start(), m.end())),
                }
            }
        }
        for (r, rule) in rules.iter().enumerate() {
            if (rule.patterns.is_empty() && rule.fuzzy.is_none()) || !sees(r) {
                continue;
            }
            let before = candidates[r].len() + excepts[r].len();
            for re in &rule.patterns {
                for m in re.find_iter(&text) {
                    candidates[r].push(Candidate {
                        start: m.start(),
                        end: m.end(),
                        fuzzy: false,
                    });
                }
            }
            if let Some(fuzzy) = &rule.fuzzy {
                for h in fuzzy.find(&text) {
                    candidates[r].push(Candidate {
                        start: h.start,
                        end: h.end,
                        fuzzy: h.fuzzy,
                    });
                }
            }
            if before == 0 && !candidates[r].is_empty() {
                touched.push(r);
            }
        }
        // The offset map back to the original text is only needed for turns with a hit.
        let mut norm: Option<Normalized> = None;
        for &r in &touched {
            let rule = &rules[r];
            for c in leftmost_longest(&mut candidates[r]) {
                if excepts[r].iter().any(|&(s, e)| s <= c.start && c.end <= e) {
                    continue;
                }
                let norm = norm.get_or_insert_with(|| normalize(&turn.text));
                let evidence = evidence_for(t, turn, norm, c);
                if in_window(rule, interaction, &ordinals, t, &evidence) {
                    out[r].counted.push(evidence);
                } else {
                    out[r].outside_window.push(evidence);
                }
            }
            candidates[r].clear();
            excepts[r].clear();
        }
        touched.clear();
    }
    out
}

/// Non-overlapping hits, leftmost first and the longest among those starting at the
/// same place; an exact hit beats a pronunciation hit over the same text.
fn leftmost_longest(c: &mut [Candidate]) -> Vec<Candidate> {
    c.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(a.fuzzy.cmp(&b.fuzzy))
    });
    let mut chosen: Vec<Candidate> = Vec::new();
    let mut next_free = 0;
    for cand in c.iter() {
        if cand.start >= next_free {
            chosen.push(*cand);
            next_free = cand.end;
        }
    }
    chosen
}

fn evidence_for(t: usize, turn: &Turn, norm: &Normalized, c: Candidate) -> Evidence {
    let range = norm.original_range(c.start..c.end);
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

fn in_window(rule: &Rule, i: &Interaction, ord: &TurnOrdinals, turn: usize, e: &Evidence) -> bool {
    const EPS: f64 = 1e-9;
    let s = filter_slot(rule.speaker);
    match rule.window {
        None => true,
        Some(Window::FirstTurns(n)) => ord.ordinal[s][turn] < n,
        Some(Window::LastTurns(n)) => {
            let o = ord.ordinal[s][turn];
            o != usize::MAX && o + n >= ord.count[s]
        }
        Some(Window::FirstSeconds(secs)) => e.start_s <= secs + EPS,
        Some(Window::LastSeconds(secs)) => e.end_s + EPS >= i.duration_s - secs,
    }
}
