//! npm-style version ranges, as recipes write them in `ComponentDependencies`.
//!
//! Greengrass uses npm range syntax; the `semver` crate uses Cargo's. The two differ in ways that
//! matter: npm separates the comparators of one range with spaces (Cargo wants commas), a bare
//! `1.2.3` is an exact match in npm but a caret range in Cargo, and npm has `||` and hyphen ranges.
//! This module translates each npm alternative into a `semver::VersionReq`.

use std::fmt;

use semver::{Version, VersionReq};

/// A dependency's version range, e.g. `^2.0.0`, `>=2.0.0 <3.0.0`, `>0.0.0`, `1.x || 2.x`.
#[derive(Debug, Clone)]
pub struct VersionRequirement {
    raw: String,
    /// Any one of these must match (npm `||`).
    alternatives: Vec<VersionReq>,
}

/// A range that cannot be translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version requirement `{raw}`: {reason}")]
pub struct VersionRequirementError {
    pub raw: String,
    pub reason: String,
}

impl VersionRequirement {
    pub fn parse(raw: &str) -> Result<Self, VersionRequirementError> {
        let fail = |reason: String| VersionRequirementError {
            raw: raw.to_owned(),
            reason,
        };
        let alternatives = raw
            .split("||")
            .map(|alt| {
                let cargo = to_cargo_syntax(alt).map_err(&fail)?;
                VersionReq::parse(&cargo).map_err(|e| fail(format!("{e} (as `{cargo}`)")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            raw: raw.trim().to_owned(),
            alternatives,
        })
    }

    /// Exactly this version, as a deployment document pins it.
    pub fn exact(version: &Version) -> Self {
        Self {
            raw: version.to_string(),
            alternatives: vec![VersionReq {
                comparators: vec![semver::Comparator {
                    op: semver::Op::Exact,
                    major: version.major,
                    minor: Some(version.minor),
                    patch: Some(version.patch),
                    pre: version.pre.clone(),
                }],
            }],
        }
    }

    /// Any version.
    pub fn any() -> Self {
        Self {
            raw: "*".to_owned(),
            alternatives: vec![VersionReq::STAR],
        }
    }

    pub fn matches(&self, version: &Version) -> bool {
        self.alternatives.iter().any(|req| req.matches(version))
    }

    /// The range as written in the recipe.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl PartialEq for VersionRequirement {
    fn eq(&self, other: &Self) -> bool {
        self.alternatives == other.alternatives
    }
}

impl Eq for VersionRequirement {}

impl fmt::Display for VersionRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

const OPERATORS: [&str; 7] = [">=", "<=", ">", "<", "=", "^", "~"];

/// Translates one npm alternative (no `||`) into Cargo's comma-separated syntax.
fn to_cargo_syntax(alternative: &str) -> Result<String, String> {
    let tokens: Vec<&str> = alternative.split_whitespace().collect();
    if let [low, "-", high] = tokens.as_slice() {
        // npm hyphen range; the semver crate's `<=1.2` already means "below 1.3.0", which is
        // what npm means for a partial upper bound.
        return Ok(format!(">={}, <={}", strip_v(low), strip_v(high)));
    }
    if tokens.contains(&"-") {
        return Err("a hyphen range must be `LOW - HIGH`".to_owned());
    }
    let mut comparators = Vec::new();
    let mut pending_op: Option<&str> = None;
    for token in tokens {
        if OPERATORS.contains(&token) {
            // npm allows `>= 1.2.3`; glue the operator to the version that follows.
            if pending_op.replace(token).is_some() {
                return Err(format!("two operators in a row before `{token}`"));
            }
            continue;
        }
        let token = match pending_op.take() {
            Some(op) => format!("{op}{token}"),
            None => token.to_owned(),
        };
        comparators.push(comparator(&token));
    }
    if let Some(op) = pending_op {
        return Err(format!("operator `{op}` has no version"));
    }
    if comparators.is_empty() {
        return Ok("*".to_owned());
    }
    Ok(comparators.join(", "))
}

fn comparator(token: &str) -> String {
    let split = token
        .find(|c: char| !matches!(c, '<' | '>' | '=' | '^' | '~'))
        .unwrap_or(token.len());
    let (op, version) = token.split_at(split);
    let version = wildcards(strip_v(version));
    if version == "*" {
        return "*".to_owned();
    }
    // A bare npm version is an exact match; a bare Cargo version is a caret range.
    let op = if op.is_empty() && !version.contains('*') {
        "="
    } else {
        op
    };
    format!("{op}{version}")
}

fn strip_v(version: &str) -> &str {
    version
        .strip_prefix('v')
        .or_else(|| version.strip_prefix('V'))
        .unwrap_or(version)
}

/// npm's `x` and `X` wildcards are `*` in Cargo syntax; trailing wildcards are dropped when an
/// operator precedes them (`>=1.x` means `>=1`).
fn wildcards(version: &str) -> String {
    let parts: Vec<&str> = version
        .split('.')
        .map(|p| {
            if matches!(p, "x" | "X" | "*" | "") {
                "*"
            } else {
                p
            }
        })
        .collect();
    if parts.first() == Some(&"*") {
        return "*".to_owned();
    }
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn req(s: &str) -> VersionRequirement {
        VersionRequirement::parse(s).unwrap()
    }

    #[test]
    fn caret_ranges_match_the_same_major() {
        let r = req("^2.0.0");
        assert!(r.matches(&v("2.5.1")));
        assert!(!r.matches(&v("3.0.0")));
        assert!(!r.matches(&v("1.9.9")));
    }

    #[test]
    fn space_separated_comparators_must_all_match() {
        let r = req(">=2.0.0 <3.0.0");
        assert!(r.matches(&v("2.0.0")));
        assert!(r.matches(&v("2.99.0")));
        assert!(!r.matches(&v("3.0.0")));
    }

    #[test]
    fn greater_than_zero_matches_any_release() {
        assert!(req(">0.0.0").matches(&v("0.0.1")));
        assert!(!req(">0.0.0").matches(&v("0.0.0")));
    }

    #[test]
    fn a_bare_version_is_an_exact_match_as_in_npm() {
        let r = req("1.2.3");
        assert!(r.matches(&v("1.2.3")));
        assert!(!r.matches(&v("1.2.4")));
    }

    #[test]
    fn operators_may_be_separated_from_versions_by_spaces() {
        let r = req(">= 1.2.0 < 2");
        assert!(r.matches(&v("1.9.0")));
        assert!(!r.matches(&v("2.0.0")));
    }

    #[test]
    fn alternatives_match_if_any_matches() {
        let r = req("1.x || ^3.1.0");
        assert!(r.matches(&v("1.4.0")));
        assert!(r.matches(&v("3.2.0")));
        assert!(!r.matches(&v("2.0.0")));
    }

    #[test]
    fn hyphen_ranges_are_inclusive() {
        let r = req("1.2.3 - 2.3");
        assert!(r.matches(&v("1.2.3")));
        assert!(r.matches(&v("2.3.9")));
        assert!(!r.matches(&v("2.4.0")));
    }

    #[test]
    fn star_and_empty_match_everything() {
        assert!(req("*").matches(&v("9.9.9")));
        assert!(req("").matches(&v("0.1.0")));
    }

    #[test]
    fn garbage_is_rejected_with_the_raw_text() {
        let err = VersionRequirement::parse(">= banana").unwrap_err();
        assert_eq!(err.raw, ">= banana");
        assert!(VersionRequirement::parse(">=").is_err());
    }

    #[test]
    fn exact_requirements_match_only_that_version() {
        let r = VersionRequirement::exact(&v("1.0.0"));
        assert!(r.matches(&v("1.0.0")));
        assert!(!r.matches(&v("1.0.1")));
    }
}
