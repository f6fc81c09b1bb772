//! Property test for the scanner's phrase matching: whatever the text and phrases
//! (Chinese with Traditional forms, full width, punctuation, ASCII, emoji), the
//! hits of each rule are exactly those of a naive leftmost-longest search for the
//! rule's phrases in the normalized text, quoted from the original text. This pins
//! the automaton's encoded alphabet and the offset maps to plain string search.

use callqa::interaction::{Interaction, InteractionKind, Roles, Speaker, Turn};
use callqa::rules::Ruleset;
use callqa::scan::matcher::find_hits;
use callqa::text::normalize::{normalize, normalize_str};
use proptest::prelude::*;
use std::path::PathBuf;

const PIECES: &[&str] = &[
    "不", "知", "道", "沒", "没", "辦", "办", "法", "您", "好", "工", "號", "号", "ＡＢ", "ab",
    "ｃ", "1", "２", " ", "\u{3000}", "，", "。", "😀", "𠀀", "İ", "i", "乾", "干", "隆", "管",
];

fn piece_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 1..max).prop_map(|v| v.concat())
}

/// Leftmost-longest, non-overlapping occurrences of any of `phrases` in `text`.
fn naive_hits(text: &str, phrases: &[String]) -> Vec<(usize, usize)> {
    let mut hits = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let longest = phrases
            .iter()
            .filter(|p| !p.is_empty() && text[at..].starts_with(p.as_str()))
            .map(String::len)
            .max();
        match longest {
            Some(len) => {
                hits.push((at, at + len));
                at += len;
            }
            None => at += text[at..].chars().next().map_or(1, char::len_utf8),
        }
    }
    hits
}

fn ruleset(rules: &[Vec<String>]) -> Option<Ruleset> {
    let mut toml = String::from("[ruleset]\nname = \"p\"\nversion = \"1\"\npass-score = 80\n");
    for (i, phrases) in rules.iter().enumerate() {
        let list: Vec<String> = phrases.iter().map(|p| format!("{p:?}")).collect();
        toml.push_str(&format!(
            "[[rule]]\nid = \"r{i}\"\nkind = \"forbidden\"\nspeaker = \"any\"\nphrases = [{}]\ndeduct = 1\n",
            list.join(", ")
        ));
    }
    Ruleset::from_sources(&[(PathBuf::from("p.toml"), toml)]).ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn hits_equal_naive_search(
        turns in prop::collection::vec(piece_string(30), 1..4),
        rules in prop::collection::vec(prop::collection::vec(piece_string(4), 1..4), 1..4),
    ) {
        // Phrases that normalize to nothing (only punctuation) are load errors.
        let ruleset = ruleset(&rules);
        prop_assume!(ruleset.is_some());
        let ruleset = ruleset.unwrap();
        let interaction = Interaction {
            id: "p".into(),
            kind: Some(InteractionKind::Chat),
            source: "p".into(),
            agent_id: "A".into(),
            started_at: None,
            duration_s: 10.0,
            roles: Roles::Known,
            roles_reason: None,
            turns: turns
                .iter()
                .map(|t| Turn::new(Speaker::Agent, 0.0, 1.0, t.clone()))
                .collect(),
            measured: Default::default(),
        };
        let hits = find_hits(&interaction, &ruleset);
        for (r, rule) in ruleset.rules.iter().enumerate() {
            let phrases: Vec<String> = rules[r].iter().map(|p| normalize_str(p)).collect();
            let mut expected = Vec::new();
            for (t, text) in turns.iter().enumerate() {
                let n = normalize(text);
                for (a, b) in naive_hits(&n.text, &phrases) {
                    let range = n.original_range(a..b);
                    expected.push((t + 1, text[range].to_string()));
                }
            }
            let found: Vec<(usize, String)> = hits
                .of(r)
                .counted
                .iter()
                .map(|e| (e.turn, e.matched.clone()))
                .collect();
            prop_assert_eq!(found, expected, "rule {} phrases {:?}", rule.id, phrases);
        }
    }
}

/// A chat of one agent message.
fn one_agent_turn(text: &str) -> Interaction {
    Interaction {
        id: "p".into(),
        kind: Some(InteractionKind::Chat),
        source: "p".into(),
        agent_id: "a".into(),
        started_at: None,
        duration_s: 0.0,
        roles: Roles::Known,
        roles_reason: None,
        turns: vec![Turn::new(Speaker::Agent, 0.0, 0.0, text)],
        measured: Default::default(),
    }
}

const NEAR_PIECES: &[&str] = &["不知道", "我", "您", "好", "。", "，", "x", " "];

/// The hits of `不知道` a `near` (or `not-near`) `我` within `n` characters keeps,
/// found naively: over the text without punctuation and spaces, a hit is kept when
/// some 我 is at most `n` characters from it and the original text between them has
/// no sentence punctuation (。，).
fn naive_near(text: &str, n: usize, near: bool) -> Vec<String> {
    // Normalized characters with their original byte offsets.
    let kept: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| !matches!(c, '。' | '，' | ' '))
        .collect();
    let norm: Vec<char> = kept.iter().map(|(_, c)| *c).collect();
    let target: Vec<char> = "不知道".chars().collect();
    let wo: Vec<usize> = (0..norm.len()).filter(|&i| norm[i] == '我').collect();
    let original_end = |i: usize| kept[i].0 + kept[i].1.len_utf8();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 3 <= norm.len() {
        if norm[i..i + 3] != target[..] {
            i += 1;
            continue;
        }
        let (s, e) = (i, i + 3);
        let close = wo.iter().any(|&w| {
            let gap = if w < s { s - (w + 1) } else { w - e };
            let (from, to) = (w.min(s), (w + 1).max(e) - 1);
            let span = &text[kept[from].0..original_end(to)];
            gap <= n && !span.contains(['。', '，'])
        });
        if close == near {
            out.push(text[kept[s].0..original_end(e - 1)].to_string());
        }
        i = e;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn near_and_not_near_equal_a_naive_reference(
        pieces in prop::collection::vec(prop::sample::select(NEAR_PIECES), 1..14),
        n in 1usize..5,
        near in any::<bool>(),
    ) {
        let text = pieces.concat();
        let key = if near { "near" } else { "not-near" };
        let toml = format!(
            "[ruleset]\nname = \"p\"\nversion = \"1\"\npass-score = 80\n[[rule]]\nid = \"f\"\nkind = \"forbidden\"\nspeaker = \"any\"\nphrases = [\"不知道\"]\n{key} = {{ phrases = [\"我\"], within-chars = {n} }}\ndeduct = 1\n"
        );
        let ruleset = Ruleset::from_sources(&[(PathBuf::from("p.toml"), toml)]).unwrap();
        let interaction = one_agent_turn(&text);
        let hits = find_hits(&interaction, &ruleset);
        let got: Vec<String> = hits.of(0).counted.iter().map(|e| e.matched.clone()).collect();
        prop_assert_eq!(got, naive_near(&text, n, near), "text {:?}", text);
    }
}

const GATED_PATTERNS: &[&str] = &[
    "工号[0-9]{2,}",
    "[您你]好",
    r"1[3-9]\d{3}",
    "不.{0,2}道",
    "(?i)ab",
    r"\d{2}号",
];
const GATE_PIECES: &[&str] = &[
    "工", "号", "號", "您", "你", "好", "不", "知", "道", "1", "3", "9", "０", "AB", "ab", "，",
    " ",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// Patterns run only on turns where one of their literal prefixes occurs; that
    /// must never lose a match: the hits equal every match of the regex over the
    /// normalized text.
    #[test]
    fn gated_patterns_find_every_regex_match(
        pieces in prop::collection::vec(prop::sample::select(GATE_PIECES), 1..16),
    ) {
        let text = pieces.concat();
        let mut toml = String::from("[ruleset]\nname = \"p\"\nversion = \"1\"\npass-score = 80\n");
        for (i, p) in GATED_PATTERNS.iter().enumerate() {
            toml.push_str(&format!(
                "[[rule]]\nid = \"r{i}\"\nkind = \"forbidden\"\nspeaker = \"any\"\npatterns = ['{p}']\ndeduct = 1\n"
            ));
        }
        let ruleset = Ruleset::from_sources(&[(PathBuf::from("p.toml"), toml)]).unwrap();
        let interaction = one_agent_turn(&text);
        let hits = find_hits(&interaction, &ruleset);
        let norm = normalize(&text);
        for (i, p) in GATED_PATTERNS.iter().enumerate() {
            let re = regex::Regex::new(p).unwrap();
            let want: Vec<String> = re
                .find_iter(&norm.text)
                .map(|m| text[norm.original_range(m.start()..m.end())].to_string())
                .collect();
            let got: Vec<String> = hits.of(i).counted.iter().map(|e| e.matched.clone()).collect();
            prop_assert_eq!(got, want, "pattern {} on {:?}", p, text);
        }
    }
}
