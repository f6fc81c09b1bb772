//! The service script that tells the agent of a mono call from the customer: the
//! greeting, the company name, the 工号, the closing, that is the words of the
//! ruleset's required agent rules (and a few that every Chinese call-centre
//! script has), found in recognized text tolerating what the recognizer does to
//! Chinese (公号 for 工号). [`super::turn_roles`] weighs each utterance by them.

use crate::text::normalize::normalize_str;
use crate::text::pinyin::PinyinPhrases;

/// Script words of any Chinese call-centre agent, besides the ruleset's own.
pub const BUILT_IN_CUES: [&str; 5] = ["工号", "客服", "为您服务", "可以帮您", "感谢您的来电"];

/// The script words to look for: the ruleset's `cues` and [`BUILT_IN_CUES`], less
/// `except`, normalized, of two characters or more, matched also when heard alike.
pub(super) fn script_words(cues: &[String], except: &[&str]) -> PinyinPhrases {
    let mut words: Vec<String> = cues
        .iter()
        .map(String::as_str)
        .chain(BUILT_IN_CUES)
        .filter(|w| !except.contains(w))
        .map(normalize_str)
        .filter(|w| w.chars().count() >= 2)
        .collect();
    words.sort();
    words.dedup();
    PinyinPhrases::new(&words, 1)
}

/// Characters of `normalized` covered by some script word (said as written or
/// heard alike).
pub(super) fn script_chars(sounds: &PinyinPhrases, normalized: &str) -> usize {
    let mut covered: Vec<(usize, usize)> = sounds
        .find(normalized)
        .iter()
        .map(|h| (h.start, h.end))
        .collect();
    covered.sort_unstable();
    let mut chars = 0;
    let mut until = 0;
    for (s, e) in covered {
        let from = s.max(until);
        if e > from {
            chars += normalized[from..e].chars().count();
            until = e;
        }
    }
    chars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_words_are_found_as_said_and_as_heard() {
        let cues = ["您好", "工号", "再见"].map(String::from).to_vec();
        let words = script_words(&cues, &["再见"]);
        let count = |t: &str| script_chars(&words, &normalize_str(t));
        // 您好 (2), 公号 heard for 工号 (2), 感谢您的来电 built in (6).
        assert_eq!(count("您好，我的公号一二三。感谢您的来电"), 10);
        // 再见 is left out, and a customer's words hold no script.
        assert_eq!(count("我想查一下快递，再见。"), 0);
    }
}
