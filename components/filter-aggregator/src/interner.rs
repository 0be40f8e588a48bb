//! Texts interned to small ids, bounded: per-point state keeps the id (a few bits) instead of
//! the text, and texts fed without end (a misconfigured point) cannot grow the table past
//! `MAX`. What a caller does with a text past the bound is its own choice.

use std::sync::Arc;

/// At most `MAX` distinct texts, with ids `0..MAX` in the order first seen (`MAX` ≤ 65,536: no text gets an id past `u16`).
#[derive(Debug)]
pub struct Interner<const MAX: usize> {
    texts: Vec<Arc<str>>,
}

impl<const MAX: usize> Default for Interner<MAX> {
    fn default() -> Self {
        Self { texts: Vec::new() }
    }
}

impl<const MAX: usize> Interner<MAX> {
    /// The id of `text`, adding it while fewer than `MAX` are held; `None` for a new text once
    /// the table is full.
    pub fn id(&mut self, text: &str) -> Option<u16> {
        if let Some(id) = self.find(text) {
            return Some(id);
        }
        if self.texts.len() >= MAX {
            return None;
        }
        let id = u16::try_from(self.texts.len()).ok()?;
        self.texts.push(Arc::from(text));
        Some(id)
    }

    /// The id of `text` if it is held.
    pub fn find(&self, text: &str) -> Option<u16> {
        self.texts
            .iter()
            .position(|t| **t == *text)
            .and_then(|i| u16::try_from(i).ok())
    }

    /// The text of `id`, if given.
    pub fn text(&self, id: u16) -> Option<&str> {
        self.texts.get(usize::from(id)).map(|t| &**t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_given_in_order_first_seen() {
        let mut table = Interner::<4>::default();
        assert_eq!(table.id("a"), Some(0));
        assert_eq!(table.id("b"), Some(1));
        assert_eq!(table.id("a"), Some(0));
        assert_eq!((table.find("b"), table.find("c")), (Some(1), None));
        assert_eq!((table.text(1), table.text(2)), (Some("b"), None));
    }

    #[test]
    fn past_the_bound_new_texts_get_no_id_and_held_ones_keep_theirs() {
        let mut table = Interner::<3>::default();
        for (i, text) in ["x", "y", "z"].into_iter().enumerate() {
            assert_eq!(table.id(text), Some(i as u16));
        }
        assert_eq!(table.id("one more"), None);
        assert_eq!(table.find("one more"), None);
        assert_eq!(table.text(3), None);
        assert_eq!((table.id("y"), table.text(2)), (Some(1), Some("z")));
    }
}
