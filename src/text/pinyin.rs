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

/// The readings of one character, computed once per code point (see
/// [`SoundTable`]): toneless pinyin syllables as ids, or the character itself when
/// it is not a Chinese character (digits, letters must match exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sound {
    Han(&'static [u16]),
    Other(char),
}

/// The toneless readings of `c` as the `pinyin` crate gives them.
fn readings_of(c: char) -> Option<Vec<&'static str>> {
    match c.to_pinyin_multi() {
        Some(multi) => {
            let mut readings: Vec<&'static str> = multi.into_iter().map(|p| p.plain()).collect();
            readings.dedup();
            Some(readings)
        }
        None => c.to_pinyin().map(|p| vec![p.plain()]),
    }
}

/// Every character's readings and every pair of syllables' cost, built once: the
/// matcher compares syllables for every position of every recognized turn, so it
/// looks up ids in tables instead of splitting and comparing strings.
struct SoundTable {
    /// Per code point: (offset, length) of its readings in `ids`; length 0 = not
    /// a Chinese character. Characters beyond this range take [`SoundTable::slow`].
    readings: Vec<(u32, u8)>,
    ids: Vec<u16>,
    /// Readings of characters beyond `readings`, made once each.
    slow: std::sync::Mutex<std::collections::HashMap<char, &'static [u16]>>,
    syllables: Vec<&'static str>,
    by_name: std::collections::HashMap<&'static str, u16>,
    /// `cost[a * n + b]`: [`syllable_cost`] of syllables a and b, [`UNRELATED`] for None.
    cost: Vec<u8>,
}

const UNRELATED: u8 = u8::MAX;
/// Code points whose readings are tabled (all of the BMP).
const TABLED: u32 = 0x1_0000;

impl SoundTable {
    fn get() -> &'static SoundTable {
        static TABLE: std::sync::OnceLock<SoundTable> = std::sync::OnceLock::new();
        TABLE.get_or_init(SoundTable::build)
    }

    fn build() -> SoundTable {
        let mut syllables: Vec<&'static str> = Vec::new();
        let mut by_name = std::collections::HashMap::new();
        let mut readings = vec![(0u32, 0u8); TABLED as usize];
        let mut ids = Vec::new();
        for cp in 0..TABLED {
            let Some(r) = char::from_u32(cp).and_then(readings_of) else {
                continue;
            };
            readings[cp as usize] = (ids.len() as u32, r.len() as u8);
            for name in r {
                let id = *by_name.entry(name).or_insert_with(|| {
                    syllables.push(name);
                    (syllables.len() - 1) as u16
                });
                ids.push(id);
            }
        }
        let n = syllables.len();
        let mut cost = vec![UNRELATED; n * n];
        for (a, sa) in syllables.iter().enumerate() {
            for (b, sb) in syllables.iter().enumerate() {
                if let Some(c) = syllable_cost(sa, sb) {
                    cost[a * n + b] = c as u8;
                }
            }
        }
        SoundTable {
            readings,
            ids,
            slow: Default::default(),
            syllables,
            by_name,
            cost,
        }
    }

    fn sound_of(&'static self, c: char) -> Sound {
        let cp = c as u32;
        if cp < TABLED {
            let (at, len) = self.readings[cp as usize];
            return match len {
                0 => Sound::Other(c),
                _ => Sound::Han(&self.ids[at as usize..at as usize + usize::from(len)]),
            };
        }
        let mut slow = self.slow.lock().unwrap_or_else(|e| e.into_inner());
        let ids = *slow.entry(c).or_insert_with(|| {
            let ids: Vec<u16> = readings_of(c)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|name| self.by_name.get(name).copied())
                .collect();
            Box::leak(ids.into_boxed_slice())
        });
        if ids.is_empty() {
            Sound::Other(c)
        } else {
            Sound::Han(ids)
        }
    }

    fn cost(&self, a: u16, b: u16) -> Option<usize> {
        let c = self.cost[usize::from(a) * self.syllables.len() + usize::from(b)];
        (c != UNRELATED).then_some(usize::from(c))
    }
}

fn sound_of(c: char) -> Sound {
    SoundTable::get().sound_of(c)
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
    let table = SoundTable::get();
    match (phrase, heard) {
        (Sound::Other(a), Sound::Other(b)) => (a == b).then_some(0),
        (Sound::Han(a), Sound::Han(b)) => a
            .iter()
            .flat_map(|&x| b.iter().filter_map(move |&y| table.cost(x, y)))
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
    fn tabled_sounds_agree_with_the_pinyin_crate_and_the_cost_function() {
        let table = SoundTable::get();
        for c in [
            '工', '号', '功', '耗', '好', '没', '办', '法', '我', '模', 'a', '1', '，',
        ] {
            let want = readings_of(c);
            let got = match sound_of(c) {
                Sound::Han(ids) => Some(
                    ids.iter()
                        .map(|&i| table.syllables[usize::from(i)])
                        .collect::<Vec<_>>(),
                ),
                Sound::Other(_) => None,
            };
            assert_eq!(got, want, "{c}");
        }
        for (a, b) in [
            ("gong", "gou"),
            ("hao", "zuo"),
            ("wo", "mo"),
            ("dian", "ding"),
        ] {
            let (x, y) = (table.by_name[a], table.by_name[b]);
            assert_eq!(table.cost(x, y), syllable_cost(a, b), "{a}/{b}");
        }
    }

    #[test]
    fn exact_text_is_not_fuzzy() {
        let hit = finds("您好", 1, "您好").unwrap();
        assert!(!hit.fuzzy);
    }
}
