//! Polling for servers that cannot subscribe: nodes grouped by poll interval, each group read
//! with chunked Read requests on its own interval.

use crate::feed::Feed;
use crate::resolve::Item;
use futures::future::{BoxFuture, FutureExt, select_all};
use opcua::client::Session;
use opcua::types::{AttributeId, ReadValueId, TimestampsToReturn};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// Polls `items` until a Read fails as a whole; returns the reason. Never returns without
/// items to poll.
pub async fn poll(session: Arc<Session>, items: Vec<Item>, chunk: usize, feed: Feed) -> String {
    let mut groups: BTreeMap<Duration, Vec<Item>> = BTreeMap::new();
    for item in items {
        groups
            .entry(item.sampling.poll_interval)
            .or_default()
            .push(item);
    }
    if groups.is_empty() {
        return std::future::pending().await;
    }
    let loops: Vec<BoxFuture<'static, String>> = groups
        .into_iter()
        .map(|(every, group)| {
            poll_group(session.clone(), every, group, chunk, feed.clone()).boxed()
        })
        .collect();
    select_all(loops).await.0
}

async fn poll_group(
    session: Arc<Session>,
    every: Duration,
    items: Vec<Item>,
    chunk: usize,
    feed: Feed,
) -> String {
    let reads: Vec<ReadValueId> = items
        .iter()
        .map(|item| ReadValueId {
            node_id: item.node_id.clone(),
            attribute_id: AttributeId::Value as u32,
            ..Default::default()
        })
        .collect();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for (nodes, group) in reads.chunks(chunk).zip(items.chunks(chunk)) {
            match session.read(nodes, TimestampsToReturn::Both, 0.0).await {
                Ok(values) => {
                    for (item, dv) in group.iter().zip(values.iter()) {
                        feed.data(item, dv);
                    }
                }
                Err(e) => return format!("Read failed: {e}"),
            }
        }
    }
}
