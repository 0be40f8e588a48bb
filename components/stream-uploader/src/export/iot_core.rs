//! IoT Core through the nucleus: IPC PublishToIoTCore at QoS 1 (the call returns after the
//! broker's PUBACK). Records that share a topic go out together as `{"records":[...]}`, each
//! message within IoT Core's 128 KB payload limit.

use super::{Exporter, Outcome, envelope};
use crate::store::StoredRecord;
use crate::validate::IOT_CORE_MAX_PAYLOAD;
use ggipc::model::Qos;
use ggipc::{ErrorKind, IpcClient, IpcError};

/// Bytes of `{"records":[` + `]}`.
const WRAPPER_BYTES: usize = 14;

/// The IoT Core exporter.
#[derive(Debug, Clone)]
pub struct IotCoreExporter {
    ipc: IpcClient,
    template: String,
    thing_name: String,
    export: String,
}

impl IotCoreExporter {
    /// An exporter publishing through `ipc`.
    pub fn new(ipc: IpcClient, template: &str, thing_name: &str, export: &str) -> Self {
        Self {
            ipc,
            template: template.to_owned(),
            thing_name: thing_name.to_owned(),
            export: export.to_owned(),
        }
    }
}

/// The IoT Core topic of a record.
pub fn render_topic(template: &str, thing_name: &str, export: &str, local_topic: &str) -> String {
    template
        .replace("{thingName}", thing_name)
        .replace("{export}", export)
        .replace("{device}", envelope::device_of(local_topic))
        .replace("{topic}", local_topic)
}

/// One IoT Core message: topic, payload, and the indexes of the records it carries.
pub type Packed = (String, Vec<u8>, Vec<usize>);

/// Groups envelopes by topic (keeping order) into messages of at most `max_payload` bytes.
/// Returns (topic, payload, indexes of the records in it) and the indexes of records too large
/// to send at all.
pub fn pack(items: Vec<(String, Vec<u8>)>, max_payload: usize) -> (Vec<Packed>, Vec<usize>) {
    let mut messages: Vec<Packed> = Vec::new();
    let mut too_large = Vec::new();
    for (i, (topic, env)) in items.into_iter().enumerate() {
        if env.len() + WRAPPER_BYTES > max_payload {
            too_large.push(i);
            continue;
        }
        let open = messages
            .iter_mut()
            .rev()
            .find(|(t, body, _)| *t == topic && body.len() + 1 + env.len() + 2 <= max_payload);
        match open {
            Some((_, body, idx)) => {
                body.push(b',');
                body.extend_from_slice(&env);
                idx.push(i);
            }
            None => {
                let mut body = b"{\"records\":[".to_vec();
                body.extend_from_slice(&env);
                messages.push((topic, body, vec![i]));
            }
        }
    }
    for (_, body, _) in &mut messages {
        body.extend_from_slice(b"]}");
    }
    (messages, too_large)
}

impl Exporter for IotCoreExporter {
    async fn send(&self, store_id: &str, batch: &[StoredRecord]) -> Vec<Outcome> {
        let items = batch
            .iter()
            .map(|r| {
                let topic = render_topic(&self.template, &self.thing_name, &self.export, &r.topic);
                (topic, envelope::encode(store_id, r))
            })
            .collect();
        let (messages, too_large) = pack(items, IOT_CORE_MAX_PAYLOAD as usize);
        let mut outcomes = vec![Outcome::Delivered; batch.len()];
        for i in too_large {
            outcomes[i] = Outcome::Reject(format!(
                "record of {} bytes exceeds IoT Core's {} byte payload limit",
                batch[i].payload.len(),
                IOT_CORE_MAX_PAYLOAD
            ));
        }
        for (topic, body, idx) in messages {
            if let Err(e) = self
                .ipc
                .publish_to_iot_core(&topic, Qos::AtLeastOnce, body)
                .await
            {
                let reason = format!("PublishToIoTCore on {topic}: {e}");
                let outcome = if refused_for_good(&e) {
                    Outcome::Reject(format!("refused for good: {reason}"))
                } else {
                    Outcome::Retry(reason)
                };
                for i in idx {
                    outcomes[i] = outcome.clone();
                }
            }
        }
        outcomes
    }
}

/// The nucleus refuses the topic (access control) or the message (invalid arguments): sending
/// it again cannot succeed. Anything else (MQTT offline, the IPC connection) is retried.
fn refused_for_good(e: &IpcError) -> bool {
    matches!(
        e,
        IpcError::Modelled {
            kind: ErrorKind::UnauthorizedError | ErrorKind::InvalidArgumentsError,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_takes_thing_topic_and_device() {
        assert_eq!(
            render_topic(
                "dt/{thingName}/{export}/{device}/{topic}",
                "gw1",
                "iot",
                "factory/agg/plc1"
            ),
            "dt/gw1/iot/plc1/factory/agg/plc1"
        );
    }

    #[test]
    fn records_are_packed_per_topic_within_the_limit() {
        let env = |n: usize| vec![b'x'; n];
        let items = vec![
            ("a".to_owned(), env(40)),
            ("b".to_owned(), env(40)),
            ("a".to_owned(), env(40)),
            ("a".to_owned(), env(40)),
            ("a".to_owned(), env(500)),
        ];
        let (messages, too_large) = pack(items, 100);
        assert_eq!(too_large, vec![4]);
        let shape: Vec<(&str, Vec<usize>)> = messages
            .iter()
            .map(|(t, _, i)| (t.as_str(), i.clone()))
            .collect();
        assert_eq!(
            shape,
            vec![("a", vec![0, 2]), ("b", vec![1]), ("a", vec![3])]
        );
        assert!(messages.iter().all(|(_, body, _)| body.len() <= 100));
        assert!(messages[0].1.starts_with(b"{\"records\":[xx"));
        assert!(messages[0].1.ends_with(b"x]}"));
    }
}
