//! Text handling shared by every input kind: normalization for matching (with a map
//! back to the original offsets), pronunciation keys for ASR-tolerant matching, and
//! masking of customers' numbers in outputs.

pub mod heard_digits;
pub mod normalize;
pub mod phrase_alphabet;
pub mod pinyin;
pub mod redact;
pub mod sound_alike;
