//! Inputs by content: each input path with the blake3 hash of its bytes, its size
//! and modification time. A rerun compares against this to find new and changed
//! files; with `trust_mtime`, a file whose size and mtime are unchanged is not read
//! again (the nightly-rerun fast path, as make and git do), otherwise it is rehashed.

use super::{timestamp, Store, StoreError};
use rusqlite::OptionalExtension;
use std::io::Read;
use std::path::Path;

/// How an input compares with what the store knew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputState {
    New,
    Changed,
    Unchanged,
}

/// An input as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRecord {
    /// blake3 of the content, 64 hex digits.
    pub hash: String,
    pub size: u64,
    pub state: InputState,
}

/// The blake3 hash (hex) of a file's content.
pub fn hash_file(path: &Path) -> Result<String, StoreError> {
    let err = |source| StoreError::Input {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(err)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

impl Store {
    /// Hashes the input at `path` (or, with `trust_mtime` and an unchanged size and
    /// mtime, reuses the stored hash), records it and says whether it is new, changed
    /// or unchanged. `key` is the path as results show it (`batch::display_path`).
    pub fn note_input(
        &mut self,
        key: &str,
        path: &Path,
        trust_mtime: bool,
    ) -> Result<InputRecord, StoreError> {
        let meta = std::fs::metadata(path).map_err(|source| StoreError::Input {
            path: path.to_path_buf(),
            source,
        })?;
        let (size, mtime) = (meta.len(), mtime_ns(&meta));
        let known: Option<(String, i64, i64)> = self
            .conn
            .query_row(
                "SELECT hash, size, mtime_ns FROM inputs WHERE path = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(self.sql("look up an input"))?;
        let hash = match &known {
            Some((hash, s, m)) if trust_mtime && *s == size as i64 && *m == mtime => hash.clone(),
            _ => hash_file(path)?,
        };
        let state = match &known {
            None => InputState::New,
            Some((h, _, _)) if *h == hash => InputState::Unchanged,
            Some(_) => InputState::Changed,
        };
        let now = timestamp(chrono::Utc::now());
        self.conn
            .execute(
                "INSERT INTO inputs (path, hash, size, mtime_ns, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (path) DO UPDATE SET hash = excluded.hash, size = excluded.size,
                     mtime_ns = excluded.mtime_ns, last_seen = excluded.last_seen",
                rusqlite::params![key, hash, size as i64, mtime, now],
            )
            .map_err(self.sql("record an input"))?;
        Ok(InputRecord { hash, size, state })
    }

    /// The stored hash of an input, if it was seen.
    pub fn input_hash(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT hash FROM inputs WHERE path = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.sql("look up an input"))
    }
}
