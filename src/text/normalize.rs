//! Matching must see through the ways the same words get written: Traditional vs
//! Simplified characters (Whisper often writes Traditional), full-width forms, case,
//! spaces and punctuation inside a phrase ("不 知 道", "沒辦法"). Evidence, however,
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
    normalize_into(original, &mut text, Some(&mut origin));
    Normalized { text, origin }
}

/// The normalized text alone, without the offset map: what the scanner matches on
/// (the map is only built for turns that have a hit).
pub fn normalize_str(s: &str) -> String {
    let mut text = String::with_capacity(s.len());
    normalize_into(s, &mut text, None);
    text
}

fn normalize_into(original: &str, text: &mut String, mut origin: Option<&mut Vec<(u32, u32)>>) {
    let simplified = to_simplified(original);
    // `to_simplified` maps char to char, so the two iterators stay aligned.
    for ((start, orig_char), simple) in original.char_indices().zip(simplified.chars()) {
        let c = to_half_width(simple);
        if is_ignorable(c) {
            continue;
        }
        let before = text.len();
        if c.is_ascii() {
            text.push(c.to_ascii_lowercase());
        } else if may_be_uppercase(c) && c.is_uppercase() {
            text.extend(c.to_lowercase());
        } else {
            text.push(c);
        }
        if let Some(origin) = origin.as_deref_mut() {
            let span = (start as u32, (start + orig_char.len_utf8()) as u32);
            origin.extend(std::iter::repeat_n(span, text.len() - before));
        }
    }
}

/// Cheap pre-check: the CJK, kana, Hangul and other ideographic blocks have no case,
/// so the Unicode case table is only consulted outside them.
fn may_be_uppercase(c: char) -> bool {
    !matches!(c as u32, 0x2E80..=0xA63F | 0xAC00..=0xD7FF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// Reuses `buf` for the normalized text of `s` (the scanner calls this once per turn).
pub fn normalize_str_into(s: &str, buf: &mut String) {
    buf.clear();
    normalize_into(s, buf, None);
}

/// Traditional to Simplified, one character for one character (fast2s looks at the
/// neighbours for the few context-dependent characters). Most text has no
/// Traditional character at all; a bitmap of the characters fast2s changes lets that
/// text skip the conversion.
fn to_simplified(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() || !s.chars().any(is_traditional) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(fast2s::convert(s))
    }
}

/// Code points below this are covered by the bitmap (all CJK ideograph blocks of the
/// BMP and the compatibility ideographs).
const BITMAP_END: u32 = 0x1_0000;

fn is_traditional(c: char) -> bool {
    static BITMAP: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    let bits = BITMAP.get_or_init(|| {
        let mut bits = vec![0u64; (BITMAP_END / 64) as usize];
        let mut buf = [0u8; 4];
        for cp in (0x2E80..0xA000).chain(0xF900..0xFB00) {
            if let Some(ch) = char::from_u32(cp) {
                let alone = ch.encode_utf8(&mut buf);
                if fast2s::convert(alone) != *alone {
                    bits[(cp / 64) as usize] |= 1 << (cp % 64);
                }
            }
        }
        bits
    });
    let cp = c as u32;
    cp < BITMAP_END && bits[(cp / 64) as usize] & (1 << (cp % 64)) != 0
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
    fn maps_back_to_original_offsets() {
        let original = "喂，您好 我 不 知 道。";
        let n = normalize(original);
        let at = n.text.find("不知道").unwrap();
        let r = n.original_range(at..at + "不知道".len());
        assert_eq!(&original[r], "不 知 道");
    }

    #[test]
    fn empty_and_all_punctuation() {
        assert_eq!(normalize("").text, "");
        let n = normalize("，。！ ");
        assert_eq!(n.text, "");
        assert_eq!(n.original_range(0..0), 0..0);
    }
}
