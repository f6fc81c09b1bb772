//! The rank of an interaction in the sample: a keyed hash of its id. Keyed with a key
//! derived from the seed, so the order is fixed for a seed, unpredictable without it,
//! and unrelated to anything an agent controls (call time, length, file name).
//!
//! Pinned forever: key = blake3 derive_key(context "callqa sample v1", seed as 8
//! little-endian bytes); rank = first 8 bytes of blake3 keyed_hash(key, id UTF-8) as a
//! big-endian u64. Changing it would reshuffle samples QA staff already work from.

const KEY_CONTEXT: &str = "callqa sample v1";

/// The hashing key for a seed.
pub fn seed_key(seed: u64) -> [u8; 32] {
    blake3::derive_key(KEY_CONTEXT, &seed.to_le_bytes())
}

/// The rank of `id` under `key`; lower ranks are selected first.
pub fn rank(key: &[u8; 32], id: &str) -> u64 {
    let digest = blake3::keyed_hash(key, id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_depend_on_seed_and_id() {
        let (a, b) = (seed_key(1), seed_key(2));
        assert_ne!(rank(&a, "c-1"), rank(&b, "c-1"));
        assert_ne!(rank(&a, "c-1"), rank(&a, "c-2"));
        assert_eq!(rank(&a, "c-1"), rank(&seed_key(1), "c-1"));
    }

    #[test]
    fn ranks_are_pinned() {
        // Part of the audit contract: the same seed must rank ids the same in every
        // version, or top-ups would follow a different order than the first run.
        assert_eq!(
            [rank(&seed_key(0), "c-1"), rank(&seed_key(2026), "通话-7")],
            PINNED
        );
    }

    const PINNED: [u64; 2] = [4183988991851194579, 10792378149615651163];
}
