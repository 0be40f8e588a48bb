//! A growable array in fixed chunks: per-point state for 100k points is tens of MB, and a
//! `Vec` growing by doubling copies it and leaves the old copies as holes in the heap, which
//! stay resident. Chunks are allocated once and never move.

/// Elements per chunk (the stride of indices).
pub const CHUNK: usize = 4096;

/// Items addressed by `u32` index, each run of items contiguous.
#[derive(Debug)]
pub struct Arena<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Self { chunks: Vec::new() }
    }
}

impl<T> Arena<T> {
    /// Appends `items` as one contiguous run; returns the index of its first item.
    pub fn push_run(&mut self, items: impl ExactSizeIterator<Item = T>) -> u32 {
        let n = items.len();
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= n && c.capacity() == CHUNK);
        if !fits {
            // A run longer than a chunk gets its own, spanning as many index strides.
            let strides = n.div_ceil(CHUNK).max(1);
            self.chunks.push(Vec::with_capacity(CHUNK.max(n)));
            self.chunks.extend((1..strides).map(|_| Vec::new()));
            if strides > 1 {
                let first = (self.chunks.len() - strides) * CHUNK;
                if let Some(big) = self.chunks.get_mut(first / CHUNK) {
                    big.extend(items);
                }
                return u32::try_from(first).unwrap_or(u32::MAX);
            }
        }
        let chunk_index = self.chunks.len() - 1;
        let Some(chunk) = self.chunks.last_mut() else {
            return u32::MAX;
        };
        let first = chunk_index * CHUNK + chunk.len();
        chunk.extend(items);
        u32::try_from(first).unwrap_or(u32::MAX)
    }

    /// Appends one item; returns its index.
    pub fn push(&mut self, item: T) -> u32 {
        self.push_run(std::iter::once(item))
    }

    /// The run of `n` items starting at `first`.
    pub fn run_mut(&mut self, first: u32, n: usize) -> Option<&mut [T]> {
        let (chunk, at) = (first as usize / CHUNK, first as usize % CHUNK);
        self.chunks.get_mut(chunk)?.get_mut(at..at + n)
    }

    /// The item at `index`.
    pub fn get(&self, index: u32) -> Option<&T> {
        let (chunk, at) = (index as usize / CHUNK, index as usize % CHUNK);
        self.chunks.get(chunk)?.get(at)
    }

    /// The item at `index`, mutably.
    pub fn get_mut(&mut self, index: u32) -> Option<&mut T> {
        self.run_mut(index, 1)?.first_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_stay_contiguous_across_chunk_ends() {
        let mut arena = Arena::default();
        let mut runs = Vec::new();
        for i in 0..5000u32 {
            let n = (i % 3) as usize + 1;
            let first = arena.push_run((0..n).map(|k| i * 10 + k as u32));
            runs.push((first, n, i));
        }
        let big = arena.push_run(0..(CHUNK as u32 + 7));
        for (first, n, i) in runs {
            let run = arena.run_mut(first, n).unwrap();
            assert!(run.iter().enumerate().all(|(k, v)| *v == i * 10 + k as u32));
        }
        assert_eq!(
            arena.run_mut(big, CHUNK + 7).unwrap()[CHUNK + 6],
            CHUNK as u32 + 6
        );
        assert_eq!(arena.get(big), Some(&0));
    }
}
