//! The phrase automaton steps once per input byte, and a Chinese character is three
//! bytes of UTF-8. Re-encoding normalized text so that every character that occurs
//! in some phrase gets a one- to three-byte code (the most frequent ones one byte)
//! and every other character the single byte 0 lets the automaton step about once
//! per character instead, over a smaller automaton.
//!
//! The code is self-synchronizing like UTF-8: single-byte codes, lead bytes and
//! trail bytes use disjoint byte ranges and a lead byte says the code's length, so
//! an encoded phrase can only match an encoded text at a character boundary and
//! only over whole characters: a match in code space is exactly a match of the
//! normalized characters.

use crate::text::normalize::NormalizedChars;
use std::collections::HashMap;

/// Single-byte codes: 1..=0x5F (0 is "not in any phrase").
const SINGLE_END: u32 = 0x60;
/// Lead bytes of two-byte codes: 0x60..=0x9F, then one trail byte.
const LEAD2: u32 = 0x60;
/// Lead bytes of three-byte codes: 0xA0..=0xBF, then two trail bytes.
const LEAD3: u32 = 0xA0;
/// Trail bytes: 0xC0..=0xFF, six bits each.
const TRAIL: u32 = 0xC0;

const SINGLES: u32 = SINGLE_END - 1;
const DOUBLES: u32 = (LEAD3 - LEAD2) * 64;
const TRIPLES: u32 = (TRAIL - LEAD3) * 64 * 64;

/// The most distinct characters all phrases together may use.
pub const MAX_CHARS: usize = (SINGLES + DOUBLES + TRIPLES) as usize;

/// An encoded character packed in a `u32`: its bytes in the low three bytes (in
/// order, unused ones zero) and its length in the top byte, so writing it is one
/// four-byte store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Code(u32);

impl Code {
    /// Characters in no phrase: the single byte 0.
    const OTHER: Code = Code(1 << 24);

    fn new(bytes: &[u8]) -> Code {
        let mut packed = (bytes.len() as u32) << 24;
        for (i, &b) in bytes.iter().enumerate() {
            packed |= u32::from(b) << (8 * i);
        }
        Code(packed)
    }

    /// The code of the `rank`-th most frequent phrase character (0-based).
    fn of_rank(rank: u32) -> Code {
        let trail = |v: u32| (TRAIL + (v & 0x3F)) as u8;
        if rank < SINGLES {
            Code::new(&[(rank + 1) as u8])
        } else if rank < SINGLES + DOUBLES {
            let v = rank - SINGLES;
            Code::new(&[(LEAD2 + (v >> 6)) as u8, trail(v)])
        } else {
            let v = rank - SINGLES - DOUBLES;
            Code::new(&[(LEAD3 + (v >> 12)) as u8, trail(v >> 6), trail(v)])
        }
    }

    #[inline(always)]
    fn len(self) -> usize {
        (self.0 >> 24) as usize
    }

    /// The four bytes to store: the code, then zeros.
    #[inline(always)]
    fn store_bytes(self) -> [u8; 4] {
        (self.0 & 0x00FF_FFFF).to_le_bytes()
    }

    #[cfg(test)]
    fn as_bytes(&self) -> Vec<u8> {
        self.store_bytes()[..self.len()].to_vec()
    }
}

/// Too many distinct characters in the phrases for the code space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooManyChars {
    pub chars: usize,
}

impl std::fmt::Display for TooManyChars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the phrases use {} distinct characters; at most {MAX_CHARS} are supported",
            self.chars
        )
    }
}

/// The characters of a set of (normalized) phrases, each with its code.
#[derive(Debug, Clone)]
pub struct PhraseAlphabet {
    /// Code of every BMP character ([`Code::OTHER`] for characters in no phrase,
    /// so looking up a code never branches on whether it is there).
    bmp: Box<[Code]>,
    /// Codes of the characters beyond the BMP (rare in phrases).
    astral: HashMap<char, Code>,
}

impl PhraseAlphabet {
    /// The alphabet of `phrases`: characters used more often get shorter codes.
    pub fn new<'a>(phrases: impl IntoIterator<Item = &'a str>) -> Result<Self, TooManyChars> {
        let mut counts: HashMap<char, usize> = HashMap::new();
        for phrase in phrases {
            for c in phrase.chars() {
                *counts.entry(c).or_default() += 1;
            }
        }
        if counts.len() > MAX_CHARS {
            return Err(TooManyChars {
                chars: counts.len(),
            });
        }
        let mut ranked: Vec<(char, usize)> = counts.into_iter().collect();
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut bmp = vec![Code::OTHER; 0x1_0000].into_boxed_slice();
        let mut astral = HashMap::new();
        for (rank, (c, _)) in ranked.into_iter().enumerate() {
            let code = Code::of_rank(rank as u32);
            match usize::try_from(u32::from(c)) {
                Ok(i) if i < bmp.len() => bmp[i] = code,
                _ => {
                    astral.insert(c, code);
                }
            }
        }
        Ok(PhraseAlphabet { bmp, astral })
    }

    #[inline(always)]
    fn code(&self, code_point: u32) -> Code {
        match self.bmp.get(code_point as usize) {
            Some(code) => *code,
            None => char::from_u32(code_point)
                .and_then(|c| self.astral.get(&c))
                .copied()
                .unwrap_or(Code::OTHER),
        }
    }

    /// The encoding of `text`.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut encoder = self.encoder(&mut buf);
        text.chars().for_each(|c| encoder.push(u32::from(c)));
        let len = encoder.len;
        buf.truncate(len);
        buf
    }

    /// An encoder that appends one character at a time to the start of `buf`
    /// (grown as needed, never shrunk, so a reused buffer costs nothing per call).
    pub fn encoder<'a>(&'a self, buf: &'a mut Vec<u8>) -> Encoder<'a> {
        Encoder {
            alphabet: self,
            buf,
            len: 0,
        }
    }
}

/// Encodes a text character by character; fed by normalization as it goes.
pub struct Encoder<'a> {
    alphabet: &'a PhraseAlphabet,
    buf: &'a mut Vec<u8>,
    len: usize,
}

impl Encoder<'_> {
    /// The encoding of the characters pushed so far.
    pub fn codes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl NormalizedChars for Encoder<'_> {
    #[inline(always)]
    fn push(&mut self, code_point: u32) {
        let code = self.alphabet.code(code_point);
        // Each write stores four bytes (one unaligned store); the fourth is
        // overwritten by the next character or lies past the end.
        if self.len + 4 > self.buf.len() {
            let grown = (2 * self.buf.len()).max(256);
            self.buf.resize(grown, 0);
        }
        self.buf[self.len..self.len + 4].copy_from_slice(&code.store_bytes());
        self.len += code.len();
    }
}

/// Converts offsets in an encoding back to byte offsets in the text it encodes.
#[derive(Debug, Default)]
pub struct CodeOffsets {
    /// `text_offset[i]` = byte offset in the text of code byte `i` (and of the end).
    text_offset: Vec<u32>,
}

impl CodeOffsets {
    /// Rebuilds the map for `text` and its encoding `codes`.
    pub fn rebuild(&mut self, text: &str, codes: &[u8]) {
        self.text_offset.clear();
        let mut chars = text.char_indices();
        let mut at = 0;
        while at < codes.len() {
            let len = code_len(codes[at]);
            let (offset, _) = chars
                .next()
                .expect("one code per character of the encoded text");
            self.text_offset.extend(std::iter::repeat_n(
                offset as u32,
                len.min(codes.len() - at),
            ));
            at += len;
        }
        self.text_offset.push(text.len() as u32);
    }

    /// The text offset of code offset `at` (a code boundary).
    pub fn text_offset(&self, at: usize) -> usize {
        self.text_offset[at] as usize
    }
}

/// Length of the code that starts with byte `b`.
fn code_len(b: u8) -> usize {
    match u32::from(b) {
        b if b < LEAD2 => 1,
        b if b < LEAD3 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
        (0..=haystack.len().saturating_sub(needle.len()))
            .filter(|&i| haystack[i..].starts_with(needle))
            .collect()
    }

    fn char_find_all(text: &str, phrase: &str) -> Vec<usize> {
        text.match_indices(phrase).map(|(i, _)| i).collect()
    }

    /// An alphabet large enough to use all three code lengths.
    fn big_alphabet() -> (PhraseAlphabet, Vec<String>) {
        let chars: Vec<char> = (0x4E00u32..0x4E00 + 6000)
            .chain([0x1F600, 0x20000])
            .filter_map(char::from_u32)
            .collect();
        let phrases: Vec<String> = chars.chunks(3).map(|c| c.iter().collect()).collect();
        let alphabet = PhraseAlphabet::new(phrases.iter().map(String::as_str)).unwrap();
        (alphabet, phrases)
    }

    #[test]
    fn codes_of_every_length_are_distinct_and_self_synchronizing() {
        let mut seen = std::collections::HashSet::new();
        for rank in 0..MAX_CHARS as u32 {
            let code = Code::of_rank(rank);
            assert!(seen.insert(code), "rank {rank} repeats a code");
            let bytes = code.as_bytes();
            assert_eq!(code_len(bytes[0]), bytes.len(), "rank {rank}");
            assert_ne!(bytes[0], 0, "rank {rank} uses the 'other' byte");
            assert!(
                u32::from(bytes[0]) < TRAIL,
                "rank {rank} starts with a trail byte"
            );
            assert!(
                bytes[1..].iter().all(|&b| u32::from(b) >= TRAIL),
                "rank {rank}"
            );
        }
    }

    #[test]
    fn too_many_characters_is_an_error() {
        let text: String = (0x4E00u32..0x4E00 + 0x1_0000)
            .chain(0x20000..0x20000 + MAX_CHARS as u32)
            .filter_map(char::from_u32)
            .take(MAX_CHARS + 1)
            .collect();
        let err = PhraseAlphabet::new([text.as_str()]).unwrap_err();
        assert_eq!(err.chars, MAX_CHARS + 1);
        assert!(err.to_string().contains("at most"), "{err}");
    }

    #[test]
    fn matches_in_code_space_are_the_matches_of_the_text() {
        let (alphabet, phrases) = big_alphabet();
        // Text mixing one-, two- and three-byte codes, characters in no phrase
        // (ASCII, other CJK) and astral characters.
        let text: String = phrases
            .iter()
            .step_by(97)
            .flat_map(|p| [p.as_str(), "ab9", "丂丅", "\u{1F600}"])
            .collect::<String>()
            + &phrases[1999][3..]
            + &phrases[5]
            + &phrases[1999];
        let codes = alphabet.encode(&text);
        let mut offsets = CodeOffsets::default();
        offsets.rebuild(&text, &codes);
        let mut checked = 0;
        // Phrases in the text (every 97th), mostly absent ones, and the last few.
        for phrase in phrases
            .iter()
            .step_by(97)
            .chain(phrases.iter().step_by(7))
            .chain(&phrases[1995..])
        {
            let expected = char_find_all(&text, phrase);
            let found: Vec<usize> = find_all(&codes, &alphabet.encode(phrase))
                .into_iter()
                .map(|at| offsets.text_offset(at))
                .collect();
            assert_eq!(found, expected, "phrase {phrase}");
            checked += expected.len();
        }
        assert!(checked > 10, "only {checked} occurrences checked");
        assert_eq!(offsets.text_offset(codes.len()), text.len());
    }

    #[test]
    fn frequent_characters_get_one_byte() {
        let alphabet = PhraseAlphabet::new(["不知道", "不清楚", "不归我管"]).unwrap();
        assert_eq!(alphabet.encode("不"), vec![1]);
        assert_eq!(alphabet.encode("不知道x").len(), 4);
        assert_eq!(alphabet.encode("x"), vec![0]);
    }
}
