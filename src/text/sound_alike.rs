//! Speech-tolerant matching for text that came out of a speech recognizer. Whisper
//! writes what it hears, so 工号 arrives as 公号, 功耗 or 公后, and 不归我管 as 部规我管.
//! Rules are written with the words the standard uses; this module corrects a
//! turn's normalized text towards them: every run of characters that sounds like a
//! word of the ruleset's vocabulary (its phrases, the literal words inside its
//! regex patterns, and an optional `vocabulary` list), by the confusion-aware
//! pinyin distance of [`crate::text::pinyin`], is replaced by that word. Phrases
//! and patterns then run over the corrected text unchanged, so `工号\d{3}` fires on
//! 公号158 and on 功耗五九三 alike.
//!
//! Words are replaced one Chinese character for another: both take three bytes in
//! UTF-8, so those keep the byte offsets of the normalized text. Characters heard for
//! a digit inside a spoken number ([`crate::text::heard_digits`]: 工号两要七三)
//! become the digit, one byte for three; [`Corrected::to_normalized`] maps offsets
//! back, so evidence still points into (and quotes) what the recognizer wrote.

use crate::text::heard_digits::heard_digits;
use crate::text::pinyin::PinyinPhrases;
use std::ops::Range;

/// How many confusions a vocabulary word may differ by (see
/// [`crate::text::pinyin::syllable_cost`]): one initial or final pair per word.
pub const SOUND_ALIKE_DISTANCE: usize = 1;

/// The words recognized text is corrected towards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundAlike {
    words: Vec<String>,
    sounds: PinyinPhrases,
}

/// A turn's text corrected towards the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Corrected {
    /// The corrected text: the text it was made from with words replaced (same
    /// offsets) and heard digits written as digits (each two bytes shorter).
    pub text: String,
    /// Byte ranges of the normalized text that were replaced (sorted, disjoint).
    pub replaced: Vec<Range<usize>>,
    /// Offsets in `text` of the digits that replaced a heard character (sorted).
    digits: Vec<usize>,
}

impl Corrected {
    /// Whether `range` (of the normalized text) touches a replaced run (a hit there
    /// is by sound).
    pub fn is_fuzzy(&self, range: Range<usize>) -> bool {
        self.replaced
            .iter()
            .any(|r| r.start < range.end && range.start < r.end)
    }

    /// A byte offset of the corrected text (a char boundary) as the offset of the
    /// normalized text it was made from.
    pub fn to_normalized(&self, offset: usize) -> usize {
        offset + 2 * self.digits.partition_point(|&d| d < offset)
    }

    /// Whether offsets differ from the normalized text's (a digit was written).
    pub fn moves_offsets(&self) -> bool {
        !self.digits.is_empty()
    }
}

impl SoundAlike {
    /// `words` must be normalized. Words of one character are left out: one
    /// syllable heard alike is no evidence of anything. `None` when no word is left.
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut words: Vec<String> = words
            .into_iter()
            .filter(|w| w.chars().count() >= 2 && w.chars().any(is_han))
            .map(str::to_string)
            .collect();
        words.sort();
        words.dedup();
        if words.is_empty() {
            return None;
        }
        let sounds = PinyinPhrases::new(&words, SOUND_ALIKE_DISTANCE);
        Some(SoundAlike { words, sounds })
    }

    /// The vocabulary, sorted.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// `normalized` corrected towards the vocabulary; `None` when nothing sounded
    /// like a word without being it. Words already written as they are never
    /// change; among overlapping sound-alikes the leftmost wins, then the longer,
    /// then the closer.
    pub fn correct(&self, normalized: &str) -> Option<Corrected> {
        if !normalized.chars().any(is_han) {
            return None;
        }
        let hits = self.sounds.find(normalized);
        let exact: Vec<Range<usize>> = hits
            .iter()
            .filter(|h| !h.fuzzy)
            .map(|h| h.start..h.end)
            .collect();
        let mut fuzzy: Vec<_> = hits.iter().filter(|h| h.fuzzy).collect();
        fuzzy.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end), h.distance, h.phrase));
        let mut text = normalized.to_string();
        let mut replaced: Vec<Range<usize>> = Vec::new();
        for h in fuzzy {
            let overlaps = |r: &Range<usize>| r.start < h.end && h.start < r.end;
            if exact.iter().any(overlaps) || replaced.iter().any(overlaps) {
                continue;
            }
            let word = &self.words[h.phrase];
            if word.len() != h.end - h.start {
                continue; // not one Chinese character for another: offsets would move
            }
            text.replace_range(h.start..h.end, word);
            replaced.push(h.start..h.end);
        }
        let word_ends: Vec<usize> = exact.iter().chain(&replaced).map(|r| r.end).collect();
        let heard = heard_digits(&text, &word_ends);
        if replaced.is_empty() && heard.is_empty() {
            return None;
        }
        let mut digits = Vec::with_capacity(heard.len());
        if !heard.is_empty() {
            let mut out = String::with_capacity(text.len());
            let mut from = 0;
            for &(at, d) in &heard {
                out.push_str(&text[from..at]);
                digits.push(out.len());
                out.push(d);
                replaced.push(at..at + 3);
                from = at + 3;
            }
            out.push_str(&text[from..]);
            text = out;
        }
        replaced.sort_by_key(|r| r.start);
        Some(Corrected {
            text,
            replaced,
            digits,
        })
    }
}

/// A Chinese character (CJK unified ideographs, extension A, compatibility).
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// The literal words of a regex pattern: runs of two or more Chinese characters
/// outside character classes, without a character a quantifier makes optional or
/// repeatable (`他妈的?` gives 他妈). Used to correct recognized text towards
/// the words a pattern needs.
pub fn pattern_words(pattern: &str) -> Vec<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut words = Vec::new();
    let mut run = String::new();
    let mut class_depth = 0usize;
    let mut i = 0;
    let flush = |run: &mut String, words: &mut Vec<String>| {
        if run.chars().count() >= 2 {
            words.push(std::mem::take(run));
        }
        run.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            flush(&mut run, &mut words);
            i += 2;
            continue;
        }
        if class_depth > 0 {
            match c {
                '[' => class_depth += 1,
                ']' => class_depth -= 1,
                _ => {}
            }
            i += 1;
            continue;
        }
        if c == '[' {
            flush(&mut run, &mut words);
            class_depth = 1;
            i += 1;
            continue;
        }
        if is_han(c) {
            let quantified = matches!(chars.get(i + 1), Some('?' | '*' | '{'));
            if quantified {
                flush(&mut run, &mut words);
            } else {
                run.push(c);
            }
        } else {
            flush(&mut run, &mut words);
        }
        i += 1;
    }
    flush(&mut run, &mut words);
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize::normalize_str;

    fn vocab(words: &[&str]) -> SoundAlike {
        let n: Vec<String> = words.iter().map(|w| normalize_str(w)).collect();
        SoundAlike::new(n.iter().map(String::as_str)).unwrap()
    }

    #[test]
    fn sound_alikes_become_the_word_with_the_same_offsets() {
        let v = vocab(&["工号", "不归我管"]);
        for heard in ["公号158", "功耗593", "公后406", "工后158"] {
            let n = normalize_str(heard);
            let c = v.correct(&n).unwrap_or_else(|| panic!("{heard}"));
            assert!(c.text.starts_with("工号"), "{heard} -> {}", c.text);
            assert_eq!(c.text.len(), n.len());
            assert!(c.is_fuzzy(0..3));
            assert!(!c.is_fuzzy(6..7));
        }
        let c = v.correct(&normalize_str("这事情部规我管")).unwrap();
        assert_eq!(c.text, "这事情不归我管");
    }

    #[test]
    fn words_written_as_they_are_stay_and_unrelated_text_is_untouched() {
        let v = vocab(&["工号", "没办法"]);
        assert_eq!(v.correct("我的工号是327"), None);
        assert_eq!(v.correct("我来帮您想办法"), None);
        assert_eq!(v.correct("工作很忙"), None);
        assert_eq!(v.correct("12345"), None);
    }

    #[test]
    fn heard_digits_become_digits_and_offsets_map_back() {
        let v = vocab(&["工号"]);
        let n = normalize_str("功好要五八");
        assert_eq!(n, "功好要58");
        let c = v.correct(&n).unwrap();
        assert_eq!(c.text, "工号158");
        assert!(c.moves_offsets());
        assert_eq!(c.to_normalized(6), 6);
        assert_eq!(c.to_normalized(7), 9);
        assert_eq!(c.to_normalized(c.text.len()), n.len());
        assert!(c.is_fuzzy(6..9));
        assert!(!c.is_fuzzy(9..11));
        // The word as written and a digit heard inside the number.
        let c = v.correct(&normalize_str("工号两要七三")).unwrap();
        assert_eq!(c.text, "工号2173");
        assert_eq!(c.replaced, vec![7..10]);
    }

    #[test]
    fn one_character_words_are_not_vocabulary() {
        assert_eq!(SoundAlike::new(["滚"]), None);
        assert_eq!(vocab(&["滚", "工号"]).words(), ["工号"]);
    }

    #[test]
    fn literal_words_of_patterns() {
        assert_eq!(pattern_words(r"工号\d{3}"), ["工号"]);
        assert_eq!(pattern_words(r"工号[0-9零一二三]{2,}"), ["工号"]);
        assert_eq!(pattern_words("他妈的?"), ["他妈"]);
        assert_eq!(pattern_words("傻[逼bx]"), Vec::<String>::new());
        assert_eq!(
            pattern_words(r"(不归我管|不关我事)"),
            ["不归我管", "不关我事"]
        );
        assert_eq!(pattern_words(r"1[3-9]\d{9}"), Vec::<String>::new());
    }
}
