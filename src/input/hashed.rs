//! Maps keyed by hashes already made (of conversation and interaction ids): the key
//! is used as its own hash instead of being hashed again.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map under keys that are hashes already.
pub type HashedMap<K, V> = HashMap<K, V, BuildHasherDefault<Rehash>>;

/// Takes a hash key's last 64 bits as its hash (bytes written any other way are
/// mixed in, so any key works, only slower).
#[derive(Default)]
pub struct Rehash(u64);

impl Hasher for Rehash {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_key_keeps_its_bits_and_other_keys_still_work() {
        let mut m: HashedMap<u64, u32> = HashedMap::default();
        for k in [0u64, 1, u64::MAX, 1 << 40] {
            m.insert(k, 7);
        }
        assert_eq!(m.len(), 4);
        assert_eq!(m.get(&(1 << 40)), Some(&7));
        let mut s: HashedMap<(u64, u64), u32> = HashedMap::default();
        s.insert((1, 2), 1);
        s.insert((2, 1), 2);
        assert_eq!((s[&(1, 2)], s[&(2, 1)]), (1, 2));
        let mut h = Rehash::default();
        h.write_u64(42);
        assert_eq!(h.finish(), 42);
    }
}
