//! The status of a component, or of its link to one device.

use serde::{Deserialize, Serialize};

use crate::kind::{StatusTag, VersionTag};
use crate::{ComponentName, DeviceId, MessageKind, SCHEMA_VERSION};

/// The state of a link. Written `"online"`, `"offline"` or `"backoff"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkState {
    /// Connected and working.
    Online,
    /// Not connected, and not trying (stopped, or not configured).
    Offline,
    /// Not connected, waiting before the next attempt to reconnect.
    Backoff,
}

/// A status event, published on the component's status topic when a state changes.
///
/// JSON fields: `schemaVersion`, `kind` (`"status"`), `component`, `device` (absent when the
/// status is the component's own rather than one device link's), `state`, `detail`, `timeMs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentStatus {
    schema_version: VersionTag,
    kind: StatusTag,
    component: ComponentName,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<DeviceId>,
    state: LinkState,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    time_ms: i64,
}

impl ComponentStatus {
    /// `component` entered `state` at `time_ms` (epoch milliseconds).
    pub fn new(component: ComponentName, state: LinkState, time_ms: i64) -> Self {
        Self {
            schema_version: VersionTag,
            kind: StatusTag::Status,
            component,
            device: None,
            state,
            detail: None,
            time_ms,
        }
    }

    /// Makes this the status of the component's link to `device`.
    #[must_use]
    pub fn with_device(mut self, device: DeviceId) -> Self {
        self.device = Some(device);
        self
    }

    /// Sets a detail, such as the last error or the backoff delay.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Always [`SCHEMA_VERSION`].
    pub fn schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    /// Always [`MessageKind::Status`].
    pub fn kind(&self) -> MessageKind {
        MessageKind::Status
    }

    /// The reporting component.
    pub fn component(&self) -> &ComponentName {
        &self.component
    }

    /// The device whose link this is, if it is a link's status.
    pub fn device(&self) -> Option<&DeviceId> {
        self.device.as_ref()
    }

    /// The new state.
    pub fn state(&self) -> LinkState {
        self.state
    }

    /// The detail, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// When the state changed, epoch milliseconds.
    pub fn time_ms(&self) -> i64 {
        self.time_ms
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn writes_a_device_link_status_in_camel_case() {
        let status = ComponentStatus::new(
            ComponentName::new("com.example.ModbusAdapter").unwrap(),
            LinkState::Backoff,
            42,
        )
        .with_device(DeviceId::new("press-1").unwrap())
        .with_detail("connection refused, retry in 2000 ms");
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            json!({
                "schemaVersion": 1,
                "kind": "status",
                "component": "com.example.ModbusAdapter",
                "device": "press-1",
                "state": "backoff",
                "detail": "connection refused, retry in 2000 ms",
                "timeMs": 42,
            })
        );
    }

    #[test]
    fn a_component_status_has_no_device() {
        let status = ComponentStatus::new(
            ComponentName::new("com.example.Uploader").unwrap(),
            LinkState::Online,
            1,
        );
        let json = serde_json::to_value(&status).unwrap();
        assert!(json.get("device").is_none());
        assert_eq!(
            serde_json::from_value::<ComponentStatus>(json).unwrap(),
            status
        );
    }
}
