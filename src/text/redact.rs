//! Masks customers' numbers in what we write out: mainland mobile numbers, 18-char
//! resident ID numbers and bank card numbers. Transcripts and chats are full of them,
//! and results and reports travel to other systems. Rules still see the unmasked
//! text (masking happens on the way out), so a rule can flag an agent reading a
//! number aloud.
//!
//! What is masked:
//! - a mobile number (11 digits, `1[3-9]…`): digits 4–7, `138****5678`;
//! - an ID number (17 digits and a valid ISO 7064 MOD 11-2 check character, which may
//!   be `X`): the 8 birth-date digits, keeping the region code and the last 4,
//!   `110105********1239`;
//! - a card number (16–19 digits passing the Luhn check): all but the first 6 (the
//!   issuer) and the last 4, `622202*********0128`.
//!
//! Heads and tails are counted in digits, whatever the digits are written in.
//!
//! # How digits are written
//!
//! People type numbers and recognizers write what they hear, so a digit may be an
//! ASCII digit, a full-width digit (`１２３`), a Chinese numeral (零〇一二三四五六七八九),
//! a capital numeral (壹贰叁肆伍陆柒捌玖) or a digit-by-digit reading: 幺 (1), 两 (2),
//! 洞 (0), 拐 (7) — the set of [`numeral_digit`]. The forms mix freely in one number
//! (`幺38一二三四5678`). The check character may be `X`, `x`, `Ｘ` or `ｘ`; it is part
//! of a number only right after its digits and not before a letter or digit.
//! Positional words (十百千万…) are not digits, so `一百三十八` is no number and a
//! number never spans one.
//!
//! # Grouping rule
//!
//! Numbers are read aloud and typed in groups (`138 1234 5678`, "一三八，一二三四，五六七八",
//! 6-8-4 for an ID, 4-4-4-4-3 for a card, 7-4 when a caller pauses), and a text also
//! holds unrelated numbers side by side. A *group* is a maximal run of digits (with
//! its check character). A *number* is one or more consecutive groups such that:
//!
//! 1. only a gap lies between two of its groups: a single space, or one separator —
//!    a comma (`，` `,`), `、`, an ellipsis (`…`, `……`), a hyphen (`-` `－` `–` `—`) —
//!    with at most one space on either side. A word (工号, 电话, 对), a full stop, two
//!    spaces or two separators end a number;
//! 2. its gaps are of one kind: spaces, hyphens, or pauses (commas, `、`, ellipses).
//!    A turn boundary (see [`redact_sequence`]) is a pause: it may stand alone or
//!    next to a separator, and a gap holding one goes with any kind;
//! 3. every group has at least 3 digits, except that the last may have 1 or 2
//!    (`138 123 4567 8`, or an ID's check character read on its own);
//! 4. a group that is a whole number on its own is masked on its own, never joined
//!    to its neighbours (`工号327 13812345678` masks only the phone);
//! 5. it is whole groups that spell a mobile, ID or card number as above: 12 digits
//!    in a row are not a mobile number with a digit in front. From each group, the
//!    longest such run of groups is masked.
//!
//! A numeral that starts the next word makes a longer run too: in unpunctuated
//! `…五六七八一直打不通` the number is 12 digits and stays, as the text alone cannot
//! tell 一直 from a twelfth digit.
//!
//! So `327 1582` (7 digits), `138 1234 567` (10) or `138-1234 5678` (two kinds) are
//! left alone, and `幺三八，一二三四，五六七八` is masked like `138 1234 5678`.
//!
//! # Lengths
//!
//! Every masked digit is replaced by a mask of its own UTF-8 length: an ASCII digit by
//! `*`, a full-width digit or a numeral by `＊` (U+FF0A, 3 bytes); separators are kept.
//! The masked text has the same length in bytes as the original, so every byte
//! offset into it (evidence, token timings) stays valid.
//!
//! # Cost
//!
//! [`redact`] runs on every turn of every interaction. A text with fewer than 11
//! digits is returned borrowed after one pass over its bytes (3-byte characters are
//! looked up in a bit table built once), and nothing is allocated unless a number
//! is masked.

use crate::text::normalize::numeral_digit;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The shortest number (a mobile number).
const MIN_DIGITS: usize = 11;
/// The longest number (a 19-digit card number).
const MAX_DIGITS: usize = 19;
/// Groups shorter than this may only end a number.
const MIN_GROUP: usize = 3;
/// Stands for the check character `X` among digit values.
const CHECK_X: u8 = 10;

/// Masks the numbers in `s` in place.
pub fn redact_in_place(s: &mut String) {
    if let Cow::Owned(m) = redact(s) {
        *s = m;
    }
}

/// `text` with customers' numbers masked; borrowed when there was nothing to mask.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !has_enough_digits([text]) {
        return Cow::Borrowed(text);
    }
    let mut masked: Option<String> = None;
    for_each_masked_char(&[text], |at, len| {
        let out = masked.get_or_insert_with(|| text.to_owned());
        out.replace_range(at.byte..at.byte + len, mask_of(len));
    });
    masked.map_or(Cow::Borrowed(text), Cow::Owned)
}

/// Masks the numbers in `texts` as if they were one text with a pause between each
/// two: a number a speaker reads over several turns (`幺三八一二` then `三四五六七八`)
/// is masked in every turn that holds part of it. Pass the texts of consecutive
/// turns of one speaker; numbers within a single text are masked as by [`redact`].
pub fn redact_sequence(texts: &mut [&mut String]) {
    if !has_enough_digits(texts.iter().map(|t| t.as_str())) {
        return;
    }
    let marks = {
        let segs: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
        let mut marks = Vec::new();
        for_each_masked_char(&segs, |at, len| marks.push((at, len)));
        marks
    };
    for (at, len) in marks {
        texts[at.seg].replace_range(at.byte..at.byte + len, mask_of(len));
    }
}

/// Whether `texts` hold at least [`MIN_DIGITS`] digits in all: the fast path for the
/// many turns without a number.
fn has_enough_digits<'a>(texts: impl IntoIterator<Item = &'a str>) -> bool {
    let mut n = 0;
    for text in texts {
        n += count_digits(text, MIN_DIGITS - n);
        if n == MIN_DIGITS {
            return true;
        }
    }
    false
}

/// How many digits `text` holds, counting up to `limit`. Walks bytes and looks the
/// 3-byte characters up in [`digit_bits`]: several times faster than decoding every
/// character and matching it against the numerals.
fn count_digits(text: &str, limit: usize) -> usize {
    let bits = digit_bits();
    let b = text.as_bytes();
    let (mut n, mut i) = (0, 0);
    while i < b.len() && n < limit {
        let lead = b[i];
        if lead < 0x80 {
            n += usize::from(lead.is_ascii_digit());
            i += 1;
        } else if (0xE0..0xF0).contains(&lead) {
            // A 3-byte character: `text` is UTF-8, so both continuation bytes follow.
            let cp = (usize::from(lead & 0x0F) << 12)
                | (usize::from(b[i + 1] & 0x3F) << 6)
                | usize::from(b[i + 2] & 0x3F);
            n += ((bits[cp >> 6] >> (cp & 63)) & 1) as usize;
            i += 3;
        } else {
            // Continuation bytes and 2- and 4-byte characters: digits are 1 or 3 bytes.
            i += 1;
        }
    }
    n
}

/// One bit per BMP character, set for those that write a digit; built once from
/// [`digit_value`].
fn digit_bits() -> &'static [u64; 1024] {
    static BITS: OnceLock<Box<[u64; 1024]>> = OnceLock::new();
    BITS.get_or_init(|| {
        let mut bits = Box::new([0u64; 1024]);
        for c in '\0'..='\u{FFFF}' {
            if digit_value(c).is_some() {
                let cp = c as usize;
                bits[cp >> 6] |= 1 << (cp & 63);
            }
        }
        bits
    })
}

/// The value of a character that writes a digit. Only ASCII (1 byte) and 3-byte
/// characters are digits, so each has a mask of its length.
fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => Some((u32::from(c) - u32::from('０')) as u8),
        _ if c.len_utf8() == 3 => numeral_digit(c).map(|d| d as u8 - b'0'),
        _ => None,
    }
}

/// The mask for a digit character of `len` bytes.
fn mask_of(len: usize) -> &'static str {
    debug_assert!(len == 1 || len == 3, "digits are 1 or 3 bytes");
    if len == 1 {
        "*"
    } else {
        "＊"
    }
}

fn is_check_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

/// A place in the texts scanned together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    /// Which text.
    seg: usize,
    /// Byte offset in it.
    byte: usize,
}

/// What the scanned texts hold at a place: a character, or the pause between two
/// texts.
enum Unit {
    Char(char),
    TurnBoundary,
}

/// The unit at `p` and the place after it; `None` at the end of the last text.
fn unit_at(texts: &[&str], p: Pos) -> Option<(Unit, Pos)> {
    match texts[p.seg][p.byte..].chars().next() {
        Some(c) => Some((
            Unit::Char(c),
            Pos {
                seg: p.seg,
                byte: p.byte + c.len_utf8(),
            },
        )),
        None if p.seg + 1 < texts.len() => Some((
            Unit::TurnBoundary,
            Pos {
                seg: p.seg + 1,
                byte: 0,
            },
        )),
        None => None,
    }
}

/// The character at `p` within its text, and the place after it.
fn char_at(texts: &[&str], p: Pos) -> Option<(char, Pos)> {
    match unit_at(texts, p)? {
        (Unit::Char(c), next) => Some((c, next)),
        (Unit::TurnBoundary, _) => None,
    }
}

/// A maximal run of digits within one text, maybe ending in a check character.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: Pos,
    /// After the digits and the check character.
    end: Pos,
    /// Digits, with the check character.
    len: usize,
    has_x: bool,
}

/// The group starting at `start`, a digit (or a check character read on its own).
fn group_at(texts: &[&str], start: Pos) -> Group {
    let mut end = start;
    let mut len = 0;
    while let Some((c, next)) = char_at(texts, end) {
        if digit_value(c).is_none() {
            break;
        }
        // Unpunctuated speech runs a number into the next word: in
        // 五六七八一直打不通 the 一 belongs to 一直, so the number ends before it.
        let starts_word = len > 0
            && !c.is_ascii_digit()
            && char_at(texts, next).is_some_and(|(d, _)| is_word_after_numeral(d));
        if starts_word {
            break;
        }
        len += 1;
        end = next;
    }
    let x_end = check_x_at(texts, end);
    if let Some(after) = x_end {
        len += 1;
        end = after;
    }
    Group {
        start,
        end,
        len,
        has_x: x_end.is_some(),
    }
}

/// Characters that make a Chinese numeral before them a word of its own rather than
/// a digit: measure words (个, 次, 天 …) and the words 一 starts (一直, 一下, 一共 …).
fn is_word_after_numeral(c: char) -> bool {
    "直下个样起共定点般会次遍切些边天周月年位件份张条句声旦致同再种块元岁号楼层分秒".contains(c)
}

/// When a check character stands at `p` (not before a letter or digit): the place
/// after it.
fn check_x_at(texts: &[&str], p: Pos) -> Option<Pos> {
    let (c, next) = char_at(texts, p)?;
    let before_word = char_at(texts, next)
        .is_some_and(|(d, _)| d.is_ascii_alphanumeric() || digit_value(d).is_some());
    (is_check_x(c) && !before_word).then_some(next)
}

/// The first group at or after `from`.
fn next_group(texts: &[&str], mut from: Pos) -> Option<Group> {
    loop {
        let (unit, next) = unit_at(texts, from)?;
        if matches!(unit, Unit::Char(c) if digit_value(c).is_some()) {
            return Some(group_at(texts, from));
        }
        from = next;
    }
}

/// The kinds of gap between the groups of a number (rule 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    Space,
    Hyphen,
    Pause,
    /// Holds a turn boundary: goes with any kind.
    Turn,
}

/// The kind of a separator character, when it is one.
fn separator(c: char) -> Option<Gap> {
    match c {
        ' ' | '\u{3000}' | '\u{a0}' => Some(Gap::Space),
        '-' | '－' | '‐' | '‑' | '–' | '—' => Some(Gap::Hyphen),
        '，' | ',' | '、' | '…' | '⋯' => Some(Gap::Pause),
        _ => None,
    }
}

fn is_ellipsis(c: char) -> bool {
    matches!(c, '…' | '⋯')
}

/// When only a gap (rule 1) follows a group ending at `from` and another group comes
/// after it: the gap's kind and where that group starts.
fn gap_after(texts: &[&str], mut from: Pos) -> Option<(Gap, Pos)> {
    let mut mark: Option<Gap> = None;
    let mut turn = false;
    let (mut spaces_before, mut spaces_after) = (0, 0);
    let mut prev: Option<char> = None;
    loop {
        let (unit, next) = unit_at(texts, from)?;
        let c = match unit {
            Unit::TurnBoundary => {
                turn = true;
                prev = None;
                from = next;
                continue;
            }
            Unit::Char(c) => c,
        };
        if digit_value(c).is_some() || check_x_at(texts, from).is_some() {
            break;
        }
        match separator(c)? {
            Gap::Space if mark.is_none() && !turn => spaces_before += 1,
            Gap::Space => spaces_after += 1,
            // An ellipsis of several characters is one pause.
            _ if prev.is_some_and(is_ellipsis) && is_ellipsis(c) => {}
            kind if mark.is_none() && spaces_after == 0 => mark = Some(kind),
            _ => return None,
        }
        if spaces_before > 1 || spaces_after > 1 {
            return None;
        }
        prev = Some(c);
        from = next;
    }
    let kind = match (turn, mark) {
        (true, _) => Gap::Turn,
        (false, Some(kind)) => kind,
        (false, None) => Gap::Space,
    };
    Some((kind, from))
}

/// A number found: where it is, how many digits it has, and how many to keep at
/// its head and its tail.
#[derive(Debug, Clone, Copy)]
struct Number {
    start: Pos,
    end: Pos,
    len: usize,
    head: usize,
    tail: usize,
}

/// Finds the numbers in `texts` (rules in the module doc) and calls `mask` with the
/// place and byte length of every digit to mask.
fn for_each_masked_char(texts: &[&str], mut mask: impl FnMut(Pos, usize)) {
    let mut at = Pos { seg: 0, byte: 0 };
    while let Some(first) = next_group(texts, at) {
        at = match longest_number(texts, first) {
            Some(number) => {
                mask_number(texts, number, &mut mask);
                number.end
            }
            None => first.end,
        };
    }
}

/// The longest number made of whole groups from `first` (rules 1–5).
fn longest_number(texts: &[&str], first: Group) -> Option<Number> {
    if first.len < MIN_GROUP {
        return None;
    }
    if first.len >= MIN_DIGITS {
        if let Some(alone) = number_of(texts, first.start, first) {
            return Some(alone);
        }
    }
    let mut best = None;
    let mut kind: Option<Gap> = None;
    let (mut last, mut len) = (first, first.len);
    while !last.has_x && last.len >= MIN_GROUP {
        let Some((gap, start)) = gap_after(texts, last.end) else {
            break;
        };
        if gap != Gap::Turn {
            if kind.is_some_and(|k| k != gap) {
                break;
            }
            kind = Some(gap);
        }
        let group = group_at(texts, start);
        len += group.len;
        if len > MAX_DIGITS || is_whole_number(texts, group) {
            break;
        }
        last = group;
        best = number_of(texts, first.start, last).or(best);
    }
    best
}

/// Whether `group` spells a number on its own (rule 4).
fn is_whole_number(texts: &[&str], group: Group) -> bool {
    group.len >= MIN_DIGITS && number_of(texts, group.start, group).is_some()
}

/// The number spelled by the groups from `start` to `last`, when they spell one.
fn number_of(texts: &[&str], start: Pos, last: Group) -> Option<Number> {
    let mut digits = [0u8; MAX_DIGITS];
    let mut n = 0;
    let mut p = start;
    while p != last.end {
        let (unit, next) = unit_at(texts, p)?;
        if let Unit::Char(c) = unit {
            let d = digit_value(c).or(is_check_x(c).then_some(CHECK_X));
            if let Some(d) = d {
                *digits.get_mut(n)? = d;
                n += 1;
            }
        }
        p = next;
    }
    let (head, tail) = kind_of(&digits[..n])?;
    Some(Number {
        start,
        end: last.end,
        len: n,
        head,
        tail,
    })
}

/// When `digits` (with [`CHECK_X`] for a check `X`) are a number to mask, how many to
/// keep at its head and its tail.
fn kind_of(digits: &[u8]) -> Option<(usize, usize)> {
    let n = digits.len();
    let has_x = digits.last() == Some(&CHECK_X);
    if !has_x && n == 11 && digits[0] == 1 && (3..=9).contains(&digits[1]) {
        return Some((3, 4));
    }
    if n == 18 && id_check_ok(digits) {
        return Some((6, 4));
    }
    if !has_x && (16..=19).contains(&n) && luhn_ok(digits) {
        return Some((6, 4));
    }
    None
}

/// ISO 7064 MOD 11-2 check of an 18-character resident ID number.
fn id_check_ok(digits: &[u8]) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [u8; 11] = [1, 0, CHECK_X, 9, 8, 7, 6, 5, 4, 3, 2];
    if digits.len() != 18 || digits[..17].contains(&CHECK_X) {
        return false;
    }
    let sum: u32 = digits[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    CHECK[(sum % 11) as usize] == digits[17]
}

/// The Luhn check used by card numbers.
fn luhn_ok(digits: &[u8]) -> bool {
    let mut sum = 0;
    for (i, &d) in digits.iter().rev().enumerate() {
        if d > 9 {
            return false;
        }
        let mut d = u32::from(d);
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// Calls `mask` for the digits of `number` outside its kept head and tail
/// (separators are neither counted nor touched).
fn mask_number(texts: &[&str], number: Number, mask: &mut impl FnMut(Pos, usize)) {
    let mut k = 0;
    let mut p = number.start;
    while p != number.end {
        let Some((unit, next)) = unit_at(texts, p) else {
            return;
        };
        if let Unit::Char(c) = unit {
            if digit_value(c).is_some() || is_check_x(c) {
                if k >= number.head && k + number.tail < number.len && digit_value(c).is_some() {
                    mask(p, c.len_utf8());
                }
                k += 1;
            }
        }
        p = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CASES: &str = include_str!("../../tests/data/redact_cases.tsv");

    /// Each non-comment line: input TAB expected [TAB note]. `\t` and `\\` are the
    /// only escapes.
    #[test]
    fn table_of_cases() {
        let mut n = 0;
        for (lineno, line) in CASES.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(
                cols.len() >= 2,
                "redact_cases.tsv:{}: need input<TAB>expected",
                lineno + 1
            );
            let (input, expected) = (unescape(cols[0]), unescape(cols[1]));
            let got = redact(&input);
            assert_eq!(
                got,
                expected,
                "redact_cases.tsv:{}: {}",
                lineno + 1,
                cols.get(2).unwrap_or(&"")
            );
            assert_eq!(got.len(), input.len());
            assert_eq!(
                matches!(got, Cow::Borrowed(_)),
                input == expected,
                "line {}: borrowed iff unchanged",
                lineno + 1
            );
            n += 1;
        }
        assert!(n >= 80, "only {n} cases read");
    }

    fn unescape(s: &str) -> String {
        s.replace("\\t", "\t").replace("\\\\", "\\")
    }

    /// Turns of one speaker, `|` between two turns: input, expected, note.
    const SEQUENCE_CASES: &[(&str, &str, &str)] = &[
        (
            "幺三八一二三四|五六七八",
            "幺三八＊＊＊＊|五六七八",
            "7-4 over two turns",
        ),
        (
            "幺三八一二|三四五六七八",
            "幺三八＊＊|＊＊五六七八",
            "5-6: both turns masked",
        ),
        (
            "一三八，一二三四，|五六七八",
            "一三八，＊＊＊＊，|五六七八",
            "comma then turn",
        ),
        (
            "我的手机是幺三八|一二三四|五六七八",
            "我的手机是幺三八|＊＊＊＊|五六七八",
            "3-4-4 over three turns",
        ),
        (
            "幺三八 |一二三四 |五六七八",
            "幺三八 |＊＊＊＊ |五六七八",
            "spaces at turn ends",
        ),
        (
            "138 1234|5678",
            "138 ****|5678",
            "a turn boundary goes with any gap",
        ),
        (
            "卡号六二二二零二一二三四|五六七八九零一二八",
            "卡号六二二二零二＊＊＊＊|＊＊＊＊＊零一二八",
            "card over two turns",
        ),
        (
            "四四零三零六|一九八五一二三一|零零二二",
            "四四零三零六|＊＊＊＊＊＊＊＊|零零二二",
            "ID 6-8-4 over three turns",
        ),
        (
            "一一零一零五一九八八零八零八一零零|X",
            "一一零一零五＊＊＊＊＊＊＊＊一零零|X",
            "ID check character in its own turn",
        ),
        (
            "13812345678|15987654321",
            "138****5678|159****4321",
            "two whole numbers stay two",
        ),
        (
            "三二七|一三八一二三四五六七八",
            "三二七|一三八＊＊＊＊五六七八",
            "a whole number is not joined to a short one before it",
        ),
        (
            "一三八一二三四五六七八|",
            "一三八＊＊＊＊五六七八|",
            "an empty turn",
        ),
        (
            "工号三二七|幺五八二",
            "工号三二七|幺五八二",
            "two short numbers in two turns",
        ),
        (
            "一三八二|一二三四",
            "一三八二|一二三四",
            "8 digits over two turns",
        ),
        (
            "一三八一二|三四五六七八九",
            "一三八一二|三四五六七八九",
            "12 digits over two turns",
        ),
        (
            "幺三八一二三四|好的，五六七八",
            "幺三八一二三四|好的，五六七八",
            "a word between",
        ),
        (
            "幺三八一二三四|。五六七八",
            "幺三八一二三四|。五六七八",
            "a full stop between",
        ),
        ("好的|请稍等", "好的|请稍等", "no digits"),
        ("", "", "one empty turn"),
    ];

    #[test]
    fn sequence_cases() {
        for &(input, expected, note) in SEQUENCE_CASES {
            let mut turns: Vec<String> = input.split('|').map(String::from).collect();
            let mut refs: Vec<&mut String> = turns.iter_mut().collect();
            redact_sequence(&mut refs);
            assert_eq!(turns.join("|"), expected, "{note}");
        }
    }

    #[test]
    fn every_numeral_is_three_bytes() {
        // digit_value ignores numerals of other lengths; there must be none.
        for c in '\u{80}'..=char::MAX {
            if numeral_digit(c).is_some() {
                assert_eq!(c.len_utf8(), 3, "{c}");
            }
        }
    }

    #[test]
    fn digit_bits_mark_exactly_the_digits() {
        for c in '\0'..='\u{FFFF}' {
            let s = c.to_string();
            assert_eq!(
                count_digits(&s, 1),
                usize::from(digit_value(c).is_some()),
                "{c}"
            );
        }
        assert_eq!(count_digits("🙂１2一x幺", 9), 4);
        assert_eq!(count_digits("一二三四五", 3), 3);
    }

    /// The digit `d` written in form `form`.
    fn written(d: u8, form: usize) -> char {
        const FORMS: [&str; 4] = [
            "0123456789",
            "０１２３４５６７８９",
            "零一二三四五六七八九",
            "洞幺两叁肆伍陆拐捌玖",
        ];
        FORMS[form % FORMS.len()]
            .chars()
            .nth(usize::from(d))
            .unwrap()
    }

    fn is_mask_of(before: char, after: char) -> bool {
        digit_value(before).is_some() && after.to_string() == mask_of(before.len_utf8())
    }

    /// Digits in every form, separators, positional words, X and other characters.
    const ANY_TEXT: &str = "[0-9０-９零〇一二三四五六七八九幺两洞拐壹贰叁肆伍陆柒捌玖十百千万 ，,、…\\-XxＸ手机号a。]{0,60}";

    proptest! {
        #[test]
        fn masking_keeps_length_and_only_turns_digits_into_stars(s in "[0-9 \\-X手机号卡a]{0,60}") {
            let out = redact(&s);
            prop_assert_eq!(out.len(), s.len());
            for (a, b) in s.bytes().zip(out.bytes()) {
                prop_assert!(a == b || (a.is_ascii_digit() && b == b'*'));
            }
        }

        #[test]
        fn masking_keeps_length_and_turns_digits_into_masks_of_their_length(s in ANY_TEXT) {
            let out = redact(&s);
            prop_assert_eq!(out.len(), s.len());
            // Each character keeps its length, so the characters line up.
            prop_assert_eq!(out.chars().count(), s.chars().count());
            for (a, b) in s.chars().zip(out.chars()) {
                prop_assert!(a == b || is_mask_of(a, b), "{} -> {}", a, b);
            }
        }

        #[test]
        fn the_fast_path_counts_every_digit(s in "[0-9０-９零一九幺两洞拐壹玖十 ，a手é🙂]{0,40}") {
            let n = s.chars().filter(|&c| digit_value(c).is_some()).count();
            prop_assert_eq!(count_digits(&s, usize::MAX), n);
            prop_assert_eq!(has_enough_digits([s.as_str()]), n >= MIN_DIGITS);
        }

        #[test]
        fn a_mobile_number_in_any_forms_is_masked(
            second in 3u8..=9,
            rest in proptest::collection::vec(0u8..=9, 9),
            forms in proptest::collection::vec(0usize..4, 11),
        ) {
            let digits: Vec<u8> = [1, second].into_iter().chain(rest).collect();
            let number: Vec<char> = digits.iter().zip(&forms).map(|(&d, &f)| written(d, f)).collect();
            let text = format!("手机{}。", number.iter().collect::<String>());
            let out = redact(&text);
            let masked: Vec<char> = out.chars().skip(2).take(11).collect();
            for (k, (&a, &b)) in number.iter().zip(&masked).enumerate() {
                if (3..7).contains(&k) {
                    prop_assert!(is_mask_of(a, b), "{} -> {}", a, b);
                } else {
                    prop_assert_eq!(a, b);
                }
            }
        }

        #[test]
        fn a_sequence_keeps_every_length_and_one_text_is_masked_as_by_redact(
            turns in proptest::collection::vec(ANY_TEXT, 1..4),
        ) {
            let mut out = turns.clone();
            let mut refs: Vec<&mut String> = out.iter_mut().collect();
            redact_sequence(&mut refs);
            for (a, b) in turns.iter().zip(&out) {
                prop_assert_eq!(a.len(), b.len());
                for (x, y) in a.chars().zip(b.chars()) {
                    prop_assert!(x == y || is_mask_of(x, y), "{} -> {}", x, y);
                }
            }
            let mut alone = turns[0].clone();
            redact_sequence(&mut [&mut alone]);
            prop_assert_eq!(alone, redact(&turns[0]).into_owned());
        }
    }
}
