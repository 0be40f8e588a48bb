//! The server's subscription: one subscription per session, one monitored item per node read
//! in `subscribe` mode (sampling interval, queue size and deadband per item), created in
//! chunks. Client handles are item indexes + 1, so the callback finds its item without a lock.

use crate::feed::Feed;
use crate::node::Deadband;
use crate::resolve::{Item, Unresolved};
use crate::server::Server;
use opcua::client::{DataChangeCallback, Session};
use opcua::types::{
    AttributeId, DataChangeFilter, DataChangeTrigger, DeadbandType, ExtensionObject,
    MonitoredItemCreateRequest, MonitoringMode, MonitoringParameters, ReadValueId,
    TimestampsToReturn,
};
use std::sync::Arc;

/// Publishing intervals without data before the server sends a keep-alive.
pub const KEEP_ALIVE_COUNT: u32 = 10;
/// Publishing intervals without a Publish request before the server drops the subscription.
pub const LIFETIME_COUNT: u32 = 3 * KEEP_ALIVE_COUNT;

/// The created subscription.
#[derive(Debug)]
pub struct Subscribed {
    /// Monitored items the server accepted.
    pub created: usize,
    /// Items the server refused, with its status.
    pub refused: Vec<Unresolved>,
}

/// The monitoring request of one item; `handle` is its client handle.
pub fn request(item: &Item, handle: u32) -> MonitoredItemCreateRequest {
    let filter = match item.sampling.deadband {
        Deadband::None => ExtensionObject::null(),
        Deadband::Absolute(v) => deadband(DeadbandType::Absolute, v),
        Deadband::Percent(v) => deadband(DeadbandType::Percent, v),
    };
    MonitoredItemCreateRequest {
        item_to_monitor: ReadValueId {
            node_id: item.node_id.clone(),
            attribute_id: AttributeId::Value as u32,
            ..Default::default()
        },
        monitoring_mode: MonitoringMode::Reporting,
        requested_parameters: MonitoringParameters {
            client_handle: handle,
            sampling_interval: item.sampling.sampling_interval_ms,
            filter,
            queue_size: item.sampling.queue_size,
            discard_oldest: true,
        },
    }
}

fn deadband(kind: DeadbandType, value: f64) -> ExtensionObject {
    ExtensionObject::from_message(DataChangeFilter {
        trigger: DataChangeTrigger::StatusValue,
        deadband_type: kind as u32,
        deadband_value: value,
    })
}

/// Creates the subscription and its monitored items. An error means the session failed.
pub async fn subscribe(
    session: &Session,
    server: &Server,
    items: Arc<Vec<Item>>,
    feed: Feed,
) -> Result<Subscribed, String> {
    let lookup = items.clone();
    let callback = DataChangeCallback::new(move |dv, monitored| {
        let index = monitored.client_handle() as usize;
        if let Some(item) = index.checked_sub(1).and_then(|i| lookup.get(i)) {
            feed.data(item, &dv);
        }
    });
    let subscription = session
        .create_subscription(
            server.publishing_interval,
            LIFETIME_COUNT,
            KEEP_ALIVE_COUNT,
            0,
            0,
            true,
            callback,
        )
        .await
        .map_err(|e| format!("CreateSubscription failed: {e}"))?;
    let mut out = Subscribed {
        created: 0,
        refused: Vec::new(),
    };
    let indexed: Vec<(usize, &Item)> = items.iter().enumerate().collect();
    for chunk in indexed.chunks(server.max_items_per_request) {
        let requests = chunk
            .iter()
            .map(|(i, item)| request(item, *i as u32 + 1))
            .collect();
        let results = session
            .create_monitored_items(subscription, TimestampsToReturn::Both, requests)
            .await
            .map_err(|e| format!("CreateMonitoredItems failed: {e}"))?;
        for ((_, item), created) in chunk.iter().zip(results) {
            let status = created.result.status_code;
            if status.is_good() {
                out.created += 1;
            } else {
                out.refused.push(Unresolved {
                    point: item.point.clone(),
                    what: item.node_id.to_string(),
                    reason: status.to_string(),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Mode, Sampling};
    use opcua::types::NodeId;
    use std::time::Duration;

    fn item(deadband: Deadband) -> Item {
        Item {
            point: "t".to_owned(),
            node_id: NodeId::new(2, "Pump1.Temperature"),
            unit: None,
            sampling: Sampling {
                mode: Mode::Subscribe,
                sampling_interval_ms: 250.0,
                queue_size: 5,
                deadband,
                poll_interval: Duration::from_secs(1),
            },
        }
    }

    #[test]
    fn requests_carry_sampling_queue_and_deadband() {
        let r = request(&item(Deadband::Percent(2.5)), 7);
        let p = &r.requested_parameters;
        assert_eq!(
            (p.client_handle, p.sampling_interval, p.queue_size),
            (7, 250.0, 5)
        );
        let filter = p
            .filter
            .inner_as::<DataChangeFilter>()
            .expect("a data change filter");
        assert_eq!(filter.deadband_type, DeadbandType::Percent as u32);
        assert_eq!(filter.deadband_value, 2.5);
        assert_eq!(filter.trigger, DataChangeTrigger::StatusValue);
        let r = request(&item(Deadband::Absolute(0.5)), 1);
        let filter = r.requested_parameters.filter.inner_as::<DataChangeFilter>();
        assert_eq!(
            filter.map(|f| f.deadband_type),
            Some(DeadbandType::Absolute as u32)
        );
        assert!(
            request(&item(Deadband::None), 1)
                .requested_parameters
                .filter
                .is_null()
        );
    }
}
