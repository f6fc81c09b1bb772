//! Which of the two voices of a mono call is the agent. The agent is the one who
//! speaks the service script: the greeting, the company name, the 工号, the
//! closing, that is the words of the ruleset's required agent rules (and a few
//! that every Chinese call-centre script has). Each voice's recognized text is
//! searched for them, tolerating what the recognizer does to Chinese (公号 for
//! 工号), and the voice with more script characters is the agent. When neither
//! says more of them, the agent is the voice heard first, as on an inbound call.

use crate::text::normalize::normalize_str;
use crate::text::pinyin::PinyinPhrases;

/// Script words of any Chinese call-centre agent, besides the ruleset's own.
pub const BUILT_IN_CUES: [&str; 5] = ["工号", "客服", "为您服务", "可以帮您", "感谢您的来电"];

/// How the agent was picked.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentVoice {
    /// 0 or 1: the index of the agent's voice.
    pub agent: usize,
    /// Script characters found in each voice's text.
    pub script_chars: [usize; 2],
}

impl AgentVoice {
    /// Whether the script words decided (rather than who spoke first).
    pub fn by_script(&self) -> bool {
        self.script_chars[0] != self.script_chars[1]
    }
}

/// Picks the agent between two voices; `texts` are what each said (voice 0 is the
/// one heard first) and `cues` the ruleset's agent script words.
pub fn agent_voice(texts: [&str; 2], cues: &[String]) -> AgentVoice {
    let sounds = script_words(cues, &[]);
    let script_chars = texts.map(|t| script_chars(&sounds, &normalize_str(t)));
    let agent = usize::from(script_chars[1] > script_chars[0]);
    AgentVoice {
        agent,
        script_chars,
    }
}

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

    fn cues() -> Vec<String> {
        ["您好", "你好", "工号", "感谢您的来电", "再见"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn the_voice_that_says_the_script_is_the_agent() {
        let agent = "您好，我的公号一二三，请问有什么可以帮您？好的，感谢您的来电，再见。";
        let customer = "你好，我想查一下快递。好的，谢谢，再见。";
        let v = agent_voice([customer, agent], &cues());
        assert_eq!(v.agent, 1, "{v:?}");
        assert!(v.by_script());
        assert!(v.script_chars[1] > v.script_chars[0] + 5, "{v:?}");
        assert_eq!(agent_voice([agent, customer], &cues()).agent, 0);
    }

    #[test]
    fn without_script_words_the_first_voice_is_the_agent() {
        let v = agent_voice(["嗯，好的。", "是的，没问题。"], &cues());
        assert_eq!(v.agent, 0);
        assert!(!v.by_script());
    }
}
