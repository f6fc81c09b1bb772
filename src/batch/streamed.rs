//! A large chat log, streamed ([`crate::input::chat_stream`]) and scored a slice of
//! conversations at a time, each slice its own transaction, so memory does not grow
//! with the file. The stages overlap: a reader thread parses the file ahead, and
//! while one slice is scanned (in parallel) the one before it is stored and handed
//! out and the one after it is gathered. Items come out exactly in the order a
//! slice-by-slice run gives: problems as they are read, a slice's results when it
//! is full.

use super::incremental::RunPlan;
use super::scored::{hand_out, IdsRecord, ScoredList};
use super::selection::{Keep, SeenIds};
use super::stored::{result_hash, scan_fresh, store_scanned, Scanned, INTERACTIONS_PER_SLICE};
use super::text_path::{note, prepare, Prepared};
use super::{BatchStats, Item};
use crate::input::chat_stream::{stream_jsonl, Streamed};
use crate::input::{display_path, InputFile, InputProblem};
use crate::interaction::Interaction;
use crate::rules::Ruleset;
use crate::store::{Store, StoreError};
use std::sync::mpsc::{sync_channel, Receiver};

/// Items the reader thread sends at a time, and batches it may be ahead by.
const READ_BATCH: usize = 1024;
const READ_AHEAD: usize = 4;

/// A large chat log, streamed: duplicate ids are checked here (a slice at a time),
/// and problems and results go to `out` as they come, in file order. One scored in
/// full before and unchanged since is not read ([`super::scored`]); one scored in
/// full now is recorded as such.
#[allow(clippy::too_many_arguments)]
pub(super) fn streamed_file(
    store: &mut Store,
    file: &InputFile,
    ruleset: &Ruleset,
    plan: &RunPlan,
    keep: &Keep,
    ids: &mut SeenIds,
    stats: &mut BatchStats,
    out: &mut dyn FnMut(Item),
) -> Result<(), StoreError> {
    let (hash, seen) = match store.transaction(|store| note(store, file))? {
        Ok(noted) => noted,
        Err(p) => {
            out(Item::Problem(p));
            return Ok(());
        }
    };
    let source = display_path(&file.path);
    let tied = result_hash(&hash, plan.redact);
    let key = (source.as_str(), &*ruleset.sha256);
    // The ids in file order, recorded while the file is whole (every interaction
    // kept, no problem on any line, no id empty or with a newline), to record it as
    // scored in full at the end.
    let mut whole = keep.keeps_all().then(IdsRecord::new);
    // Interactions already handed out from the record of a full scoring.
    let mut skip = 0;
    let mut forgotten = false;
    if seen && keep.keeps_all() {
        if let Some(inline) = store.scored_ids(&source, &ruleset.sha256, &tied)? {
            let parts = store.scored_parts(&source, &ruleset.sha256)?;
            let list = ScoredList { inline, parts };
            let place = (source.as_str(), file.path.as_path());
            let (done, total) = hand_out(store, &list, place, ruleset, &tied, ids, stats, out)?;
            if done == total {
                stats.files_unread += 1;
                return Ok(());
            }
            skip = done;
            whole = Some(IdsRecord::prefix(store, &list, (&source, ruleset), done)?);
            forgotten = true;
        }
    }
    if !forgotten {
        store.transaction(|store| store.scored_forget(key.0, key.1))?;
    }
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Vec<Streamed>>(READ_AHEAD);
        let (path, name) = (file.path.as_path(), source.as_str());
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(READ_BATCH);
            let sent: Result<(), ()> = stream_jsonl(path, name, |item| {
                batch.push(item);
                if batch.len() == READ_BATCH {
                    tx.send(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(READ_BATCH),
                    ))
                    .map_err(drop)?;
                }
                Ok(())
            });
            if sent.is_ok() && !batch.is_empty() {
                // The receiver gone means the run stopped: nothing to tell.
                let _ = tx.send(batch);
            }
        });
        let mut gather = Gather {
            items: rx,
            pending: Vec::new().into_iter(),
            skip,
            ended: false,
        };
        let mut run = Slices {
            store,
            file,
            input: (&hash, seen),
            ruleset,
            plan,
            keep,
            ids,
            stats,
            whole: &mut whole,
            file_source: key.0,
        };
        run.all(&mut gather, out)
        // Leaving the scope drops the receiver: a reader still running stops.
    })?;
    match whole {
        Some(w) => w.finish(store, key, &tied),
        // Parts recorded before the file was found not whole are dropped.
        None => store.transaction(|store| store.scored_forget(key.0, key.1)),
    }
}

/// The streamed items, in order, from the reader thread.
struct Gather {
    items: Receiver<Vec<Streamed>>,
    pending: std::vec::IntoIter<Streamed>,
    /// Interactions still to pass over (handed out before from the store).
    skip: usize,
    ended: bool,
}

impl Gather {
    fn next(&mut self) -> Option<Streamed> {
        loop {
            if let Some(item) = self.pending.next() {
                return Some(item);
            }
            match self.items.recv() {
                Ok(batch) => self.pending = batch.into_iter(),
                Err(_) => {
                    self.ended = true;
                    return None;
                }
            }
        }
    }

    /// The next slice: the problems read before it was full, and its interactions
    /// (a full slice, or the rest at the end). `None` once everything was read.
    fn slice(
        &mut self,
        whole: &mut Option<IdsRecord>,
    ) -> Option<(Vec<InputProblem>, Vec<Interaction>)> {
        if self.ended {
            return None;
        }
        let mut problems = Vec::new();
        let mut slice = Vec::with_capacity(INTERACTIONS_PER_SLICE);
        while slice.len() < INTERACTIONS_PER_SLICE {
            match self.next() {
                None => break,
                Some(Streamed::Problem(p)) => {
                    *whole = None;
                    problems.push(p);
                }
                Some(Streamed::Interaction(_)) if self.skip > 0 => self.skip -= 1,
                Some(Streamed::Interaction(i)) => slice.push(i),
            }
        }
        Some((problems, slice))
    }
}

/// One slice on its way: problems to hand out before its results (read before it
/// was full, then its duplicate ids), and its interactions.
struct Slice {
    problems: Vec<InputProblem>,
    prepared: Prepared,
}

/// The slices of one streamed file.
struct Slices<'a> {
    store: &'a mut Store,
    file: &'a InputFile,
    input: (&'a str, bool),
    ruleset: &'a Ruleset,
    plan: &'a RunPlan,
    keep: &'a Keep,
    ids: &'a mut SeenIds,
    stats: &'a mut BatchStats,
    whole: &'a mut Option<IdsRecord>,
    file_source: &'a str,
}

impl Slices<'_> {
    /// Every slice: while one is scanned, the one before is stored and handed out
    /// and the next one gathered and prepared.
    fn all(&mut self, gather: &mut Gather, out: &mut dyn FnMut(Item)) -> Result<(), StoreError> {
        let mut ready: Option<(Slice, Vec<Scanned>)> = None;
        let mut next = self.gather(gather)?;
        while ready.is_some() || next.is_some() {
            let mut scanning = next.take();
            let mut scanned = Vec::new();
            let (ruleset, plan) = (self.ruleset, self.plan);
            let done = rayon::in_place_scope(|s| {
                if let Some(slice) = &mut scanning {
                    let fresh = &mut slice.prepared.fresh;
                    let scanned = &mut scanned;
                    s.spawn(move |_| *scanned = scan_fresh(fresh, ruleset, plan));
                }
                if let Some((slice, scanned)) = ready.take() {
                    self.finish(slice, scanned, out)?;
                }
                next = self.gather(gather)?;
                Ok::<(), StoreError>(())
            });
            done?;
            ready = scanning.map(|slice| (slice, scanned));
        }
        Ok(())
    }

    /// Gathers and prepares the next slice; `None` at the end.
    fn gather(&mut self, gather: &mut Gather) -> Result<Option<Slice>, StoreError> {
        let Some((mut problems, read)) = gather.slice(self.whole) else {
            return Ok(None);
        };
        let mut kept = Vec::with_capacity(read.len());
        for i in read {
            match self.ids.check(&i.id, &i.source, &self.file.path) {
                Some(p) => {
                    *self.whole = None;
                    problems.push(p);
                }
                None => {
                    if i.id.is_empty() || i.id.contains('\n') {
                        *self.whole = None;
                    }
                    if let Some(w) = self.whole.as_mut() {
                        w.push(self.store, (self.file_source, &self.ruleset.sha256), &i.id)?;
                    }
                    kept.push(i);
                }
            }
        }
        let prepared = prepare(
            self.store,
            kept,
            self.input,
            self.ruleset,
            self.plan,
            self.keep,
            self.stats,
        )?;
        Ok(Some(Slice { problems, prepared }))
    }

    /// Stores a scanned slice (one transaction) and hands out its problems and
    /// results.
    fn finish(
        &mut self,
        slice: Slice,
        scanned: Vec<Scanned>,
        out: &mut dyn FnMut(Item),
    ) -> Result<(), StoreError> {
        let Slice { problems, prepared } = slice;
        for p in problems {
            out(Item::Problem(p));
        }
        let (ruleset, plan) = (self.ruleset, self.plan);
        let results = self
            .store
            .transaction(|store| store_scanned(store, &prepared.fresh, scanned, ruleset, plan))?;
        prepared.hand_out(results, self.stats, out);
        Ok(())
    }
}
