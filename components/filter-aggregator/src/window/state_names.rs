//! The state names of one window spec, interned: a point's state log keeps a 16-bit id per
//! reading instead of the name. The table is bounded, since unmapped values count under their
//! own text and a point fed arbitrary values (a counter configured by mistake) would grow it
//! without end: past [`MAX_STATES`] names, new ones count under [`OTHER`].

use crate::interner::Interner;

/// Distinct state names one window spec keeps, [`OTHER`] included.
pub const MAX_STATES: usize = 256;

/// The name that states beyond [`MAX_STATES`] are counted under.
pub const OTHER: &str = "(other)";

/// The id [`OTHER`] gets when the table fills up without it.
const OTHER_ID: u16 = (MAX_STATES - 1) as u16;

/// State names by id.
#[derive(Debug, Default)]
pub struct StateNames {
    /// The names with an id of their own; the last id is kept for [`OTHER`] as the overflow.
    names: Interner<{ MAX_STATES - 1 }>,
    /// The id of [`OTHER`] once the table is full.
    other: Option<u16>,
}

impl StateNames {
    /// The id of `name`, adding it while there is room, else the id of [`OTHER`].
    pub fn id(&mut self, name: &str) -> u16 {
        if let Some(id) = self.names.id(name) {
            return id;
        }
        *self
            .other
            .get_or_insert_with(|| self.names.find(OTHER).unwrap_or(OTHER_ID))
    }

    /// The name of `id` (empty for an id it never gave).
    pub fn name(&self, id: u16) -> &str {
        match self.names.text(id) {
            Some(name) => name,
            None if self.other == Some(id) => OTHER,
            None => "",
        }
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
