//! Which interactions a run keeps, decided per interaction id before anything
//! costly happens: its shard (`--shard K/N`), its sample (`--sample RATE`), and
//! one interaction per id across all inputs.

use super::incremental::FILES_PER_CHUNK;
use super::CallOptions;
use crate::aggregate::Week;
use crate::batch::shard::ShardSpec;
use crate::call::{self as calls, CallSpec};
use crate::input::hashed::HashedMap;
use crate::input::{self, read_text_file, InputFile, InputKind, InputProblem, TextRead};
use crate::sample::SampleItem;
use rayon::prelude::*;
use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::path::PathBuf;

/// Interaction ids seen so far and where: an id must name one interaction across
/// all inputs (samples, reviews and exports key interactions by id), so a later
/// one from another file is reported and not scored.
/// Each source is kept once; ids are kept as 128-bit hashes (two ids sharing one
/// would count as one id: a chance of about n²/2¹²⁹ for n ids), pointing to it.
/// Ids of the last input are checked against the ones before but not kept
/// ([`SeenIds::last_input`]): nothing comes after them to check.
#[derive(Default)]
pub(super) struct SeenIds {
    ids: HashedMap<(u64, u64), u32>,
    sources: Vec<String>,
    keys: IdKeys,
    last: bool,
}

/// The two hash functions of an id's 128-bit hash.
struct IdKeys(RandomState, RandomState);

impl Default for IdKeys {
    fn default() -> Self {
        IdKeys(RandomState::new(), RandomState::new())
    }
}

impl SeenIds {
    fn key(&self, id: &str) -> (u64, u64) {
        (self.keys.0.hash_one(id), self.keys.1.hash_one(id))
    }

    /// The ids checked from now on are of the last input: they are not kept.
    pub(super) fn last_input(&mut self) {
        self.last = true;
    }

    /// Whether [`SeenIds::check`] would find `id` in another source than `source`.
    pub(super) fn clashes(&self, id: &str, source: &str) -> bool {
        self.ids
            .get(&self.key(id))
            .is_some_and(|&s| self.sources[s as usize] != source)
    }

    /// A problem when `id` was already seen in another source.
    pub(super) fn check(
        &mut self,
        id: &str,
        source: &str,
        path: &std::path::Path,
    ) -> Option<InputProblem> {
        let key = self.key(id);
        match self.ids.get(&key).map(|&s| &self.sources[s as usize]) {
            Some(first) if first != source => Some(InputProblem {
                source: path.to_path_buf(),
                line: None,
                reason: format!(
                    "interaction id `{id}` is already used by {first}; ids must be unique across inputs, so this one is not scored"
                ),
            }),
            Some(_) => None,
            None if self.last => None,
            None => {
                if self.sources.last().is_none_or(|s| s != source) {
                    self.sources.push(source.to_string());
                }
                let at = u32::try_from(self.sources.len() - 1).unwrap_or(u32::MAX);
                self.ids.insert(key, at);
                None
            }
        }
    }
}

/// Which interactions this run keeps.
pub(super) struct Keep {
    pub(super) shard: ShardSpec,
    pub(super) sampled: Option<HashSet<String>>,
}

impl Keep {
    pub(super) fn owns(&self, id: &str) -> bool {
        self.shard.owns(id) && self.sampled.as_ref().is_none_or(|s| s.contains(id))
    }

    /// Whether every interaction is kept (no shard, no sample).
    pub(super) fn keeps_all(&self) -> bool {
        self.shard == ShardSpec::ALL && self.sampled.is_none()
    }
}

/// The sampling units of the inputs: every interaction of the text files and every
/// call the manifests and recordings name (recordings are not decoded).
pub fn sample_items(
    inputs: &[PathBuf],
    calls: &CallOptions,
) -> (Vec<SampleItem>, Vec<InputProblem>) {
    let (files, mut problems) = input::discover(inputs);
    let (call_files, text_files) = split(files);
    let mut items = Vec::new();
    for chunk in text_files.chunks(FILES_PER_CHUNK) {
        let reads: Vec<TextRead> = chunk.par_iter().map(read_text_file).collect();
        for read in reads {
            items.extend(read.interactions.iter().map(SampleItem::of));
            problems.extend(read.problems);
        }
    }
    let (specs, call_problems) = calls::collect_calls(&call_files, calls);
    items.extend(specs.iter().map(call_item));
    problems.extend(call_problems);
    (items, problems)
}

pub(super) fn call_item(spec: &CallSpec) -> SampleItem {
    let started = spec.started_at.map(|t| t.to_rfc3339());
    SampleItem::new(
        &spec.id,
        &spec.agent_id,
        Week::of(started.as_deref()).to_string(),
    )
}

pub(super) fn split(files: Vec<InputFile>) -> (Vec<InputFile>, Vec<InputFile>) {
    files
        .into_iter()
        .partition(|f| matches!(f.kind, InputKind::Wav | InputKind::Manifest))
}
