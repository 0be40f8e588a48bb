//! `Manifests[].Platform` and the host platform it is matched against.
//!
//! Matching follows the nucleus (`PlatformHelper` in aws-greengrass-component-common): every key
//! the manifest names must match the host's value for that key; keys the manifest does not name
//! are ignored. A key the host does not report matches only `*`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::fields::{self, FieldError};

/// The platform requirement of one manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    attributes: BTreeMap<String, Vec<Matcher>>,
}

/// One accepted form of a platform value. A value is a list of these; any one may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// `*`: anything, including a key the host does not report.
    Any,
    /// `//`, `/.*/`, and the legacy `all`/`any` on `os` and `architecture`: any reported value.
    Present,
    /// An exact value.
    Exact(String),
    /// A regex we do not implement. It never matches, as the nucleus treats labels it cannot
    /// interpret; a warning is logged when the recipe is read.
    Unsupported(String),
}

impl Matcher {
    fn matches(&self, label: Option<&str>) -> bool {
        match (self, label) {
            (Self::Any, _) => true,
            (Self::Present, Some(_)) => true,
            (Self::Exact(want), Some(have)) => want == have,
            _ => false,
        }
    }
}

impl Platform {
    /// Parses a `Platform` mapping. Returns the platform and the values it cannot interpret.
    pub(crate) fn parse(value: &Value, path: &str) -> Result<(Self, Vec<String>), FieldError> {
        let map = fields::as_object(value, path)?;
        let mut attributes = BTreeMap::new();
        let mut unsupported = Vec::new();
        for (key, value) in map {
            let key_path = fields::join(path, key);
            let raw_values: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                single => vec![single],
            };
            let mut matchers = Vec::new();
            for raw in raw_values {
                let text = fields::as_scalar_text(raw, &key_path)?;
                for matcher in parse_value(key, &text) {
                    if let Matcher::Unsupported(regex) = &matcher {
                        unsupported.push(format!(
                            "{key_path}: regex `{regex}` is not supported by gg-local (only \
                             exact values, `*` and `/a|b/`); this manifest will not match"
                        ));
                    }
                    matchers.push(matcher);
                }
            }
            attributes.insert(key.clone(), matchers);
        }
        Ok((Self { attributes }, unsupported))
    }

    /// Whether this manifest applies to `host`. An empty platform matches every host.
    pub fn matches(&self, host: &HostPlatform) -> bool {
        self.attributes.iter().all(|(key, matchers)| {
            let label = host.get(key);
            matchers.iter().any(|m| m.matches(label))
        })
    }

    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }
}

fn parse_value(key: &str, text: &str) -> Vec<Matcher> {
    if text == "*" {
        return vec![Matcher::Any];
    }
    if text == "//" {
        return vec![Matcher::Present];
    }
    if let Some(regex) = text
        .strip_prefix('/')
        .and_then(|t| t.strip_suffix('/'))
        .filter(|t| !t.is_empty())
    {
        return regex.split('|').map(regex_alternative).collect();
    }
    if matches!(key, "os" | "architecture") && matches!(text, "all" | "any") {
        return vec![Matcher::Present];
    }
    vec![Matcher::Exact(text.to_owned())]
}

/// One branch of `/a|b/`: a plain label, or `.*`/`.+`, or something we do not implement.
fn regex_alternative(branch: &str) -> Matcher {
    if matches!(branch, ".*" | ".+") {
        return Matcher::Present;
    }
    let literal = branch
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if literal && !branch.is_empty() {
        Matcher::Exact(branch.to_owned())
    } else {
        Matcher::Unsupported(branch.to_owned())
    }
}

/// The platform attributes of this machine, as the Java nucleus would report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPlatform {
    attributes: BTreeMap<String, String>,
}

impl HostPlatform {
    /// `os`, `architecture` (with the nucleus's names: `amd64`, not `x86_64`) and
    /// `runtime = aws_nucleus_classic`, because gg-local stands in for the Java nucleus.
    pub fn detect() -> Self {
        Self::new([
            ("os", os_label(std::env::consts::OS)),
            ("architecture", architecture_label(std::env::consts::ARCH)),
            ("runtime", "aws_nucleus_classic"),
        ])
    }

    pub fn new<'a>(attributes: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            attributes: attributes
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// Adds or replaces an attribute (the nucleus's `platformOverride`).
    #[must_use]
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.attributes.insert(key.to_owned(), value.to_owned());
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

impl fmt::Display for HostPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (k, v) in &self.attributes {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

fn os_label(os: &str) -> &str {
    match os {
        "macos" => "darwin",
        other => other,
    }
}

/// Nucleus `PlatformResolver`: `amd64` for x86_64, `aarch64` (never `arm64`), `arm` for any
/// 32-bit ARM.
fn architecture_label(arch: &str) -> &str {
    match arch {
        "x86_64" => "amd64",
        "x86" => "x86",
        "aarch64" => "aarch64",
        "arm" => "arm",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn platform(value: Value) -> Platform {
        Platform::parse(&value, "Platform").unwrap().0
    }

    fn host() -> HostPlatform {
        HostPlatform::new([
            ("os", "linux"),
            ("architecture", "amd64"),
            ("runtime", "aws_nucleus_classic"),
        ])
    }

    #[test]
    fn exact_values_must_equal_the_host() {
        assert!(platform(json!({"os": "linux", "architecture": "amd64"})).matches(&host()));
        assert!(!platform(json!({"os": "linux", "architecture": "aarch64"})).matches(&host()));
    }

    #[test]
    fn an_empty_platform_matches_everything() {
        assert!(platform(json!({})).matches(&host()));
    }

    #[test]
    fn star_matches_even_a_key_the_host_does_not_report() {
        assert!(platform(json!({"os": "*", "architecture.detail": "*"})).matches(&host()));
        assert!(!platform(json!({"architecture.detail": "armv7l"})).matches(&host()));
    }

    #[test]
    fn a_missing_runtime_key_in_the_manifest_matches_the_classic_nucleus() {
        assert!(platform(json!({"os": "linux"})).matches(&host()));
        assert!(!platform(json!({"runtime": "aws_nucleus_lite"})).matches(&host()));
        assert!(platform(json!({"runtime": "*"})).matches(&host()));
    }

    #[test]
    fn simple_alternation_matches_any_branch() {
        assert!(platform(json!({"architecture": "/aarch64|amd64/"})).matches(&host()));
        assert!(!platform(json!({"architecture": "/aarch64|arm/"})).matches(&host()));
    }

    #[test]
    fn lists_are_alternatives() {
        assert!(platform(json!({"os": ["darwin", "linux"]})).matches(&host()));
    }

    #[test]
    fn unsupported_regexes_never_match_and_are_reported() {
        let (p, warnings) = Platform::parse(
            &json!({"architecture": "/arm[0-9]+/"}),
            "Manifests[0].Platform",
        )
        .unwrap();
        assert!(!p.matches(&host()));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("Manifests[0].Platform.architecture"));
    }

    #[test]
    fn host_architecture_uses_the_nucleus_names() {
        assert_eq!(architecture_label("x86_64"), "amd64");
        assert_eq!(architecture_label("aarch64"), "aarch64");
        assert_eq!(architecture_label("arm"), "arm");
        let detected = HostPlatform::detect();
        assert_eq!(detected.get("runtime"), Some("aws_nucleus_classic"));
    }
}
