//! Turns the configured selections into node ids on the connected server: node ids as given,
//! browse paths through TranslateBrowsePathsToNodeIds, browse rules by walking the folder.
//! Runs on every (re)connect, so a server whose address space changed is read again correctly.

use crate::node::{BrowsePath, BrowseRule, NodeSpec, Sampling, Selector};
use crate::server::Server;
use opcua::client::Session;
use opcua::types::{
    BrowseDescription, BrowseDirection, BrowsePath as UaBrowsePath, BrowseResultMask, NodeClass,
    NodeId, ObjectId, ReferenceTypeId, RelativePath, RelativePathElement, StatusCode,
};
use std::collections::{HashSet, VecDeque};

/// A node to read.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Point id in readings.
    pub point: String,
    /// The node.
    pub node_id: NodeId,
    /// Engineering unit.
    pub unit: Option<String>,
    /// How it is read.
    pub sampling: Sampling,
}

/// A selection that could not be resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Unresolved {
    /// Point id (or `browse.<rule>` for a rule).
    pub point: String,
    /// What was looked for.
    pub what: String,
    /// Why it failed (a status name first).
    pub reason: String,
}

/// The outcome of resolving a server's selections.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Nodes to read, each point id once.
    pub items: Vec<Item>,
    /// Selections that failed.
    pub unresolved: Vec<Unresolved>,
}

/// Resolves every node and browse rule of `server`. A request that fails as a whole is an
/// error (the session is unusable); a selection that fails alone is in `unresolved`.
pub async fn resolve(session: &Session, server: &Server) -> Result<Resolved, String> {
    let mut out = Resolved::default();
    let mut paths: Vec<(&NodeSpec, &BrowsePath)> = Vec::new();
    for spec in &server.nodes {
        match &spec.selector {
            Selector::NodeId(id) => out.items.push(item(spec, id.clone())),
            Selector::BrowsePath(p) => paths.push((spec, p)),
        }
    }
    for chunk in paths.chunks(server.max_items_per_request) {
        let refs: Vec<&BrowsePath> = chunk.iter().map(|(_, p)| *p).collect();
        let results = translate(session, &refs).await?;
        for ((spec, path), result) in chunk.iter().zip(results) {
            match result {
                Ok(id) => out.items.push(item(spec, id)),
                Err(reason) => out.unresolved.push(Unresolved {
                    point: spec.point.clone(),
                    what: path.to_string(),
                    reason,
                }),
            }
        }
    }
    let mut seen: HashSet<String> = out.items.iter().map(|i| i.point.clone()).collect();
    for rule in &server.browse {
        let folder = match &rule.under {
            Selector::NodeId(id) => Ok(id.clone()),
            Selector::BrowsePath(p) => translate(session, &[p])
                .await?
                .pop()
                .unwrap_or_else(|| Err("no result".to_owned())),
        };
        let folder = match folder {
            Ok(f) => f,
            Err(reason) => {
                out.unresolved.push(Unresolved {
                    point: format!("browse.{}", rule.id),
                    what: rule.under.to_string(),
                    reason,
                });
                continue;
            }
        };
        match walk(session, rule, &folder, server.max_items_per_request).await? {
            // A rule that selects nothing is almost always a typo in a pattern: say so.
            Ok(found) if found.is_empty() => out.unresolved.push(Unresolved {
                point: format!("browse.{}", rule.id),
                what: rule.under.to_string(),
                reason: format!(
                    "no variable within {} level(s) matches include {:?}{}",
                    rule.max_depth,
                    rule.include.as_str(),
                    rule.exclude
                        .as_ref()
                        .map(|e| format!(" and not exclude {:?}", e.as_str()))
                        .unwrap_or_default()
                ),
            }),
            Ok(found) => {
                for it in found {
                    if seen.insert(it.point.clone()) {
                        out.items.push(it);
                    }
                }
            }
            Err(reason) => out.unresolved.push(Unresolved {
                point: format!("browse.{}", rule.id),
                what: rule.under.to_string(),
                reason,
            }),
        }
    }
    Ok(out)
}

fn item(spec: &NodeSpec, node_id: NodeId) -> Item {
    Item {
        point: spec.point.clone(),
        node_id,
        unit: spec.unit.clone(),
        sampling: spec.sampling,
    }
}

/// One node id per path, or the reason it has none.
async fn translate(
    session: &Session,
    paths: &[&BrowsePath],
) -> Result<Vec<Result<NodeId, String>>, String> {
    let requests: Vec<UaBrowsePath> = paths
        .iter()
        .map(|p| UaBrowsePath {
            starting_node: ObjectId::RootFolder.into(),
            relative_path: RelativePath {
                elements: Some(
                    p.names
                        .iter()
                        .map(|name| RelativePathElement {
                            reference_type_id: ReferenceTypeId::HierarchicalReferences.into(),
                            is_inverse: false,
                            include_subtypes: true,
                            target_name: name.clone(),
                        })
                        .collect(),
                ),
            },
        })
        .collect();
    let results = session
        .translate_browse_paths_to_node_ids(&requests)
        .await
        .map_err(|e| format!("TranslateBrowsePathsToNodeIds failed: {e}"))?;
    Ok(paths
        .iter()
        .enumerate()
        .map(|(n, _)| match results.get(n) {
            None => Err("no result from the server".to_owned()),
            Some(r) if !r.status_code.is_good() => Err(r.status_code.to_string()),
            Some(r) => r
                .targets
                .as_ref()
                .and_then(|t| t.first())
                .map(|t| t.target_id.node_id.clone())
                .ok_or_else(|| StatusCode::BadNoMatch.to_string()),
        })
        .collect())
}

/// Walks the folder breadth-first down to `max_depth`, collecting matching variables. Outer
/// error: the session failed; inner error: the folder itself could not be browsed.
async fn walk(
    session: &Session,
    rule: &BrowseRule,
    folder: &NodeId,
    chunk: usize,
) -> Result<Result<Vec<Item>, String>, String> {
    let mut found = Vec::new();
    let mut visited: HashSet<NodeId> = HashSet::from([folder.clone()]);
    // (node, point id prefix, depth of the node)
    let mut level: VecDeque<(NodeId, String, u32)> =
        VecDeque::from([(folder.clone(), String::new(), 0)]);
    let mut first = true;
    while !level.is_empty() {
        let take = level.len().min(chunk);
        let batch: Vec<(NodeId, String, u32)> = level.drain(..take).collect();
        let requests: Vec<BrowseDescription> = batch
            .iter()
            .map(|(node, _, _)| BrowseDescription {
                node_id: node.clone(),
                browse_direction: BrowseDirection::Forward,
                reference_type_id: ReferenceTypeId::HierarchicalReferences.into(),
                include_subtypes: true,
                node_class_mask: NodeClass::Object as u32 | NodeClass::Variable as u32,
                result_mask: BrowseResultMask::All as u32,
            })
            .collect();
        let mut results = session
            .browse(&requests, 0, None)
            .await
            .map_err(|e| format!("Browse failed: {e}"))?;
        // Follow continuation points until every result is complete.
        for result in &mut results {
            let mut cp = result.continuation_point.clone();
            while !cp.is_null() {
                let more = session
                    .browse_next(false, std::slice::from_ref(&cp))
                    .await
                    .map_err(|e| format!("BrowseNext failed: {e}"))?;
                let Some(next) = more.into_iter().next() else {
                    break;
                };
                if let (Some(refs), Some(extra)) = (result.references.as_mut(), next.references) {
                    refs.extend(extra);
                }
                cp = next.continuation_point;
            }
        }
        for ((_, prefix, depth), result) in batch.iter().zip(results) {
            if !result.status_code.is_good() {
                if first {
                    return Ok(Err(result.status_code.to_string()));
                }
                continue;
            }
            for r in result.references.unwrap_or_default() {
                if r.reference_type_id == ReferenceTypeId::HasProperty {
                    continue;
                }
                let node = r.node_id.node_id;
                if !visited.insert(node.clone()) {
                    continue;
                }
                let name = r.browse_name.name.to_string();
                let point = if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}.{name}")
                };
                match r.node_class {
                    NodeClass::Variable => {
                        let excluded = rule.exclude.as_ref().is_some_and(|p| p.matches(&point));
                        if rule.include.matches(&point) && !excluded {
                            found.push(Item {
                                point: format!("{}{point}", rule.point_prefix),
                                node_id: node,
                                unit: None,
                                sampling: rule.sampling,
                            });
                        }
                    }
                    NodeClass::Object if depth + 1 < rule.max_depth => {
                        level.push_back((node, point, depth + 1));
                    }
                    _ => {}
                }
            }
        }
        first = false;
    }
    Ok(Ok(found))
}
