//! Scale-out by sharding: `--shard K/N` makes a run process only the interactions
//! whose id hashes into shard K of N, so N machines (a Kubernetes Indexed Job, a
//! Slurm array) can split an archive without talking to each other, and
//! `callqa merge` puts their outputs back together.
//!
//! Sharding is by **interaction id**, not by input file: a call recording is one
//! interaction, but a chat log holds many conversations, and splitting by file would
//! leave one shard with a month of chats and another with nothing. The price is that
//! every shard reads every chat file (cheap) and keeps only its own conversations;
//! recordings are costly, so their ids must be known (manifest `call_id`, or the id
//! derived from the file name) and filtered *before* they are transcribed.
//!
//! The hash is stable across versions, platforms and runs: blake3 in derive-key mode
//! with the context `"callqa shard v1"` over the id's UTF-8 bytes, the first 8 bytes
//! of the digest read as a little-endian u64, modulo N. Changing it would move
//! interactions between shards of existing deployments, so it never changes.

use std::fmt;

/// The environment variable a Kubernetes Indexed Job sets to the pod's index.
pub const ENV_K8S_INDEX: &str = "JOB_COMPLETION_INDEX";
/// The environment variable a Slurm job array sets to the task's id.
pub const ENV_SLURM_TASK: &str = "SLURM_ARRAY_TASK_ID";
/// The lowest task id of a Slurm array (`--array=1-8` starts at 1).
pub const ENV_SLURM_MIN: &str = "SLURM_ARRAY_TASK_MIN";

const HASH_CONTEXT: &str = "callqa shard v1";

/// Shard `index` of `count` (0-based: shards are `0/N` .. `N-1/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

/// Why a `--shard` value could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("--shard {given:?}: expected K/N (e.g. 3/8) or auto/N, with 0 <= K < N")]
    Syntax { given: String },
    #[error("--shard {given:?}: shard {index} does not exist in {count} shard(s); K runs from 0 to {}", count.saturating_sub(1))]
    OutOfRange {
        given: String,
        index: u64,
        count: u32,
    },
    #[error("--shard {given:?}: the shard count must be at least 1")]
    ZeroCount { given: String },
    #[error("--shard auto/{count}: neither {ENV_K8S_INDEX} (Kubernetes Indexed Job) nor {ENV_SLURM_TASK} (Slurm job array) is set; run inside such a job or give the shard as K/{count}")]
    NoEnv { count: u32 },
    #[error("--shard auto/{count}: {var}={value:?} is not a shard index{hint}")]
    BadEnv {
        count: u32,
        var: &'static str,
        value: String,
        hint: &'static str,
    },
}

impl ShardSpec {
    /// The whole run as one shard (`0/1`): owns everything.
    pub const ALL: ShardSpec = ShardSpec { index: 0, count: 1 };

    /// Parses `K/N` or `auto/N`, reading the process environment for `auto`.
    pub fn parse(s: &str) -> Result<ShardSpec, ShardError> {
        Self::parse_with_env(s, |name| std::env::var(name).ok())
    }

    /// Parses `K/N` or `auto/N`, with `env` looking variables up (for tests).
    ///
    /// `auto` takes K from `JOB_COMPLETION_INDEX`, else from `SLURM_ARRAY_TASK_ID`
    /// minus `SLURM_ARRAY_TASK_MIN` when that is set (so `--array=1-8` maps to 0..8).
    pub fn parse_with_env(
        s: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ShardSpec, ShardError> {
        let syntax = || ShardError::Syntax {
            given: s.to_string(),
        };
        let (k, n) = s.trim().split_once('/').ok_or_else(syntax)?;
        let count: u32 = n.trim().parse().map_err(|_| syntax())?;
        if count == 0 {
            return Err(ShardError::ZeroCount {
                given: s.to_string(),
            });
        }
        let k = k.trim();
        let index: u64 = if k.eq_ignore_ascii_case("auto") {
            auto_index(count, &env)?
        } else {
            k.parse().map_err(|_| syntax())?
        };
        if index >= u64::from(count) {
            return Err(ShardError::OutOfRange {
                given: s.to_string(),
                index,
                count,
            });
        }
        Ok(ShardSpec {
            index: index as u32,
            count,
        })
    }

    /// Whether this shard processes the interaction with this id.
    pub fn owns(&self, interaction_id: &str) -> bool {
        self.count <= 1 || shard_of(interaction_id, self.count) == self.index
    }
}

/// The shard (0..count) an id belongs to; `count` must be at least 1.
pub fn shard_of(interaction_id: &str, count: u32) -> u32 {
    let mut h = blake3::Hasher::new_derive_key(HASH_CONTEXT);
    h.update(interaction_id.as_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    (u64::from_le_bytes(first) % u64::from(count.max(1))) as u32
}

fn auto_index(count: u32, env: &impl Fn(&str) -> Option<String>) -> Result<u64, ShardError> {
    let bad = |var: &'static str, value: &str, hint: &'static str| ShardError::BadEnv {
        count,
        var,
        value: value.to_string(),
        hint,
    };
    if let Some(v) = env(ENV_K8S_INDEX) {
        return v.trim().parse().map_err(|_| bad(ENV_K8S_INDEX, &v, ""));
    }
    let Some(v) = env(ENV_SLURM_TASK) else {
        return Err(ShardError::NoEnv { count });
    };
    let task: u64 = v.trim().parse().map_err(|_| bad(ENV_SLURM_TASK, &v, ""))?;
    match env(ENV_SLURM_MIN) {
        None => Ok(task),
        Some(m) => {
            let min: u64 = m.trim().parse().map_err(|_| bad(ENV_SLURM_MIN, &m, ""))?;
            task.checked_sub(min)
                .ok_or_else(|| bad(ENV_SLURM_TASK, &v, " (it is below SLURM_ARRAY_TASK_MIN)"))
        }
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_pinned() {
        // These values are part of the deployment contract: changing the hash would
        // move interactions between the shards of existing runs.
        let got: Vec<u32> = ["c-0001", "c-0002", "chat-42", ""]
            .iter()
            .map(|id| shard_of(id, 1000))
            .collect();
        assert_eq!(got, PINNED);
    }

    const PINNED: [u32; 4] = [628, 252, 655, 941];
}
