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
