//! Digits a speech recognizer wrote as characters that sound like them. Read aloud,
//! a 工号 or a phone number is a run of syllables, and Whisper often writes one of
//! them as a word: 幺 (yao) as 要 or 夭, 两 as 量, 七 as 期, 二 as 爱. Normalization
//! already reads the numerals themselves as digits (三二七 = 327); this finds, in
//! recognized text, the characters inside a spoken number that stand for a digit,
//! so `工号\d{3}` fires on 工号两要七三 (2173) as it would on 工号2173.
//!
//! A character counts only inside a run of at least two digits (or between digits):
//! 需要25分钟 stays as it is, because 要 there ends the word 需要, not a number.

use crate::text::sound_alike::is_han;
use pinyin::ToPinyin;

/// Characters that sound like a digit but are so common as words (是, 就, 吧, 把,
/// 而, 以, 无, 起, 其) that a number next to them is more likely than a misheard
/// digit.
const NOT_DIGITS: &[char] = &[
    '是', '就', '吧', '把', '而', '以', '已', '无', '起', '其', '事',
];

/// The digit a character is heard as, by its first reading: the syllables of the
/// digits as read one by one (ling/dong 0, yao 1, er/liang 2, san 3, si 4, wu 5,
/// liu 6, qi/guai 7, ba 8, jiu 9), and 爱 (ai), which Whisper writes for 二.
pub fn heard_digit(c: char) -> Option<char> {
    // Only Chinese characters of the basic plane (three bytes, like the numerals).
    if c.len_utf8() != 3 {
        return None;
    }
    if c == '爱' {
        return Some('2');
    }
    if NOT_DIGITS.contains(&c) {
        return None;
    }
    let syllable = c.to_pinyin()?.plain();
    Some(match syllable {
        "ling" | "dong" => '0',
        "yao" => '1',
        "er" | "liang" => '2',
        "san" => '3',
        "si" => '4',
        "wu" => '5',
        "liu" => '6',
        "qi" | "guai" => '7',
        "ba" => '8',
        "jiu" => '9',
        _ => return None,
    })
}

/// In normalized text (numerals already digits), the byte offsets of the
/// characters that stand for a digit, with the digit. A character qualifies when it
/// lies in a run of digits and digit-sounding characters holding at least two
/// digits, and, at the run's left edge, follows no other Chinese character except
/// the end of a vocabulary word (`word_ends`: byte offsets where one ends, as in
/// 工号要58); at the right edge, nothing Chinese follows.
pub fn heard_digits(text: &str, word_ends: &[usize]) -> Vec<(usize, char)> {
    // Most turns hold no number at all.
    if text.bytes().filter(u8::is_ascii_digit).take(2).count() < 2 {
        return Vec::new();
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let part_of_run = |(_, c): (usize, char)| c.is_ascii_digit() || heard_digit(c).is_some();
        if !part_of_run(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && part_of_run(chars[i]) {
            i += 1;
        }
        let run = &chars[start..i];
        if run.iter().filter(|(_, c)| c.is_ascii_digit()).count() < 2 {
            continue;
        }
        // Trim digit-sounding characters at the edges that belong to a word outside.
        let mut lo = 0;
        let mut hi = run.len();
        let left_open = start == 0 || !is_han(chars[start - 1].1) || word_ends.contains(&run[0].0);
        if !left_open {
            while lo < hi && !run[lo].1.is_ascii_digit() {
                lo += 1;
            }
        }
        let right_open = i == chars.len() || !is_han(chars[i].1);
        if !right_open {
            while hi > lo && !run[hi - 1].1.is_ascii_digit() {
                hi -= 1;
            }
        }
        for &(at, c) in &run[lo..hi] {
            if !c.is_ascii_digit() {
                if let Some(d) = heard_digit(c) {
                    out.push((at, d));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize::normalize_str;

    fn digits(heard: &str, word_ends: &[usize]) -> String {
        let n = normalize_str(heard);
        let found = heard_digits(&n, word_ends);
        let mut out = String::new();
        for (at, c) in n.char_indices() {
            match found.iter().find(|(a, _)| *a == at) {
                Some((_, d)) => out.push(*d),
                None => out.push(c),
            }
        }
        out
    }

    #[test]
    fn misheard_digits_inside_a_spoken_number() {
        assert_eq!(digits("工号两要七三", &[]), "工号2173");
        assert_eq!(digits("工号两夭七三", &[]), "工号2173");
        assert_eq!(digits("工号爱五八", &[6]), "工号258");
        // 工号 ends at byte 6, so 要 there opens the number.
        assert_eq!(digits("工号要五八", &[6]), "工号158");
        assert_eq!(digits("号码是幺三八期二三", &[]), "号码是138723");
    }

    #[test]
    fn words_next_to_numbers_stay() {
        assert_eq!(digits("需要25分钟", &[]), "需要25分钟");
        assert_eq!(digits("工号要五八", &[]), "工号要58");
        assert_eq!(digits("我要5个", &[]), "我要5个");
        assert_eq!(digits("是25号吧", &[]), "是25号吧");
        assert_eq!(digits("工号是158", &[]), "工号是158");
        assert_eq!(digits("25就好", &[]), "25就好");
        assert_eq!(
            digits("您好请问有什么可以帮您", &[]),
            "您好请问有什么可以帮您"
        );
    }
}
