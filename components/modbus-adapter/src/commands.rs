//! The command topic: write requests routed to the device pollers, one response each.
//!
//! Request (on `factory/command/com.smartfactory.ModbusAdapter`):
//! `{"requestId": "r1", "action": "write", "device": "plc1", "point": "setpoint", "value": 22.5}`.
//! Response (on `factory/command-response/com.smartfactory.ModbusAdapter`):
//! `{"requestId": "r1", "device": "plc1", "point": "setpoint", "ok": true}` or with
//! `"ok": false, "error": "..."`. Writes are off unless `writesEnabled`; refusals are logged.

use crate::write::{WriteError, WriteRequest};
use edge_model::Value;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// A command as received.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Command {
    #[serde(default)]
    request_id: Option<Json>,
    action: String,
    device: String,
    point: String,
    value: Value,
}

/// Routes commands to the pollers of the configured devices.
#[derive(Debug, Clone)]
pub struct Router {
    enabled: bool,
    routes: HashMap<String, mpsc::Sender<WriteRequest>>,
    reply_timeout: Duration,
}

impl Router {
    /// A router; `routes` maps device ids to their pollers' write queues.
    pub fn new(
        enabled: bool,
        routes: HashMap<String, mpsc::Sender<WriteRequest>>,
        reply_timeout: Duration,
    ) -> Self {
        Self {
            enabled,
            routes,
            reply_timeout,
        }
    }

    /// Handles one command message and returns the response to publish.
    pub async fn handle(&self, body: Json) -> Json {
        let request_id = body.get("requestId").cloned().unwrap_or(Json::Null);
        let command: Command = match serde_json::from_value(body) {
            Ok(c) => c,
            Err(e) => return refuse(request_id, None, format!("bad command: {e}")),
        };
        let target = Some((command.device.as_str(), command.point.as_str()));
        let request_id = command.request_id.clone().unwrap_or(Json::Null);
        if command.action != "write" {
            return refuse(
                request_id,
                target,
                format!("unknown action {:?}", command.action),
            );
        }
        if !self.enabled {
            return refuse(
                request_id,
                target,
                "writes are disabled (writesEnabled is false)".to_owned(),
            );
        }
        let Some(queue) = self.routes.get(&command.device) else {
            return refuse(
                request_id,
                target,
                format!("unknown device {:?}", command.device),
            );
        };
        let (reply, outcome) = oneshot::channel();
        let request = WriteRequest {
            point: command.point.clone(),
            value: command.value,
            reply,
        };
        if queue.send(request).await.is_err() {
            return response(request_id, target, Err("device task stopped".to_owned()));
        }
        let result = match tokio::time::timeout(self.reply_timeout, outcome).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(WriteError::Refused(why)))) => {
                return refuse(request_id, target, why);
            }
            Ok(Ok(Err(e))) => Err(e.to_string()),
            Ok(Err(_)) => Err("device task stopped".to_owned()),
            Err(_) => Err("no outcome in time (device offline?)".to_owned()),
        };
        if let Err(e) = &result {
            tracing::warn!(device = command.device, point = command.point, error = %e, "Write failed.");
        } else {
            tracing::info!(
                device = command.device,
                point = command.point,
                "Point written."
            );
        }
        response(request_id, target, result)
    }
}

fn refuse(request_id: Json, target: Option<(&str, &str)>, why: String) -> Json {
    let (device, point) = target.unwrap_or_default();
    tracing::warn!(device, point, reason = %why, "Write refused.");
    response(request_id, target, Err(format!("refused: {why}")))
}

fn response(request_id: Json, target: Option<(&str, &str)>, result: Result<(), String>) -> Json {
    let mut out = json!({"requestId": request_id, "ok": result.is_ok()});
    if let Some((device, point)) = target {
        out["device"] = json!(device);
        out["point"] = json!(point);
    }
    if let Err(e) = result {
        out["error"] = json!(e);
    }
    out
}
