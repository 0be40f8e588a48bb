//! Glob patterns on point ids: `*` matches any run of characters, `?` exactly one.

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    chars: Vec<char>,
}

impl Pattern {
    /// Compiles `text`.
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            chars: text.chars().collect(),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.chars().collect();
        // Greedy match with one backtrack point (the last `*`): linear in practice.
        let (mut p, mut n) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while n < name.len() {
            match self.chars.get(p) {
                Some('*') => {
                    star = Some((p, n));
                    p += 1;
                }
                Some(&c) if c == '?' || c == name[n] => {
                    p += 1;
                    n += 1;
                }
                _ => match star {
                    Some((sp, sn)) => {
                        p = sp + 1;
                        n = sn + 1;
                        star = Some((sp, sn + 1));
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
    use super::Pattern;

    #[test]
    fn stars_and_question_marks_match_whole_names() {
        let cases = [
            ("*", "anything", true),
            ("*", "", true),
            ("Temp*", "Temperature", true),
            ("Temp*", "Pressure", false),
            ("*.Temp?", "Line1.Tank.Temp1", true),
            ("*.Temp?", "Line1.Tank.Temp12", false),
            ("Tag_00*", "Tag_00042", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(
                Pattern::new(pattern).matches(name),
                expected,
                "{pattern} vs {name}"
            );
        }
    }
}
