//! Glob patterns on device ids, point names and node names, shared by every component that
//! selects by pattern: `*` matches any run of characters, `?` exactly one, the rest itself.

/// A compiled glob pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: Box<str>,
    chars: Box<[char]>,
    /// `*` alone: the hot path skips matching.
    any: bool,
}

impl Glob {
    /// Compiles `pattern`.
    pub fn new(pattern: &str) -> Self {
        Self {
            text: pattern.into(),
            chars: pattern.chars().collect(),
            any: pattern == "*",
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        if self.any {
            return true;
        }
        let text: Vec<char> = text.chars().collect();
        // One backtrack point (the last `*` seen): linear for patterns without `*`, O(n·m) at
        // worst, no recursion.
        let (mut p, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match self.chars.get(p) {
                Some('*') => {
                    star = Some((p, t));
                    p += 1;
                }
                Some(&c) if c == '?' || c == text[t] => {
                    p += 1;
                    t += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        p = sp + 1;
                        t = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        self.chars[p..].iter().all(|&c| c == '*')
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn stars_and_question_marks_match_whole_texts() {
        let cases = [
            ("*", "anything", true),
            ("*", "", true),
            ("", "", true),
            ("**", "", true),
            ("press-*", "press-1", true),
            ("press-*", "lathe-1", false),
            ("*Temp", "oilTemp", true),
            ("*Temp", "oilTemperature", false),
            ("?il*", "oilTemp", true),
            ("*.Temp?", "Line1.Tank.Temp1", true),
            ("*.Temp?", "Line1.Tank.Temp12", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("Température*", "Température-1", true),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(Glob::new(pattern).matches(text), want, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn the_pattern_reads_back_as_written() {
        assert_eq!(Glob::new("Tag_00*").as_str(), "Tag_00*");
    }
}
