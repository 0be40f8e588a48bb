//! Validated node selections: single nodes (by node id or browse path), browse rules, and the
//! sampling settings each one is read with.

use component_kit::Glob;
use opcua::types::{NodeId, QualifiedName};
use std::fmt;
use std::time::Duration;

/// How a node is found on the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    /// A node id as configured.
    NodeId(NodeId),
    /// A browse path from the root folder, resolved on every (re)connect.
    BrowsePath(BrowsePath),
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NodeId(id) => write!(f, "{id}"),
            Self::BrowsePath(p) => write!(f, "{p}"),
        }
    }
}

/// A browse path: browse names from the root folder down, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowsePath {
    /// The text as configured (for messages).
    pub text: String,
    /// One browse name per level.
    pub names: Vec<QualifiedName>,
}

impl fmt::Display for BrowsePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "browse path {}", self.text)
    }
}

impl BrowsePath {
    /// Parses `Objects/2:Pump1/2:Temperature` (a leading `/` is allowed; a segment without
    /// `n:` is in namespace 0).
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim().trim_start_matches('/');
        if trimmed.is_empty() {
            return Err("empty browse path".to_owned());
        }
        let mut names = Vec::new();
        for segment in trimmed.split('/') {
            if segment.is_empty() {
                return Err(format!("empty segment in browse path {text:?}"));
            }
            let (ns, name) = match segment.split_once(':') {
                Some((ns, name)) if !ns.is_empty() && ns.bytes().all(|b| b.is_ascii_digit()) => {
                    let ns: u16 = ns
                        .parse()
                        .map_err(|_| format!("namespace index {ns:?} is too large"))?;
                    (ns, name)
                }
                _ => (0, segment),
            };
            if name.is_empty() {
                return Err(format!("empty browse name in segment {segment:?}"));
            }
            names.push(QualifiedName::new(ns, name));
        }
        Ok(Self {
            text: text.to_owned(),
            names,
        })
    }
}

/// Subscription or polling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A monitored item in the server's subscription.
    Subscribe,
    /// Read on an interval.
    Poll,
}

/// Data-change deadband of a monitored item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Deadband {
    /// Every change.
    None,
    /// Changes larger than this absolute amount.
    Absolute(f64),
    /// Changes larger than this percentage of the item's EURange.
    Percent(f64),
}

/// How one node is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// Subscribe or poll.
    pub mode: Mode,
    /// Sampling interval asked of the server, ms.
    pub sampling_interval_ms: f64,
    /// Server-side queue size.
    pub queue_size: u32,
    /// Deadband.
    pub deadband: Deadband,
    /// Poll interval (poll mode).
    pub poll_interval: Duration,
}

impl Default for Sampling {
    fn default() -> Self {
        Self {
            mode: Mode::Subscribe,
            sampling_interval_ms: 1000.0,
            queue_size: 10,
            deadband: Deadband::None,
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// One configured node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    /// Point id in readings.
    pub point: String,
    /// How it is found.
    pub selector: Selector,
    /// Engineering unit.
    pub unit: Option<String>,
    /// How it is read.
    pub sampling: Sampling,
}

/// Every variable under a folder whose point id matches.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowseRule {
    /// Rule id (for messages).
    pub id: String,
    /// The folder.
    pub under: Selector,
    /// Point ids taken.
    pub include: Glob,
    /// Point ids left out.
    pub exclude: Option<Glob>,
    /// Levels searched below the folder.
    pub max_depth: u32,
    /// Prefix of the point ids.
    pub point_prefix: String,
    /// How the variables found are read.
    pub sampling: Sampling,
}
