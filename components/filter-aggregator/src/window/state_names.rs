//! The state names of one window spec, interned: a point's state log keeps a 16-bit id per
//! reading instead of the name. The table is bounded, since unmapped values count under their
//! own text and a point fed arbitrary values (a counter configured by mistake) would grow it
//! without end: past [`MAX_STATES`] names, new ones count under [`OTHER`].

use std::sync::Arc;

/// Distinct state names one window spec keeps, [`OTHER`] included.
pub const MAX_STATES: usize = 256;

/// The name that states beyond [`MAX_STATES`] are counted under.
pub const OTHER: &str = "(other)";

/// State names by id.
#[derive(Debug, Default)]
pub struct StateNames {
    names: Vec<Arc<str>>,
    /// The id of [`OTHER`] once the table is full.
    other: Option<u16>,
}

impl StateNames {
    /// The id of `name`, adding it while there is room, else the id of [`OTHER`].
    pub fn id(&mut self, name: &str) -> u16 {
        if let Some(id) = self.find(name) {
            return id;
        }
        // The last place is kept for OTHER.
        if self.names.len() < MAX_STATES - 1 {
            self.names.push(Arc::from(name));
            return (self.names.len() - 1) as u16;
        }
        if let Some(id) = self.other {
            return id;
        }
        let id = self.find(OTHER).unwrap_or_else(|| {
            self.names.push(Arc::from(OTHER));
            (self.names.len() - 1) as u16
        });
        self.other = Some(id);
        id
    }

    /// The name of `id` (empty for an id it never gave).
    pub fn name(&self, id: u16) -> &str {
        self.names.get(usize::from(id)).map_or("", |n| n)
    }

    fn find(&self, name: &str) -> Option<u16> {
        self.names
            .iter()
            .position(|n| **n == *name)
            .and_then(|i| u16::try_from(i).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_ids_and_states_past_the_bound_count_as_other() {
        let mut names = StateNames::default();
        let running = names.id("running");
        assert_eq!(names.id("idle"), running + 1);
        assert_eq!(names.id("running"), running);
        for i in 0..MAX_STATES * 2 {
            let id = names.id(&format!("s{i}"));
            assert!(usize::from(id) < MAX_STATES);
        }
        let other = names.id("one more");
        assert_eq!(names.name(other), OTHER);
        assert_eq!(names.id("s0"), running + 2, "a name given before stays");
        let last = names.id(&format!("s{}", MAX_STATES * 2 - 1));
        assert_eq!(names.name(last), OTHER);
        assert_eq!(names.id(OTHER), other);
    }
}
