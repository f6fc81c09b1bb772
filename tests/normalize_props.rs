//! Property tests for the normalization offset map: whatever the text, every
//! normalized range maps back to a char-aligned, ordered range of the original, and
//! a phrase found in normalized text quotes original text that normalizes to it.

use callqa::text::normalize::{normalize, normalize_str};
use proptest::prelude::*;

fn text_strategy() -> impl Strategy<Value = String> {
    // Mix of Simplified/Traditional Chinese, full-width forms, ASCII, punctuation,
    // spaces, emoji and letters whose lowercase is longer than themselves.
    let pieces = prop::sample::select(vec![
        "不", "知", "道", "沒", "辦", "法", "您", "好", "請", "問", "工", "號", "ＡＢ", "ｃ",
        "１２", "A", "b", "7", " ", "\u{3000}", "，", "。", "！", "…", "—", "“", "”", "、", "😀",
        "İ", "Σ", "\t", "\n", "-", "滚", "動",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn ranges_are_char_aligned_and_ordered(original in text_strategy()) {
        let n = normalize(&original);
        let mut last_end = 0;
        for (i, c) in n.text.char_indices() {
            let r = n.original_range(i..i + c.len_utf8());
            prop_assert!(original.is_char_boundary(r.start) && original.is_char_boundary(r.end));
            prop_assert!(r.start < r.end, "non-empty source for {:?}", c);
            prop_assert!(r.start >= last_end || r.end == last_end, "ordered");
            last_end = r.end;
            // The original piece is never only ignorable characters.
            prop_assert!(!normalize_str(&original[r.clone()]).is_empty());
        }
    }

    #[test]
    fn found_phrases_quote_matching_original(original in text_strategy(), at in 0.0f64..1.0, len in 1usize..6) {
        // İ lowercases to two characters; a slice through the middle of it cannot
        // quote half a character (the first property covers it).
        let original = original.replace('İ', "I");
        let n = normalize(&original);
        let chars: Vec<(usize, char)> = n.text.char_indices().collect();
        prop_assume!(!chars.is_empty());
        let start = ((at * chars.len() as f64) as usize).min(chars.len() - 1);
        let len = len.min(chars.len() - start);
        let a = chars[start].0;
        let b = chars.get(start + len).map_or(n.text.len(), |c| c.0);
        let r = n.original_range(a..b);
        // Re-normalizing the quoted original gives back the phrase (normalization is
        // character by character, so a slice normalizes to the matching slice).
        prop_assert_eq!(normalize_str(&original[r]), n.text[a..b].to_string());
    }

    #[test]
    fn normalization_is_idempotent(original in text_strategy()) {
        let once = normalize_str(&original);
        prop_assert_eq!(normalize_str(&once), once.clone());
    }
}
