//! The stored form of the large text columns (result lines, interaction bodies),
//! which keeps the state database near the size of its inputs: each is a zstd frame
//! in a BLOB, and the turns, which a result line and its interaction both hold, are
//! stored once, in the `turns` table under the hash of their JSON; the line or body
//! then holds `"turns":[]` and the row names the turns it had. A TEXT value is still
//! read as it is, so rows written before schema version 6 (or copied by `db rebuild`
//! from an older file) read the same.

use super::StoreError;
use rusqlite::types::{Value, ValueRef};
use std::cell::RefCell;
use std::path::Path;

/// zstd level: 1 packs these rows within a few percent of level 3 at about twice
/// the speed.
const LEVEL: i32 = 1;

/// The largest text a stored frame may unpack to (a damaged header may claim more).
const MAX_TEXT: u64 = 1 << 30;

thread_local! {
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

/// A column value ready to store: the zstd frame of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed(pub(crate) Vec<u8>);

impl Packed {
    /// Packs `text`.
    pub fn text(text: &str) -> Packed {
        // Compressing from memory into memory cannot fail but for allocation. A
        // compressor per thread: making one costs more than packing a line.
        COMPRESSOR.with(|c| {
            let mut c = c.borrow_mut();
            let c = c.get_or_insert_with(|| {
                zstd::bulk::Compressor::new(LEVEL).expect("zstd makes a compressor")
            });
            Packed(
                c.compress(text.as_bytes())
                    .expect("zstd compresses in memory"),
            )
        })
    }

    /// Packs the JSON form of `value`.
    pub fn json<T: serde::Serialize>(value: &T, what: &'static str) -> Result<Packed, StoreError> {
        let text =
            serde_json::to_string(value).map_err(|source| StoreError::Encode { what, source })?;
        Ok(Packed::text(&text))
    }

    /// The stored bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Turns stored apart: their JSON packed, under the first 16 bytes of its blake3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedTurns {
    pub(crate) hash: [u8; 16],
    pub(crate) body: Packed,
}

impl PackedTurns {
    /// The turns whose JSON is `json`.
    pub fn of_json(json: &str) -> PackedTurns {
        let full = blake3::hash(json.as_bytes());
        let mut hash = [0u8; 16];
        hash.copy_from_slice(&full.as_bytes()[..16]);
        PackedTurns {
            hash,
            body: Packed::text(json),
        }
    }
}

/// A line or body as stored: packed, with its turns apart when they could be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub(crate) body: Packed,
    pub(crate) turns: Option<PackedTurns>,
}

/// The empty turns a split line or body holds in their place.
const EMPTY: &str = "[]";
/// The key of the turns field.
const FIELD: &str = ",\"turns\":";
/// The key of the field after the turns in an interaction body (a `"` inside a
/// JSON string is escaped, so the last one is the field).
const MEASURED: &str = ",\"measured\":";

impl Split {
    /// A result line with its turns (whose JSON is `turns_json`, the last field)
    /// taken out; whole when they are not there.
    pub fn line(line: &str, turns: PackedTurns, turns_json: &str) -> Split {
        Self::around(
            line,
            line.len() - usize::from(line.ends_with('}')),
            turns,
            turns_json,
        )
    }

    /// An interaction body with its turns (the field before `measured`, the last
    /// one) taken out; whole when they are not there.
    pub fn body(body: &str, turns: PackedTurns, turns_json: &str) -> Split {
        let end = body.rfind(MEASURED).unwrap_or(0);
        Self::around(body, end, turns, turns_json)
    }

    /// [`Split::line`] of the line whose text without its turns is `bare` (the
    /// turns serialized as `"turns":[]`, the last field), with the whole line:
    /// the same as splitting the whole line, without encoding the turns twice.
    /// `None` when `bare` does not end in empty turns.
    pub fn line_of_bare(
        bare: String,
        turns: PackedTurns,
        turns_json: &str,
    ) -> Option<(String, Split)> {
        let end = bare.len().checked_sub(1).filter(|_| bare.ends_with('}'))?;
        let head = bare[..end].strip_suffix(EMPTY)?;
        if !head.ends_with(FIELD) {
            return None;
        }
        if turns_json == EMPTY {
            let body = Packed::text(&bare);
            return Some((bare, Split { body, turns: None }));
        }
        let mut line = String::with_capacity(bare.len() + turns_json.len());
        line.push_str(head);
        line.push_str(turns_json);
        line.push_str(&bare[end..]);
        let split = Split {
            body: Packed::text(&bare),
            turns: Some(turns),
        };
        Some((line, split))
    }

    /// [`Split::body`] of the interaction body whose text without its turns is
    /// `bare` (`"turns":[]` before `measured`, the last field); `None` when `bare`
    /// is not so.
    pub fn body_of_bare(bare: &str, turns: PackedTurns, turns_json: &str) -> Option<Split> {
        let end = bare.rfind(MEASURED)?;
        let head = bare[..end].strip_suffix(EMPTY)?;
        if !head.ends_with(FIELD) {
            return None;
        }
        Some(Split {
            body: Packed::text(bare),
            turns: (turns_json != EMPTY).then_some(turns),
        })
    }

    /// `json` with the `"turns":TURNS` that ends at byte `end` replaced by
    /// `"turns":[]`; whole when that is not what ends there.
    fn around(json: &str, end: usize, turns: PackedTurns, turns_json: &str) -> Split {
        let head = json[..end].strip_suffix(turns_json);
        match head {
            Some(head) if head.ends_with(FIELD) && turns_json != EMPTY => {
                let mut bare = String::with_capacity(json.len() - turns_json.len() + EMPTY.len());
                bare.push_str(head);
                bare.push_str(EMPTY);
                bare.push_str(&json[end..]);
                Split {
                    body: Packed::text(&bare),
                    turns: Some(turns),
                }
            }
            _ => Split {
                body: Packed::text(json),
                turns: None,
            },
        }
    }

    /// The turns' hash, for the row's `turns` column.
    pub(crate) fn turns_hash(&self) -> Option<&[u8]> {
        self.turns.as_ref().map(|t| &t.hash[..])
    }
}

/// Where the turns of a stored line or body end: before a line's closing brace,
/// before a body's `measured`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ends {
    Line,
    Body,
}

/// A stored line or body put back together: the `[]` of its `"turns":[]` (where
/// `ends` says) replaced by `turns`.
pub(crate) fn join(
    bare: String,
    turns: Option<String>,
    ends: Ends,
    path: &Path,
    what: &'static str,
) -> Result<String, StoreError> {
    match turns {
        None => Ok(bare),
        Some(turns) => join_ref(&bare, Some(&turns), ends, path, what),
    }
}

/// [`join`] of borrowed texts (always a new string).
pub(crate) fn join_ref(
    bare: &str,
    turns: Option<&str>,
    ends: Ends,
    path: &Path,
    what: &'static str,
) -> Result<String, StoreError> {
    let Some(turns) = turns else {
        return Ok(bare.to_string());
    };
    let end = match ends {
        Ends::Line => bare.len() - usize::from(bare.ends_with('}')),
        Ends::Body => bare.rfind(MEASURED).unwrap_or(0),
    };
    let fits = bare[..end]
        .strip_suffix(EMPTY)
        .is_some_and(|head| head.ends_with(FIELD));
    if !fits {
        return Err(StoreError::Unpack {
            path: path.to_path_buf(),
            what,
            detail: "its turns are stored apart but it has no place for them".into(),
        });
    }
    let mut out = String::with_capacity(bare.len() + turns.len());
    out.push_str(&bare[..end - EMPTY.len()]);
    out.push_str(turns);
    out.push_str(&bare[end..]);
    Ok(out)
}

/// The text of a stored value: a zstd BLOB unpacked, a TEXT as it is.
pub(crate) fn unpack(
    value: ValueRef<'_>,
    path: &Path,
    what: &'static str,
) -> Result<String, StoreError> {
    let bad = |detail: String| StoreError::Unpack {
        path: path.to_path_buf(),
        what,
        detail,
    };
    match value {
        ValueRef::Text(t) => String::from_utf8(t.to_vec()).map_err(|e| bad(e.to_string())),
        ValueRef::Blob(b) => {
            let size = match zstd::zstd_safe::get_frame_content_size(b) {
                Ok(Some(n)) if n <= MAX_TEXT => n as usize,
                _ => return Err(bad("not a zstd frame of a known size".into())),
            };
            let bytes = DECOMPRESSOR.with(|d| {
                let mut d = d.borrow_mut();
                let d = match &mut *d {
                    Some(d) => d,
                    None => d.insert(zstd::bulk::Decompressor::new()?),
                };
                d.decompress(b, size)
            });
            let bytes = bytes.map_err(|e| bad(e.to_string()))?;
            String::from_utf8(bytes).map_err(|e| bad(e.to_string()))
        }
        _ => Err(bad("neither text nor a zstd frame".into())),
    }
}

/// The packed form of a stored value: TEXT packed, a BLOB kept (used when old rows
/// are upgraded or copied).
pub(crate) fn repack(value: Value, path: &Path, what: &'static str) -> Result<Value, StoreError> {
    match value {
        Value::Text(t) => Ok(Value::Blob(Packed::text(&t).0)),
        Value::Blob(b) => {
            unpack(ValueRef::Blob(&b), path, what)?;
            Ok(Value::Blob(b))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_text_and_plain_text_read_the_same() {
        let line = r#"{"interaction_id":"c1","turns":[{"text":"您好，很高兴为您服务"}]}"#;
        let p = Path::new("x.db");
        let packed = Packed::text(line);
        assert_ne!(packed.bytes(), line.as_bytes());
        assert_eq!(
            unpack(ValueRef::Blob(packed.bytes()), p, "a result").unwrap(),
            line
        );
        assert_eq!(
            unpack(ValueRef::Text(line.as_bytes()), p, "a result").unwrap(),
            line
        );
        let again = repack(Value::Text(line.into()), p, "a result").unwrap();
        assert_eq!(again, Value::Blob(packed.0.clone()));
        assert!(unpack(ValueRef::Blob(b"not zstd"), p, "a result").is_err());
        assert!(repack(Value::Blob(b"not zstd".to_vec()), p, "a result").is_err());
    }

    #[test]
    fn split_lines_and_bodies_join_back_byte_for_byte() {
        let p = Path::new("x.db");
        let turns = r#"[{"speaker":"agent","text":"\",\"turns\":[]}"}]"#;
        let line = format!(r#"{{"id":"c1","detail":"\",\"turns\":[]}}","turns":{turns}}}"#);
        let split = Split::line(&line, PackedTurns::of_json(turns), turns);
        assert!(split.turns.is_some());
        let bare = unpack(ValueRef::Blob(split.body.bytes()), p, "x").unwrap();
        assert!(!bare.contains("speaker"), "{bare}");
        serde_json::from_str::<serde_json::Value>(&bare).unwrap();
        assert_eq!(
            join(bare, Some(turns.into()), Ends::Line, p, "x").unwrap(),
            line
        );

        let body = format!(r#"{{"id":"c1","turns":{turns},"measured":{{}}}}"#);
        let split = Split::body(&body, PackedTurns::of_json(turns), turns);
        let bare = unpack(ValueRef::Blob(split.body.bytes()), p, "x").unwrap();
        assert_eq!(bare, r#"{"id":"c1","turns":[],"measured":{}}"#);
        assert_eq!(
            join(bare, Some(turns.into()), Ends::Body, p, "x").unwrap(),
            body
        );

        // Made from the texts without their turns: the same.
        let bare_line = line.replace(turns, "[]");
        let (whole, from_bare) =
            Split::line_of_bare(bare_line, PackedTurns::of_json(turns), turns).unwrap();
        assert_eq!(whole, line);
        assert_eq!(
            from_bare,
            Split::line(&line, PackedTurns::of_json(turns), turns)
        );
        let bare_body = r#"{"id":"c1","turns":[],"measured":{}}"#;
        assert_eq!(
            Split::body_of_bare(bare_body, PackedTurns::of_json(turns), turns).unwrap(),
            Split::body(&body, PackedTurns::of_json(turns), turns)
        );
        let none = Split::line_of_bare(
            r#"{"id":"c1","turns":[]}"#.into(),
            PackedTurns::of_json("[]"),
            "[]",
        )
        .unwrap();
        assert_eq!(
            none.1,
            Split::line(
                r#"{"id":"c1","turns":[]}"#,
                PackedTurns::of_json("[]"),
                "[]"
            )
        );
        assert!(
            Split::line_of_bare(r#"{"id":"c1"}"#.into(), PackedTurns::of_json(turns), turns)
                .is_none()
        );

        // Turns that are not in the text: stored whole.
        let whole = Split::line(r#"{"id":"c1"}"#, PackedTurns::of_json(turns), turns);
        assert!(whole.turns.is_none());
        assert!(join("{}".into(), Some(turns.into()), Ends::Line, p, "x").is_err());
    }
}
