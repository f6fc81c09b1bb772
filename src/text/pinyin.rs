//! ASR-tolerant matching. Whisper writes what it hears, so 没办法 may come out as
//! 没半法 and 工号 as 公号 or 功后. A rule with `match = "pinyin"` also matches text
//! whose toneless pinyin equals its phrase, or differs by up to `max-distance`
//! confusions that phone audio makes common (initials z/zh, n/l, f/h ...; finals
//! an/ang, en/eng, ao/ou ...). Unrelated syllables never match.

use pinyin::{ToPinyin, ToPinyinMulti};

/// Initial pairs that sound alike on a phone line (cost 1 each).
const CONFUSABLE_INITIALS: &[(&str, &str)] = &[
    ("z", "zh"),
    ("c", "ch"),
    ("s", "sh"),
    ("n", "l"),
    ("f", "h"),
    ("r", "l"),
];
/// Final pairs that sound alike (cost 1 each).
const CONFUSABLE_FINALS: &[(&str, &str)] = &[
    ("an", "ang"),
    ("en", "eng"),
    ("in", "ing"),
    ("ian", "iang"),
    ("uan", "uang"),
    ("ou", "ong"),
    ("ao", "ou"),
    ("i", "in"),
    ("o", "uo"),
    ("e", "ei"),
    // Seen from Whisper base on 8 kHz phone audio: 来电 -> 来订 (dian -> ding).
    ("ian", "ing"),
];
/// Whole syllables Whisper base was seen to write for each other on phone audio
/// (事情不归我管 -> 是情部规模管 / 是情報規握管: wo -> mo, bu -> bao); cost 1.
const CONFUSABLE_SYLLABLES: &[(&str, &str)] = &[("wo", "mo"), ("bu", "bao")];
const INITIALS: &[&str] = &[
    "zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r",
    "z", "c", "s", "y", "w",
];

/// The readings of one character: toneless pinyin syllables, or the character itself
/// when it is not a Chinese character (digits, letters must match exactly).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sound {
    Han(Vec<&'static str>),
    Other(char),
}

fn sound_of(c: char) -> Sound {
    match c.to_pinyin_multi() {
        Some(multi) => {
            let mut readings: Vec<&'static str> = multi.into_iter().map(|p| p.plain()).collect();
            readings.dedup();
            Sound::Han(readings)
        }
        None => match c.to_pinyin() {
            Some(p) => Sound::Han(vec![p.plain()]),
            None => Sound::Other(c),
        },
    }
}

fn split(s: &str) -> (&str, &str) {
    for i in INITIALS {
        if let Some(rest) = s.strip_prefix(i) {
            if !rest.is_empty() {
                return (i, rest);
            }
        }
    }
    ("", s)
}

fn confusable(table: &[(&str, &str)], a: &str, b: &str) -> bool {
    table
        .iter()
        .any(|(x, y)| (*x == a && *y == b) || (*x == b && *y == a))
}

/// Cost of hearing syllable `b` where `a` was meant; `None` when they are unrelated.
pub fn syllable_cost(a: &str, b: &str) -> Option<usize> {
    if a == b {
        return Some(0);
    }
    if confusable(CONFUSABLE_SYLLABLES, a, b) {
        return Some(1);
    }
    let (ia, fa) = split(a);
    let (ib, fb) = split(b);
    let ci = if ia == ib {
        0
    } else if confusable(CONFUSABLE_INITIALS, ia, ib) {
        1
    } else {
        return None;
    };
    let cf = if fa == fb {
        0
    } else if confusable(CONFUSABLE_FINALS, fa, fb) {
        1
    } else {
        return None;
    };
    Some(ci + cf)
}

fn sound_cost(phrase: &Sound, heard: &Sound) -> Option<usize> {
    match (phrase, heard) {
        (Sound::Other(a), Sound::Other(b)) => (a == b).then_some(0),
        (Sound::Han(a), Sound::Han(b)) => a
            .iter()
            .flat_map(|x| b.iter().filter_map(move |y| syllable_cost(x, y)))
            .min(),
        _ => None,
    }
}

/// A pronunciation match in normalized text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoundHit {
    /// Byte range in the normalized text.
    pub start: usize,
    pub end: usize,
    pub phrase: usize,
    pub distance: usize,
    /// The characters differ from the phrase (it matched by sound only).
    pub fuzzy: bool,
}

/// A rule's phrases prepared for pronunciation matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinyinPhrases {
    phrases: Vec<(Vec<char>, Vec<Sound>)>,
    max_distance: usize,
}

impl PinyinPhrases {
    /// `phrases` must already be normalized.
    pub fn new(phrases: &[String], max_distance: usize) -> Self {
        let phrases = phrases
            .iter()
            .map(|p| {
                let chars: Vec<char> = p.chars().collect();
                let sounds = chars.iter().map(|c| sound_of(*c)).collect();
                (chars, sounds)
            })
            .collect();
        PinyinPhrases {
            phrases,
            max_distance,
        }
    }

    pub fn max_distance(&self) -> usize {
        self.max_distance
    }

    /// Every position where some phrase matches by sound, overlapping allowed; the
    /// caller resolves overlaps.
    pub fn find(&self, normalized: &str) -> Vec<SoundHit> {
        let chars: Vec<(usize, char)> = normalized.char_indices().collect();
        let sounds: Vec<Sound> = chars.iter().map(|(_, c)| sound_of(*c)).collect();
        let mut hits = Vec::new();
        for start in 0..chars.len() {
            for (p, (pchars, psounds)) in self.phrases.iter().enumerate() {
                let len = pchars.len();
                if start + len > chars.len() {
                    continue;
                }
                let mut distance = 0;
                let mut same_text = true;
                let mut ok = true;
                for j in 0..len {
                    if chars[start + j].1 == pchars[j] {
                        continue;
                    }
                    same_text = false;
                    match sound_cost(&psounds[j], &sounds[start + j]) {
                        Some(c) if distance + c <= self.max_distance => distance += c,
                        _ => {
                            ok = false;
                            break;
                        }
                    }
                }
                if ok {
                    let end = chars.get(start + len).map_or(normalized.len(), |c| c.0);
                    hits.push(SoundHit {
                        start: chars[start].0,
                        end,
                        phrase: p,
                        distance,
                        fuzzy: !same_text,
                    });
                }
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(phrase: &str, distance: usize, text: &str) -> Option<SoundHit> {
        PinyinPhrases::new(&[phrase.to_string()], distance)
            .find(text)
            .into_iter()
            .next()
    }

    #[test]
    fn same_sound_matches_at_distance_zero() {
        let hit = finds("没办法", 0, "这个没半法处理").unwrap();
        assert!(hit.fuzzy);
        assert_eq!(&"这个没半法处理"[hit.start..hit.end], "没半法");
        assert!(finds("工号", 0, "我的公号是").is_some());
        assert!(finds("工号", 0, "功耗").is_some());
    }

    #[test]
    fn confusions_cost_one_each() {
        assert_eq!(syllable_cost("hao", "hou"), Some(1));
        assert_eq!(syllable_cost("zhi", "zi"), Some(1));
        assert_eq!(syllable_cost("nin", "ni"), Some(1));
        assert_eq!(syllable_cost("gong", "gou"), Some(1));
        assert_eq!(syllable_cost("hao", "zuo"), None);
        assert_eq!(syllable_cost("dian", "ding"), Some(1));
        assert_eq!(syllable_cost("wo", "mo"), Some(1));
        assert_eq!(syllable_cost("bao", "bu"), Some(1));
        assert!(finds("不归我管", 1, "是情部规模管").is_some());
        assert!(finds("不归我管", 1, "是情报规握管").is_some());
        assert!(finds("工号", 0, "功后").is_none());
        assert_eq!(finds("工号", 1, "功后").unwrap().distance, 1);
        assert_eq!(finds("工号", 2, "勾后").unwrap().distance, 2);
    }

    #[test]
    fn unrelated_words_do_not_match() {
        assert!(finds("工号", 3, "工作").is_none());
        assert!(finds("不知道", 2, "不错的").is_none());
    }

    #[test]
    fn exact_text_is_not_fuzzy() {
        let hit = finds("您好", 1, "您好").unwrap();
        assert!(!hit.fuzzy);
    }
}
