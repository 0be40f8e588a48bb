//! Which exports a message goes to: the union of the exports of every route whose filter
//! matches its topic. Pure; the ingest side calls it once per message.

use crate::validate::Route;

/// The routing table.
#[derive(Debug, Clone)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// A router over `routes`.
    pub fn new(routes: Vec<Route>) -> Self {
        Self { routes }
    }

    /// Export ids for `topic`, each once, in route order. Empty: unroutable.
    pub fn exports_for(&self, topic: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for route in self.routes.iter().filter(|r| r.filter.matches(topic)) {
            for export in &route.exports {
                if !out.contains(&export.as_str()) {
                    out.push(export);
                }
            }
        }
        out
    }

    /// Whether a delivery through `route` is the one to keep: with overlapping filters the
    /// nucleus delivers a message once per matching subscription, and only the first matching
    /// route (in id order) takes it, so each export queues it once.
    /// A message no route matches (it can only come with a missing topic) is kept by the
    /// first route, to be dead-lettered once.
    pub fn owns(&self, route: &str, topic: &str) -> bool {
        self.routes
            .iter()
            .find(|r| r.filter.matches(topic))
            .or(self.routes.first())
            .is_some_and(|r| r.id == route)
    }

    /// The routes.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use edge_model::TopicFilter;

    fn route(id: &str, filter: &str, exports: &[&str]) -> Route {
        Route {
            id: id.into(),
            filter: TopicFilter::new(filter).unwrap(),
            exports: exports.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    #[test]
    fn overlapping_routes_feed_each_export_once() {
        let r = Router::new(vec![
            route("a", "factory/agg/+", &["iot", "kinesis"]),
            route("b", "factory/#", &["kinesis", "s3"]),
        ]);
        assert_eq!(
            r.exports_for("factory/agg/plc1"),
            vec!["iot", "kinesis", "s3"]
        );
        assert_eq!(r.exports_for("factory/raw/plc1"), vec!["kinesis", "s3"]);
        assert!(r.exports_for("other/x").is_empty());
        assert!(r.owns("a", "factory/agg/plc1"));
        assert!(!r.owns("b", "factory/agg/plc1"));
        assert!(r.owns("b", "factory/raw/plc1"));
    }
}
