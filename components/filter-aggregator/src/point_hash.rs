//! A fast hasher for the engine's device map and point index. Keys are short names that come
//! from the factory's own devices, so hash flooding is no concern here, and SipHash was a
//! visible share of the per-reading cost.

use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a, 64 bit.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The map type the engine keys by name.
pub type NameMap<V> = std::collections::HashMap<Box<str>, V, BuildHasherDefault<Fnv>>;
