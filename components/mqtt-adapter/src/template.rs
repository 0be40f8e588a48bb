//! `{2}`-style templates over the levels of an MQTT topic, for device and point ids.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// 0-based topic level.
    Level(usize),
}

/// A parsed template: literal text and `{N}` (1-based topic level) placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    source: String,
}

impl Template {
    /// Parses `text`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("unclosed {{ in {text:?}"))?;
            let inner = &rest[open + 1..open + close];
            let level: usize = inner.parse().ok().filter(|&n| n >= 1).ok_or_else(|| {
                format!("{{{inner}}} in {text:?} is not a topic level (1, 2, ...)")
            })?;
            parts.push(Part::Level(level - 1));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        if parts.is_empty() {
            return Err("must not be empty".to_owned());
        }
        Ok(Self {
            parts,
            source: text.to_owned(),
        })
    }

    /// The template filled from `topic`'s levels; `None` if the topic has too few levels.
    pub fn render(&self, topic: &str) -> Option<String> {
        let levels: Vec<&str> = topic.split('/').collect();
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Level(i) => out.push_str(levels.get(*i)?),
            }
        }
        Some(out)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_text_render() {
        let t = Template::parse("line{2}-{3}").expect("parses");
        assert_eq!(t.render("sensors/a/b"), Some("linea-b".to_owned()));
        assert_eq!(t.render("sensors/a"), None);
        assert_eq!(
            Template::parse("pump").expect("parses").render("x"),
            Some("pump".to_owned())
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        assert!(Template::parse("{0}").is_err());
        assert!(Template::parse("{x}").is_err());
        assert!(Template::parse("{2").is_err());
        assert!(Template::parse("").is_err());
    }
}
