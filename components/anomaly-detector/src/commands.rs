//! The command topic: alarm acknowledgements.
//!
//! Request on `factory/command/com.smartfactory.AnomalyDetector`:
//! `{"requestId": "r1", "action": "acknowledge", "device": "pump-1", "alarmId": "anomaly.pca-t2q",
//! "user": "op-7"}` (`user` optional, logged). Response on
//! `factory/command-response/com.smartfactory.AnomalyDetector`:
//! `{"requestId": "r1", "device": "pump-1", "alarmId": "…", "ok": true, "state": "acknowledged"}`
//! or `"ok": false, "error": "…"`.

use edge_model::AlarmState;
use serde::Deserialize;
use serde_json::{Value as Json, json};

/// A parsed acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// Echoed in the response.
    pub request_id: Json,
    /// The device.
    pub device: String,
    /// The alarm.
    pub alarm_id: String,
    /// Who acknowledged, if given.
    pub user: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Command {
    #[serde(default)]
    request_id: Option<Json>,
    action: String,
    device: String,
    alarm_id: String,
    #[serde(default)]
    user: Option<String>,
}

/// Parses a command; the error is the response to publish.
pub fn parse(body: Json) -> Result<Ack, Json> {
    let request_id = body.get("requestId").cloned().unwrap_or(Json::Null);
    let c: Command = serde_json::from_value(body)
        .map_err(|e| refused(&request_id, None, None, &format!("bad command: {e}")))?;
    let request_id = c.request_id.unwrap_or(Json::Null);
    if c.action != "acknowledge" {
        return Err(refused(
            &request_id,
            Some(&c.device),
            Some(&c.alarm_id),
            &format!("unknown action {:?} (expected \"acknowledge\")", c.action),
        ));
    }
    Ok(Ack {
        request_id,
        device: c.device,
        alarm_id: c.alarm_id,
        user: c.user,
    })
}

/// The response to `ack`.
pub fn response(ack: &Ack, result: Result<AlarmState, String>) -> Json {
    match result {
        Ok(state) => json!({
            "requestId": ack.request_id,
            "device": ack.device,
            "alarmId": ack.alarm_id,
            "ok": true,
            "state": state,
        }),
        Err(e) => refused(&ack.request_id, Some(&ack.device), Some(&ack.alarm_id), &e),
    }
}

fn refused(request_id: &Json, device: Option<&str>, alarm: Option<&str>, error: &str) -> Json {
    let mut r = json!({"requestId": request_id, "ok": false, "error": error});
    if let Some(d) = device {
        r["device"] = json!(d);
    }
    if let Some(a) = alarm {
        r["alarmId"] = json!(a);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_acknowledgement() {
        let ack = parse(
            json!({"requestId": 7, "action": "acknowledge", "device": "p1",
            "alarmId": "anomaly.m", "user": "op"}),
        )
        .unwrap();
        assert_eq!(ack.request_id, json!(7));
        assert_eq!(ack.user.as_deref(), Some("op"));
        let ok = response(&ack, Ok(AlarmState::Acknowledged));
        assert_eq!(ok["state"], json!("acknowledged"));
        assert_eq!(ok["ok"], json!(true));
    }

    #[test]
    fn refuses_other_actions_and_bad_bodies_with_the_request_id() {
        let r = parse(json!({"requestId": "a", "action": "write", "device": "p1", "alarmId": "x"}))
            .unwrap_err();
        assert_eq!(
            (r["ok"].clone(), r["requestId"].clone()),
            (json!(false), json!("a"))
        );
        assert!(r["error"].as_str().unwrap().contains("unknown action"));
        let r = parse(json!({"requestId": "b", "action": "acknowledge"})).unwrap_err();
        assert!(r["error"].as_str().unwrap().contains("bad command"));
        assert_eq!(r["requestId"], json!("b"));
    }
}
