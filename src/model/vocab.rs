//! The regular (byte-level BPE) tokens of a Hugging Face `tokenizer.json`, as the raw
//! bytes whisper.cpp expects in its vocabulary. whisper.cpp adds the special tokens
//! (`<|endoftext|>`, languages, timestamps) itself, so they are not written.

use super::ModelError;
use std::collections::HashMap;
use std::path::Path;

/// The character GPT-2's byte-level BPE uses for each byte, inverted: char -> byte.
fn unicode_to_byte() -> HashMap<char, u8> {
    let printable = |b: u32| (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || b >= 0xae;
    let mut map = HashMap::with_capacity(256);
    let mut shifted = 0u32;
    for b in 0u32..256 {
        let c = if printable(b) {
            b
        } else {
            shifted += 1;
            255 + shifted
        };
        map.insert(char::from_u32(c).expect("valid code point"), b as u8);
    }
    map
}

/// Decodes one byte-level token (e.g. `Ġhello`) to its bytes (` hello`).
pub fn decode_token(token: &str, table: &HashMap<char, u8>) -> Option<Vec<u8>> {
    token.chars().map(|c| table.get(&c).copied()).collect()
}

/// Regular tokens of `tokenizer.json` (`model.vocab`) as bytes, indexed by id.
pub fn regular_tokens(json: &[u8], path: &Path) -> Result<Vec<Vec<u8>>, ModelError> {
    let bad = |reason: String| ModelError::Config {
        path: path.to_path_buf(),
        reason,
    };
    let doc: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let vocab = doc
        .pointer("/model/vocab")
        .and_then(|v| v.as_object())
        .ok_or_else(|| {
            bad("has no `model.vocab` object; expected a byte-level BPE tokenizer".into())
        })?;
    let table = unicode_to_byte();
    let mut tokens: Vec<Option<Vec<u8>>> = vec![None; vocab.len()];
    for (text, id) in vocab {
        let id = id
            .as_u64()
            .map(|id| id as usize)
            .filter(|&id| id < tokens.len())
            .ok_or_else(|| {
                bad(format!(
                    "token {text:?} has id {id}, outside 0..{}",
                    tokens.len()
                ))
            })?;
        let bytes = decode_token(text, &table)
            .ok_or_else(|| bad(format!("token {text:?} is not byte-level BPE text")))?;
        if tokens[id].replace(bytes).is_some() {
            return Err(bad(format!("id {id} is used by two tokens")));
        }
    }
    tokens
        .into_iter()
        .enumerate()
        .map(|(id, t)| t.ok_or_else(|| bad(format!("no token has id {id}"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_covers_every_byte_once() {
        let table = unicode_to_byte();
        assert_eq!(table.len(), 256);
        let mut bytes: Vec<u8> = table.values().copied().collect();
        bytes.sort_unstable();
        bytes.dedup();
        assert_eq!(bytes.len(), 256);
        assert_eq!(table[&'Ġ'], b' ');
        assert_eq!(table[&'Ċ'], b'\n');
        assert_eq!(table[&'!'], b'!');
        assert_eq!(table[&'Ā'], 0);
        assert_eq!(table[&'ÿ'], 0xff);
    }

    #[test]
    fn decodes_in_id_order_to_raw_bytes() {
        // "ä½ł" is the byte-level spelling of the UTF-8 bytes of 你 (e4 bd a0);
        // "åľº" is only part of a character's bytes and must stay raw.
        let json = r#"{"model": {"type": "BPE", "vocab": {
            "Ġhello": 2, "!": 0, "ä½ł": 1, "åľ": 3, "": 4, "ĠĊ": 5 }},
            "added_tokens": [{"id": 6, "content": "<|endoftext|>"}]}"#;
        let tokens = regular_tokens(json.as_bytes(), Path::new("tokenizer.json")).unwrap();
        let want: Vec<Vec<u8>> = vec![
            b"!".to_vec(),
            "你".as_bytes().to_vec(),
            b" hello".to_vec(),
            vec![0xe5, 0x9c],
            vec![],
            b" \n".to_vec(),
        ];
        assert_eq!(tokens, want);
    }

    #[test]
    fn gaps_and_foreign_characters_are_errors() {
        let gap = r#"{"model": {"vocab": {"a": 0, "b": 2, "c": 3}}}"#;
        let err = regular_tokens(gap.as_bytes(), Path::new("t.json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.json") && err.contains("id 3, outside 0..3"),
            "{err}"
        );
        let foreign = r#"{"model": {"vocab": {"你": 0}}}"#;
        let err = regular_tokens(foreign.as_bytes(), Path::new("t.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not byte-level"), "{err}");
    }
}
