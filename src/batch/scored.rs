//! A large chat log that was scored in full and has not changed since (same size,
//! mtime and content hash, same ruleset, callqa and masking: [`Store::scored_ids`])
//! is not read again: its stored results are handed out in file order, a slice at
//! a time. Should a stored result be missing or no longer parse, the ones before
//! it are out and the caller reads the file for the rest. The record's ids are
//! read, and written ([`IdsRecord`]), a part at a time.

use super::selection::SeenIds;
use super::stored::{fetch_tied, unpack_all, INTERACTIONS_PER_SLICE};
use super::Scored;
use super::{BatchStats, Item};
use crate::rules::Ruleset;
use crate::store::{ResultKey, Store, StoreError};
use std::path::Path;

/// The record of a chat log scored in full: the ids stored with it, then its
/// parts.
pub(super) struct ScoredList {
    pub(super) inline: String,
    pub(super) parts: i64,
}

/// Where the ids of a [`ScoredList`] are read.
struct Cursor<'a> {
    list: &'a ScoredList,
    key: (&'a str, &'a str),
    at: usize,
    part: i64,
}

impl<'a> Cursor<'a> {
    fn new(list: &'a ScoredList, source: &'a str, ruleset: &'a Ruleset) -> Cursor<'a> {
        Cursor {
            list,
            key: (source, &ruleset.sha256),
            at: 0,
            part: 0,
        }
    }

    /// The next ids (at most a slice); `None` at the end.
    fn next(&mut self, store: &Store) -> Result<Option<Vec<String>>, StoreError> {
        let inline = &self.list.inline;
        if self.at < inline.len() {
            let rest = &inline[self.at..];
            let mut ids = Vec::with_capacity(INTERACTIONS_PER_SLICE);
            let mut used = 0;
            for id in rest.split('\n').take(INTERACTIONS_PER_SLICE) {
                used += id.len() + 1;
                ids.push(id.to_string());
            }
            self.at += used;
            return Ok(Some(ids));
        }
        if self.part >= self.list.parts {
            return Ok(None);
        }
        let Some(part) = store.scored_part(self.key.0, self.key.1, self.part)? else {
            // A part gone: the ones before are the record.
            self.part = self.list.parts;
            return Ok(None);
        };
        self.part += 1;
        Ok(Some(part.split('\n').map(str::to_string).collect()))
    }
}

/// The ids of a streamed chat log being recorded, a part at a time (each part
/// its own write), ahead of the record's row.
pub(super) struct IdsRecord {
    ids: String,
    count: usize,
    part: i64,
}

impl IdsRecord {
    pub(super) fn new() -> IdsRecord {
        IdsRecord {
            ids: String::new(),
            count: 0,
            part: 0,
        }
    }

    /// Adds `id` (not empty, no newline), writing the part once it is full.
    pub(super) fn push(
        &mut self,
        store: &mut Store,
        (source, ruleset): (&str, &str),
        id: &str,
    ) -> Result<(), StoreError> {
        if self.count > 0 {
            self.ids.push('\n');
        }
        self.ids.push_str(id);
        self.count += 1;
        if self.count == INTERACTIONS_PER_SLICE {
            self.write(store, (source, ruleset))?;
        }
        Ok(())
    }

    /// Writes the ids not written yet as a part.
    fn write(
        &mut self,
        store: &mut Store,
        (source, ruleset): (&str, &str),
    ) -> Result<(), StoreError> {
        if self.count == 0 {
            return Ok(());
        }
        let (part, ids) = (self.part, &self.ids);
        store.transaction(|store| store.scored_part_put(source, ruleset, part, ids))?;
        self.part += 1;
        self.ids.clear();
        self.count = 0;
        Ok(())
    }

    /// Records the file as scored in full under `tied`.
    pub(super) fn finish(
        mut self,
        store: &mut Store,
        (source, ruleset): (&str, &str),
        tied: &str,
    ) -> Result<(), StoreError> {
        self.write(store, (source, ruleset))?;
        store.transaction(|store| store.scored_put(source, ruleset, tied, ""))
    }

    /// The record of the first `done` ids of `list` made again (the parts before
    /// the last are the same), everything after them forgotten.
    pub(super) fn prefix(
        store: &mut Store,
        list: &ScoredList,
        (source, ruleset): (&str, &Ruleset),
        done: usize,
    ) -> Result<IdsRecord, StoreError> {
        let key = (source, &*ruleset.sha256);
        let mut record = IdsRecord::new();
        let mut cursor = Cursor::new(list, source, ruleset);
        let mut left = done;
        while left > 0 {
            let Some(ids) = cursor.next(store)? else {
                break;
            };
            for id in ids.iter().take(left) {
                record.push(store, key, id)?;
            }
            left = left.saturating_sub(ids.len());
        }
        let (k, p) = (source, &*ruleset.sha256);
        let from = record.part;
        store.transaction(|store| store.scored_forget_from(k, p, from))?;
        Ok(record)
    }
}

/// Hands out the stored results of `list` (the ids of `source`, read from
/// `path`, in file order) tied to `tied`, and returns how many went out and how
/// many ids the record has: all of them, or fewer when one is missing (none when
/// an id is already another input's, so that the caller reports it as a full
/// read would).
#[allow(clippy::too_many_arguments)]
pub(super) fn hand_out(
    store: &mut Store,
    list: &ScoredList,
    (source, path): (&str, &Path),
    ruleset: &Ruleset,
    tied: &str,
    ids: &mut SeenIds,
    stats: &mut BatchStats,
    out: &mut dyn FnMut(Item),
) -> Result<(usize, usize), StoreError> {
    let mut total = 0;
    let mut cursor = Cursor::new(list, source, ruleset);
    while let Some(slice) = cursor.next(store)? {
        if slice.iter().any(|id| ids.clashes(id, source)) {
            return Ok((0, usize::MAX));
        }
        total += slice.len();
    }
    let mut cursor = Cursor::new(list, source, ruleset);
    while let Some(slice) = cursor.next(store)? {
        for id in &slice {
            ids.check(id, source, path);
        }
    }
    // While one slice is unpacked (in parallel), the one before is handed out and
    // the one after read from the store.
    let db = store.path().to_path_buf();
    let mut cursor = Cursor::new(list, source, ruleset);
    let mut read = |store: &mut Store| match cursor.next(store)? {
        None => Ok(None),
        Some(slice) => {
            let keys: Vec<ResultKey<'_>> = slice
                .iter()
                .map(|id| ResultKey {
                    interaction_id: id,
                    source,
                    ruleset_sha256: &ruleset.sha256,
                })
                .collect();
            store
                .transaction(|store| fetch_tied(store, &keys, tied))
                .map(Some)
        }
    };
    let mut done = 0;
    let mut ready: Option<Vec<Option<Scored>>> = None;
    let mut next = read(store)?;
    while ready.is_some() || next.is_some() {
        let unpacking = next.take();
        let mut unpacked = None;
        let mut missing = false;
        rayon::in_place_scope(|s| {
            if let Some(packed) = unpacking {
                let (unpacked, db) = (&mut unpacked, &db);
                s.spawn(move |_| *unpacked = Some(unpack_all(packed, db)));
            }
            for r in ready.take().into_iter().flatten() {
                let Some(r) = r else {
                    missing = true;
                    return Ok(());
                };
                stats.interactions += 1;
                stats.results_reused += 1;
                done += 1;
                out(Item::Result(Box::new(r)));
            }
            next = read(store)?;
            Ok::<(), StoreError>(())
        })?;
        if missing {
            return Ok((done, total));
        }
        ready = unpacked;
    }
    Ok((done, total))
}
