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
    let simplified = to_simplified(original);
    let mut text = String::with_capacity(original.len());
    let mut origin = Vec::with_capacity(original.len());
    // `to_simplified` maps char to char, so the two iterators stay aligned.
    for ((start, orig_char), simple) in original.char_indices().zip(simplified.chars()) {
        let end = (start + orig_char.len_utf8()) as u32;
        let start = start as u32;
        let c = to_half_width(simple);
        if is_ignorable(c) {
            continue;
        }
        if c.is_ascii() {
            text.push(c.to_ascii_lowercase());
            origin.push((start, end));
        } else if c.is_uppercase() {
            for lower in c.to_lowercase() {
                push_char(&mut text, &mut origin, lower, start, end);
            }
        } else {
            push_char(&mut text, &mut origin, c, start, end);
        }
    }
    Normalized { text, origin }
}

/// Normalizes without keeping the offset map (for rule phrases).
pub fn normalize_str(s: &str) -> String {
    normalize(s).text
}

fn push_char(text: &mut String, origin: &mut Vec<(u32, u32)>, c: char, start: u32, end: u32) {
    text.push(c);
    origin.extend(std::iter::repeat_n((start, end), c.len_utf8()));
}

/// Traditional to Simplified, one character for one character (fast2s looks at the
/// neighbours for the few context-dependent characters).
fn to_simplified(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(fast2s::convert(s))
    }
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
