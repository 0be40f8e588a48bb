//! Point ids: (device, point name) → a dense `u32`, so that per-point state lives in plain
//! vectors. Names are kept once, in one text arena, and the table holds only ids: a point
//! costs about 25 bytes here, where a map keyed by boxed names cost over 70. Devices are kept
//! per run of consecutive ids (adapters publish a device's points together), not per point.

use crate::arena::Arena;
use crate::point_hash::Fnv;
use std::hash::Hasher;

/// Open-addressing table (linear probing) from (device index, point name) to point id.
#[derive(Debug, Default)]
pub struct PointIndex {
    /// Point id + 1 per bucket; 0 is empty. Length is a power of two, at most 7/8 full
    /// (linear probing stays short at that load for hits; misses only add points).
    buckets: Vec<u32>,
    /// Per point id, where its name starts in `names` (it ends where the next one starts);
    /// one item per point, so arena indices count up like ids.
    starts: Arena<u32>,
    /// (first id, device) of each run of consecutive ids of one device, ids ascending.
    devices: Vec<(u32, u32)>,
    len: usize,
    names: String,
}

impl PointIndex {
    /// The id of the point, if known.
    pub fn get(&self, device: u32, name: &str) -> Option<u32> {
        if self.buckets.is_empty() {
            return None;
        }
        let mask = self.buckets.len() - 1;
        let mut at = hash(device, name) & mask;
        loop {
            let id = *self.buckets.get(at)?;
            if id == 0 {
                return None;
            }
            if self.key_is(id - 1, device, name) {
                return Some(id - 1);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds a point known to be absent; returns its id (ids count up from 0).
    pub fn insert(&mut self, device: u32, name: &str) -> u32 {
        if (self.len + 1) * 8 > self.buckets.len() * 7 {
            self.grow();
        }
        let start = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push_str(name);
        let id = self.starts.push(start);
        if self.devices.last().is_none_or(|(_, d)| *d != device) {
            self.devices.push((id, device));
        }
        self.len += 1;
        self.place(id, hash(device, name));
        id
    }

    /// The device index and name of point `id`.
    pub fn key(&self, id: u32) -> (u32, &str) {
        (self.device(id), self.name(id))
    }

    fn name(&self, id: u32) -> &str {
        let end = self
            .starts
            .get(id.saturating_add(1))
            .map_or(self.names.len(), |next| *next as usize);
        self.starts.get(id).map_or("", |start| {
            self.names.get(*start as usize..end).unwrap_or("")
        })
    }

    fn device(&self, id: u32) -> u32 {
        let run = self.devices.partition_point(|(first, _)| *first <= id);
        run.checked_sub(1)
            .and_then(|i| self.devices.get(i))
            .map_or(0, |(_, device)| *device)
    }

    /// How many points.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no point is known.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn key_is(&self, id: u32, device: u32, name: &str) -> bool {
        self.name(id) == name && self.device(id) == device
    }

    fn place(&mut self, id: u32, hash: usize) {
        let mask = self.buckets.len() - 1;
        let mut at = hash & mask;
        while self.buckets[at] != 0 {
            at = (at + 1) & mask;
        }
        self.buckets[at] = id + 1;
    }

    fn grow(&mut self) {
        let size = (self.buckets.len() * 2).max(16);
        self.buckets = vec![0; size];
        for id in 0..self.len {
            let (device, name) = self.key(id as u32);
            let h = hash(device, name);
            self.place(id as u32, h);
        }
    }
}

fn hash(device: u32, name: &str) -> usize {
    let mut h = Fnv::default();
    h.write(&device.to_le_bytes());
    h.write(name.as_bytes());
    // Mix the high bits down: FNV's low bits alone cluster on similar names.
    let x = h.finish();
    let m = (x ^ (x >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (m ^ (m >> 32)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_point_it_was_given_and_no_other() {
        let mut index = PointIndex::default();
        for d in 0..3 {
            for p in 0..500 {
                assert_eq!(index.get(d, &format!("p{p}")), None);
                let id = index.insert(d, &format!("p{p}"));
                assert_eq!(id as usize, index.len() - 1);
            }
        }
        for d in 0..3 {
            for p in 0..500 {
                let id = index.get(d, &format!("p{p}")).unwrap();
                assert_eq!(index.key(id), (d, format!("p{p}").as_str()));
            }
        }
        assert_eq!(index.get(3, "p1"), None);
        assert_eq!(index.get(0, "p500"), None);
    }

    #[test]
    fn devices_interleaved_point_by_point_keep_their_points() {
        let mut index = PointIndex::default();
        for p in 0..300 {
            for d in [2, 0, 1] {
                index.insert(d, &format!("p{p}"));
            }
        }
        for p in 0..300 {
            for d in 0..3 {
                let id = index.get(d, &format!("p{p}")).unwrap();
                assert_eq!(index.key(id), (d, format!("p{p}").as_str()));
            }
        }
        assert_eq!(index.devices.len(), 900);
    }
}
