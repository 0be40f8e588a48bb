//! Sparkplug B topic names.

/// The message types we act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// Edge node birth: declares node metrics and aliases; starts a new session.
    NodeBirth,
    /// Edge node death.
    NodeDeath,
    /// Device birth.
    DeviceBirth,
    /// Device death.
    DeviceDeath,
    /// Node metrics.
    NodeData,
    /// Device metrics.
    DeviceData,
}

/// `spBv1.0/{group}/{type}/{edge}[/{device}]`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkplugTopic {
    /// Group id.
    pub group: String,
    /// Message type.
    pub kind: MessageType,
    /// Edge node id.
    pub edge_node: String,
    /// Device id (device messages only).
    pub device: Option<String>,
}

impl SparkplugTopic {
    /// Parses `topic`; `Ok(None)` for Sparkplug messages we ignore (STATE, commands).
    pub fn parse(topic: &str) -> Result<Option<Self>, String> {
        let levels: Vec<&str> = topic.split('/').collect();
        if levels.first() != Some(&"spBv1.0") {
            return Err(format!(
                "{topic:?} is not a Sparkplug B topic (spBv1.0/...)"
            ));
        }
        if levels.get(1) == Some(&"STATE") {
            return Ok(None);
        }
        let (Some(group), Some(kind), Some(edge)) = (levels.get(1), levels.get(2), levels.get(3))
        else {
            return Err(format!("{topic:?} has too few levels for Sparkplug B"));
        };
        let kind = match *kind {
            "NBIRTH" => MessageType::NodeBirth,
            "NDEATH" => MessageType::NodeDeath,
            "DBIRTH" => MessageType::DeviceBirth,
            "DDEATH" => MessageType::DeviceDeath,
            "NDATA" => MessageType::NodeData,
            "DDATA" => MessageType::DeviceData,
            "NCMD" | "DCMD" => return Ok(None),
            other => return Err(format!("unknown Sparkplug message type {other:?}")),
        };
        let device = levels.get(4).map(|d| (*d).to_owned());
        let is_device = matches!(
            kind,
            MessageType::DeviceBirth | MessageType::DeviceDeath | MessageType::DeviceData
        );
        if is_device != device.is_some() || levels.len() > 5 {
            return Err(format!("{topic:?} does not fit its message type"));
        }
        Ok(Some(Self {
            group: (*group).to_owned(),
            kind,
            edge_node: (*edge).to_owned(),
            device,
        }))
    }
}
