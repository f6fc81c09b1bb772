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
//! A number must stand alone: a run of 12 digits is not a mobile number with a digit
//! in front. Numbers written in groups separated by single spaces or hyphens
//! (`138 1234 5678`, `6222-0212-3456-7890-128`) are found when every group has at
//! least 3 digits and one kind of separator is used. Only ASCII digits are masked,
//! each by one `*`, so the masked text has the same length in bytes as the original
//! and every byte offset into it (evidence, token timings) stays valid.

use std::borrow::Cow;

/// Masks the numbers in `s` in place.
pub fn redact_in_place(s: &mut String) {
    if let Cow::Owned(m) = redact(s) {
        *s = m;
    }
}

/// `text` with customers' numbers masked; borrowed when there was nothing to mask.
pub fn redact(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    if bytes.iter().filter(|b| b.is_ascii_digit()).count() < 11 {
        return Cow::Borrowed(text);
    }
    let mut masked: Option<Vec<u8>> = None;
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() {
            at += 1;
            continue;
        }
        let chain = chain_at(bytes, at);
        let end = chain.last().map_or(at + 1, |g| g.end);
        mask_chain(bytes, &chain, masked.get_or_insert_with(|| bytes.to_vec()));
        at = end;
    }
    match masked {
        Some(m) if m != bytes => {
            Cow::Owned(String::from_utf8(m).expect("only ASCII digits were replaced, by ASCII '*'"))
        }
        _ => Cow::Borrowed(text),
    }
}

/// A run of ASCII digits, maybe with a trailing `X` (an ID check character).
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    /// End of the digits.
    digits_end: usize,
    /// End including a trailing `X`/`x`.
    end: usize,
}

impl Group {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// Digit groups from `at`, joined by single spaces or hyphens: a chain ends at any
/// other character, at two separators in a row, and after a group ending in `X`.
fn chain_at(b: &[u8], at: usize) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut i = at;
    loop {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits_end = i;
        let has_x = i < b.len()
            && matches!(b[i], b'X' | b'x')
            && !b.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric());
        if has_x {
            i += 1;
        }
        groups.push(Group {
            start,
            digits_end,
            end: i,
        });
        let continues =
            !has_x && i + 1 < b.len() && matches!(b[i], b' ' | b'-') && b[i + 1].is_ascii_digit();
        if !continues {
            return groups;
        }
        i += 1;
    }
}

/// Finds numbers made of whole consecutive groups of `chain`, longest first from each
/// group, and masks them in `out`.
fn mask_chain(b: &[u8], chain: &[Group], out: &mut [u8]) {
    let mut i = 0;
    while i < chain.len() {
        let mut found = None;
        for j in (i..chain.len()).rev() {
            if let Some(keep) = number_kind(b, &chain[i..=j]) {
                found = Some((j, keep));
                break;
            }
        }
        match found {
            Some((j, (head, tail))) => {
                mask(b, &chain[i..=j], head, tail, out);
                i = j + 1;
            }
            None => i += 1,
        }
    }
}

/// When `groups` spell a number to mask, how many characters to keep at its head and
/// its tail.
fn number_kind(b: &[u8], groups: &[Group]) -> Option<(usize, usize)> {
    if groups.len() > 1 {
        let sep = b[groups[0].end];
        let same_sep = groups
            .windows(2)
            .all(|w| b[w[0].end] == sep && w[1].start == w[0].end + 1);
        if !same_sep || groups.iter().any(|g| g.len() < 3) {
            return None;
        }
    }
    // Only the last group may carry an X (chains end after one).
    let last = groups.last()?;
    let has_x = last.end > last.digits_end;
    let mut chars: Vec<u8> = Vec::with_capacity(20);
    for g in groups {
        chars.extend_from_slice(&b[g.start..g.end]);
        if chars.len() > 19 {
            return None;
        }
    }
    let n = chars.len();
    if !has_x && n == 11 && chars[0] == b'1' && (b'3'..=b'9').contains(&chars[1]) {
        return Some((3, 4));
    }
    if n == 18 && id_check_ok(&chars) {
        return Some((6, 4));
    }
    if !has_x && (16..=19).contains(&n) && luhn_ok(&chars) {
        return Some((6, 4));
    }
    None
}

/// ISO 7064 MOD 11-2 check of an 18-character resident ID number.
fn id_check_ok(chars: &[u8]) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    if chars.len() != 18 || !chars[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = chars[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize] == chars[17].to_ascii_uppercase()
}

/// The Luhn check used by card numbers.
fn luhn_ok(digits: &[u8]) -> bool {
    let mut sum = 0;
    for (i, c) in digits.iter().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(c - b'0');
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

/// Replaces the digits of `groups` with `*`, keeping `head` characters at the start
/// and `tail` at the end (separators are neither counted nor touched).
fn mask(b: &[u8], groups: &[Group], head: usize, tail: usize, out: &mut [u8]) {
    let positions: Vec<usize> = groups.iter().flat_map(|g| g.start..g.end).collect();
    let n = positions.len();
    for (k, &p) in positions.iter().enumerate() {
        if k >= head && k + tail < n && b[p].is_ascii_digit() {
            out[p] = b'*';
        }
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
        assert!(n >= 20, "only {n} cases read");
    }

    fn unescape(s: &str) -> String {
        s.replace("\\t", "\t").replace("\\\\", "\\")
    }

    proptest! {
        #[test]
        fn masking_keeps_length_and_only_turns_digits_into_stars(s in "[0-9 \\-X手机号卡a]{0,60}") {
            let out = redact(&s);
            prop_assert_eq!(out.len(), s.len());
            for (a, b) in s.bytes().zip(out.bytes()) {
                prop_assert!(a == b || (a.is_ascii_digit() && b == b'*'));
            }
        }
    }
}
