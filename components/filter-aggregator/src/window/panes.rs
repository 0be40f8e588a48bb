//! Panes in start order in a vector (one inline): the plain store the pane ring is tested
//! against.

/// Panes in start order: none, one inline, or several on the heap.
#[derive(Debug, Clone)]
pub(super) enum Panes<P> {
    Many(Vec<P>),
    One(P),
}

impl<P> Default for Panes<P> {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl<P> Panes<P> {
    pub(super) fn as_slice(&self) -> &[P] {
        match self {
            Self::Many(v) => v,
            Self::One(p) => std::slice::from_ref(p),
        }
    }

    pub(super) fn as_mut_slice(&mut self) -> &mut [P] {
        match self {
            Self::Many(v) => v,
            Self::One(p) => std::slice::from_mut(p),
        }
    }

    /// Inserts `pane` at `at` (≤ len).
    pub(super) fn insert(&mut self, at: usize, pane: P) {
        match std::mem::take(self) {
            Self::Many(mut v) if !v.is_empty() => {
                if v.len() == v.capacity() {
                    // Grow one at a time: points hold few panes, and are many.
                    v.reserve_exact(1);
                }
                v.insert(at, pane);
                *self = Self::Many(v);
            }
            Self::Many(_) => *self = Self::One(pane),
            Self::One(first) => {
                let mut v = Vec::with_capacity(2);
                v.push(first);
                v.insert(at, pane);
                *self = Self::Many(v);
            }
        }
    }

    /// Removes the first `n` panes (≤ len), handing each to `dropped` in order.
    pub(super) fn remove_front(&mut self, n: usize, mut dropped: impl FnMut(P)) {
        if n == 0 {
            return;
        }
        match std::mem::take(self) {
            Self::One(p) => dropped(p),
            Self::Many(mut v) => {
                v.drain(..n).for_each(&mut dropped);
                *self = match v.len() {
                    // Back inline, so that the heap vector is freed.
                    1 => v.pop().map_or_else(Self::default, Self::One),
                    0 => Self::default(),
                    _ => Self::Many(v),
                };
            }
        }
    }
}
