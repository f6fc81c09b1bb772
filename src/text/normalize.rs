//! Matching must see through the ways the same words get written: Traditional vs
//! Simplified characters (Whisper often writes Traditional), full-width forms, case,
//! Chinese numerals vs digits (三二七, 幺五八 = 327, 158), spaces and punctuation
//! inside a phrase ("不 知 道", "沒辦法"). Evidence, however,
//! must quote the original text, so normalization keeps a byte map from every
//! normalized byte back to the original character it came from.

use std::ops::Range;

/// Normalized text plus, for each of its bytes, the original byte range of the
/// character it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    origin: Vec<(u32, u32)>,
}

impl Normalized {
    /// Original byte range covering the normalized range `range` (which must lie on
    /// char boundaries of `self.text`). An empty range maps to an empty range.
    pub fn original_range(&self, range: Range<usize>) -> Range<usize> {
        if range.start >= range.end || range.start >= self.origin.len() {
            let at = self.origin.get(range.start).map_or_else(
                || self.origin.last().map_or(0, |o| o.1 as usize),
                |o| o.0 as usize,
            );
            return at..at;
        }
        let start = self.origin[range.start].0 as usize;
        let end = self.origin[range.end - 1].1 as usize;
        start..end
    }
}

/// Normalizes `original` for matching. Rule phrases go through the same function,
/// so both sides agree.
pub fn normalize(original: &str) -> Normalized {
    let mut text = String::with_capacity(original.len());
    let mut origin = Vec::with_capacity(original.len());
    normalize_into(original, &mut text, Some(&mut origin), &mut ());
    Normalized { text, origin }
}

/// The normalized text alone, without the offset map: what the scanner matches on
/// (the map is only built for turns that have a hit).
pub fn normalize_str(s: &str) -> String {
    let mut text = String::with_capacity(s.len());
    normalize_into(s, &mut text, None, &mut ());
    text
}

/// Reuses `buf` for the normalized text of `s` (the scanner calls this once per turn).
pub fn normalize_str_into(s: &str, buf: &mut String) {
    buf.clear();
    normalize_into(s, buf, None, &mut ());
}

/// Receives every character of the normalized text in order, as it is produced,
/// so a caller that needs per-character work on the result (the phrase alphabet's
/// encoding) does it in the same pass instead of decoding the text again.
pub trait NormalizedChars {
    /// The next character, as its code point (always a valid `char`).
    fn push(&mut self, code_point: u32);
}

/// No per-character work.
impl NormalizedChars for () {
    #[inline(always)]
    fn push(&mut self, _: u32) {}
}

/// Like [`normalize_str_into`], also handing each normalized character to `sink`.
pub fn normalize_str_into_with(s: &str, buf: &mut String, sink: &mut impl NormalizedChars) {
    buf.clear();
    normalize_into(s, buf, None, sink);
}

#[inline(always)]
fn normalize_into(
    original: &str,
    text: &mut String,
    mut origin: Option<&mut Vec<(u32, u32)>>,
    sink: &mut impl NormalizedChars,
) {
    let table = table();
    let bytes = original.as_bytes();
    // Characters that normalize to themselves are copied in runs: `run..i` is the
    // run not yet copied.
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (cp, len) = decode(bytes, i);
        let entry = if b < 0x80 {
            u32::from(ASCII[usize::from(b)])
        } else if cp < BMP_END {
            u32::from(table[cp as usize])
        } else {
            u32::from(SLOW)
        };
        // (U+0000 and U+FFFF equal their own entries but mean DROP and SLOW.)
        if entry == cp && cp != DROP_ENTRY && cp != SLOW_ENTRY {
            sink.push(cp);
            i += len;
            continue;
        }
        copy_run(original, run, i, text, origin.as_deref_mut());
        let before = text.len();
        match entry {
            DROP_ENTRY => {}
            SLOW_ENTRY => {
                let prev = original[..i].chars().next_back().unwrap_or(BOUNDARY);
                let mut rest = original[i..].chars();
                let c = rest.next().unwrap_or(BOUNDARY);
                if is_mask(c) {
                    if masks_a_digit(original, i, len) {
                        text.push('0');
                    }
                } else {
                    slow_char(prev, c, rest.next().unwrap_or(BOUNDARY), text);
                }
                text[before..].chars().for_each(|c| sink.push(u32::from(c)));
            }
            _ => {
                let c = char::from_u32(entry).unwrap_or(char::REPLACEMENT_CHARACTER);
                text.push(c);
                sink.push(entry);
            }
        }
        if let Some(origin) = origin.as_deref_mut() {
            let span = (i as u32, (i + len) as u32);
            origin.extend(std::iter::repeat_n(span, text.len() - before));
        }
        i += len;
        run = i;
    }
    copy_run(original, run, bytes.len(), text, origin);
}

/// Appends `original[start..end]`, characters that normalize to themselves.
fn copy_run(
    original: &str,
    start: usize,
    end: usize,
    text: &mut String,
    origin: Option<&mut Vec<(u32, u32)>>,
) {
    if start == end {
        return;
    }
    text.push_str(&original[start..end]);
    if let Some(origin) = origin {
        for (at, c) in original[start..end].char_indices() {
            let span = ((start + at) as u32, (start + at + c.len_utf8()) as u32);
            origin.extend(std::iter::repeat_n(span, c.len_utf8()));
        }
    }
}

/// The code point starting at byte `i` of valid UTF-8, and its length in bytes.
#[inline]
fn decode(bytes: &[u8], i: usize) -> (u32, usize) {
    let cont = |b: u8| u32::from(b & 0x3F);
    match bytes[i..] {
        [b0 @ 0x00..=0x7F, ..] => (u32::from(b0), 1),
        [b0 @ 0xC0..=0xDF, b1, ..] => ((u32::from(b0 & 0x1F) << 6) | cont(b1), 2),
        [b0 @ 0xE0..=0xEF, b1, b2, ..] => {
            ((u32::from(b0 & 0x0F) << 12) | (cont(b1) << 6) | cont(b2), 3)
        }
        [b0, b1, b2, b3, ..] => (
            (u32::from(b0 & 0x07) << 18) | (cont(b1) << 12) | (cont(b2) << 6) | cont(b3),
            4,
        ),
        // Not reachable for valid UTF-8; a replacement that ends the loop safely.
        _ => (0xFFFD, bytes.len() - i),
    }
}

/// fast2s's stand-in for "no neighbour" at either end of the text.
const BOUNDARY: char = '0';
/// Table entry: the character disappears (space, punctuation, symbol). U+0000 is
/// a control character, dropped anyway.
const DROP: u16 = 0;
const DROP_ENTRY: u32 = DROP as u32;
/// Table entry: the character needs [`slow_char`] (its conversion depends on its
/// neighbours, it lowercases to more than one character, or it maps outside the
/// BMP). U+FFFF, a noncharacter, takes the slow path too, which is still correct.
const SLOW: u16 = u16::MAX;
const SLOW_ENTRY: u32 = SLOW as u32;
const BMP_END: u32 = 0x1_0000;

/// ASCII byte -> normalized byte (lowercase alphanumerics), 0 = dropped, SLOW for
/// `*` (a masked digit when it stands in a number, else punctuation).
const ASCII: [u16; 128] = {
    let mut t = [0u16; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            t[b] = c.to_ascii_lowercase() as u16;
        }
        b += 1;
    }
    t[b'*' as usize] = SLOW;
    t
};

/// The characters redaction writes in place of a digit (`*` for an ASCII digit,
/// `＊` for a three-byte one).
fn is_mask(c: char) -> bool {
    matches!(c, '*' | '＊')
}

/// Whether the mask at `original[i..i + len]` stands for a digit: its run of masks
/// touches a digit (ASCII, full-width or a Chinese numeral) on either side, as in
/// `138****5678`, or a run of three or more (what masking writes) is one separator
/// away from one, as in `一三八，＊＊＊＊，五六七八`. Rules then see a masked number as
/// digits, so `1[3-9]\d{9}` still finds a mobile number read out after it was masked.
fn masks_a_digit(original: &str, i: usize, len: usize) -> bool {
    let run = original[..i]
        .chars()
        .rev()
        .take_while(|&c| is_mask(c))
        .count()
        + 1
        + original[i + len..]
            .chars()
            .take_while(|&c| is_mask(c))
            .count();
    let left = original[..i].chars().rev().skip_while(|&c| is_mask(c));
    let right = original[i + len..].chars().skip_while(|&c| is_mask(c));
    digit_beyond(left, run) || digit_beyond(right, run)
}

/// Whether `beyond` (the characters past a run of `run` masks, on one side) starts
/// with a digit, or, for a run of three or more, with one separator and a digit.
fn digit_beyond(mut beyond: impl Iterator<Item = char>, run: usize) -> bool {
    let digit =
        |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c) || numeral_digit(c).is_some();
    let separator = |c: char| matches!(c, ' ' | '，' | ',' | '、' | '-' | '－' | '…');
    match beyond.next() {
        Some(c) if digit(c) => true,
        Some(c) if run >= 3 && separator(c) => beyond.next().is_some_and(digit),
        _ => false,
    }
}

/// Characters fast2s converts differently depending on the characters beside them
/// (兒寬, 答覆, 乾隆, 計畫...): the fixed table cannot hold them.
const T2S_CONTEXTUAL: &[char] = &[
    '兒', '覆', '夥', '藉', '瞭', '麽', '幺', '於', '乾', '著', '苧', '闔', '鍾', '讎', '畫',
];

/// What normalization makes of each BMP code point, computed once: the composition
/// of Traditional-to-Simplified (fast2s, one character alone), full width to half
/// width, dropping ignorables and lowercasing. One lookup per character replaces
/// four steps and fast2s's hash maps; `entry == code point` means "copy as is".
/// 128 KiB, so the part a text uses stays in cache.
fn table() -> &'static [u16] {
    static TABLE: std::sync::OnceLock<Box<[u16]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![DROP; BMP_END as usize].into_boxed_slice();
        let mut buf = [0u8; 4];
        for cp in 0..BMP_END {
            let Some(c) = char::from_u32(cp) else {
                continue; // surrogates never occur in a str
            };
            if T2S_CONTEXTUAL.contains(&c) || is_mask(c) {
                t[cp as usize] = SLOW;
                continue;
            }
            // fast2s only converts three-byte characters (U+0800..U+FFFF).
            let simple = if c.len_utf8() == 3 {
                fast2s::convert(c.encode_utf8(&mut buf))
                    .chars()
                    .next()
                    .unwrap_or(c)
            } else {
                c
            };
            let mut out = String::new();
            fold(simple, &mut out);
            let mut folded = out.chars();
            t[cp as usize] = match (folded.next(), folded.next()) {
                (None, _) => DROP,
                (Some(one), None) => u16::try_from(one as u32).unwrap_or(SLOW),
                (Some(_), Some(_)) => SLOW,
            };
        }
        t
    })
}

/// The general path: characters outside the BMP, neighbour-dependent Traditional
/// characters, and lowercase expansions (İ -> i̇).
fn slow_char(prev: char, c: char, next: char, text: &mut String) {
    let simple = if c.len_utf8() == 3 {
        let mut window = String::with_capacity(12);
        window.extend([prev, c, next]);
        fast2s::convert(&window).chars().nth(1).unwrap_or(c)
    } else {
        c
    };
    fold(simple, text);
}

/// Width, numerals, ignorables and case for one (already Simplified) character.
fn fold(c: char, text: &mut String) {
    let c = to_half_width(c);
    if let Some(d) = numeral_digit(c) {
        text.push(d);
        return;
    }
    if is_ignorable(c) {
        return;
    }
    if c.is_ascii() {
        text.push(c.to_ascii_lowercase());
    } else if may_be_uppercase(c) && c.is_uppercase() {
        text.extend(c.to_lowercase());
    } else {
        text.push(c);
    }
}

/// Cheap pre-check: the CJK, kana, Hangul and other ideographic blocks have no case,
/// so the Unicode case table is only consulted outside them.
fn may_be_uppercase(c: char) -> bool {
    !matches!(c as u32, 0x2E80..=0xA63F | 0xAC00..=0xD7FF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// A Chinese numeral as the digit it stands for. Recognizers and people write the
/// same number as 327, 三二七 or 叁贰柒, and read digits aloud as 幺 (1), 两 (2),
/// 洞 (0) and 拐 (7); matching treats them all as the digit, so `\d` in a pattern
/// and 327 in a phrase match every form. Positional words (十, 百, 千, 万) stay.
/// No crate covers digit-by-digit readings (幺, 洞, 拐), and the set is closed.
pub fn numeral_digit(c: char) -> Option<char> {
    Some(match c {
        '零' | '〇' | '洞' => '0',
        '一' | '幺' | '壹' => '1',
        '二' | '两' | '贰' => '2',
        '三' | '叁' => '3',
        '四' | '肆' => '4',
        '五' | '伍' => '5',
        '六' | '陆' => '6',
        '七' | '拐' | '柒' => '7',
        '八' | '捌' => '8',
        '九' | '玖' => '9',
        _ => return None,
    })
}

/// Full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space to ASCII.
fn to_half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Whitespace, punctuation and symbols carry no words; dropping them lets "不 知 道"
/// and "不，知道" match 不知道.
fn is_ignorable(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_alphanumeric();
    }
    c.is_whitespace()
        || c.is_control()
        || matches!(c as u32,
            0x2000..=0x206F   // general punctuation (… — “ ”)
            | 0x3000..=0x303F // CJK symbols and punctuation (、。「」)
            | 0xFE10..=0xFE1F // vertical forms
            | 0xFE30..=0xFE4F // CJK compatibility forms
            | 0xFE50..=0xFE6F // small form variants
            | 0xFF5F..=0xFF65 // half-width CJK punctuation
            | 0x00A0..=0x00BF // Latin-1 punctuation and symbols
            | 0x00D7 | 0x00F7
            | 0x2190..=0x2BFF // arrows, math, boxes, shapes, misc symbols
            | 0x1F000..=0x1FAFF // emoji and pictographs
            | 0xFE00..=0xFE0F // variation selectors
            | 0xFEFF)
        || c == '·'
        || c == '～'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_traditional_fullwidth_space_and_case() {
        assert_eq!(normalize_str("沒辦法"), "没办法");
        assert_eq!(normalize_str("不 知 道"), "不知道");
        assert_eq!(normalize_str("ＡＢＣ１２３，好"), "abc123好");
        assert_eq!(normalize_str("您好！請問，"), "您好请问");
        assert_eq!(normalize_str("工號 １２３４５"), "工号12345");
    }

    #[test]
    fn chinese_numerals_are_digits() {
        assert_eq!(normalize_str("工号三二七"), "工号327");
        assert_eq!(normalize_str("幺五八，两洞拐"), "158207");
        assert_eq!(
            normalize_str("我的手机号是幺三八一二三四五六七八"),
            "我的手机号是13812345678"
        );
        assert_eq!(normalize_str("一三八，一二三四，五六七八"), "13812345678");
        assert_eq!(normalize_str("叁佰元"), "3佰元");
        // Masked digits stay digits; other stars are punctuation.
        assert_eq!(normalize_str("手机138****5678"), "手机13800005678");
        assert_eq!(normalize_str("幺三八＊＊＊＊五六七八"), "13800005678");
        assert_eq!(normalize_str("**重要** 5 * 3"), "重要53");
        assert_eq!(normalize_str("一三八，＊＊＊＊，五六七八"), "13800005678");
        let n = normalize("工号三二七");
        let at = n.text.find("327").unwrap();
        assert_eq!(&"工号三二七"[n.original_range(at..at + 3)], "三二七");
    }

    #[test]
    fn maps_back_to_original_offsets() {
        let original = "喂，您好 我 不 知 道。";
        let n = normalize(original);
        let at = n.text.find("不知道").unwrap();
        let r = n.original_range(at..at + "不知道".len());
        assert_eq!(&original[r], "不 知 道");
    }

    /// The definition the lookup table must agree with: fast2s over the whole text,
    /// then width, ignorables and case character by character.
    fn reference(s: &str) -> String {
        let simplified = fast2s::convert(s);
        let mut out = String::new();
        for c in simplified.chars() {
            fold(c, &mut out);
        }
        out
    }

    #[test]
    fn table_agrees_with_reference_for_every_bmp_character() {
        let mut buf = [0u8; 4];
        for cp in 0..BMP_END {
            if let Some(c) = char::from_u32(cp) {
                let s = c.encode_utf8(&mut buf);
                assert_eq!(normalize_str(s), reference(s), "U+{cp:04X} {c:?}");
            }
        }
    }

    #[test]
    fn contextual_traditional_characters_follow_fast2s() {
        for s in [
            "乾隆的乾兒子一邊乾淨利落地擲出了一個乾卦，一邊嘴裡嚼着芒果乾。",
            "企畫 計畫 企劃 計劃 畫圖 畫畫",
            "「藉」其他意义仍然保留的，藉口、憑藉的藉",
            "兒寬 兒子 答覆 覆蓋 看著 著名 樊於期 於是 鍾書 鍾錶",
            "乾",
            "畫",
            "藉口",
            "İstanbul ΣΑΣ 😀 𠀀",
        ] {
            assert_eq!(normalize_str(s), reference(s), "{s}");
            let n = normalize(s);
            assert_eq!(n.text, reference(s));
            assert_eq!(n.origin.len(), n.text.len());
        }
        assert_eq!(normalize_str("計畫"), "计划");
        assert_eq!(normalize_str("乾隆"), "乾隆");
        assert_eq!(normalize_str("乾淨"), "干净");
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_reference_on_mixed_text(pieces in proptest::collection::vec(
            proptest::sample::select(vec![
                "乾", "隆", "兒", "寬", "覆", "答", "藉", "口", "憑", "畫", "計", "著", "看",
                "於", "樊", "沒", "辦", "法", "您", "好", "ＡＢ", "İ", "Σ", " ", "，", "😀", "a",
            ]), 0..30)) {
            let s = pieces.concat();
            proptest::prop_assert_eq!(normalize_str(&s), reference(&s));
        }
    }

    #[test]
    fn empty_and_all_punctuation() {
        assert_eq!(normalize("").text, "");
        let n = normalize("，。！ ");
        assert_eq!(n.text, "");
        assert_eq!(n.original_range(0..0), 0..0);
    }
}
