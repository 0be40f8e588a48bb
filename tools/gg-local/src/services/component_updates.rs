//! SubscribeToComponentUpdates / DeferComponentUpdate: before a deployment replaces a running
//! component, subscribers are told and may ask for more time, as with NOTIFY_COMPONENTS.

use super::component_sinks::ComponentSinks;
use ggipc::model::{
    ComponentUpdatePolicyEvents, PostComponentUpdateEvent, PreComponentUpdateEvent,
};
use ggipc::server::EventSink;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Event shape of SubscribeToComponentUpdates.
pub const EVENT_SHAPE: &str = "aws.greengrass#ComponentUpdatePolicyEvents";

#[derive(Debug, Default)]
struct Inner {
    /// Latest deferral per (deployment, component): how long to wait before asking again.
    deferrals: HashMap<(String, String), Duration>,
}

/// Tracks subscribers and their answers.
#[derive(Debug, Default)]
pub struct ComponentUpdates {
    subscribers: ComponentSinks,
    inner: Mutex<Inner>,
    answered: Notify,
}

impl ComponentUpdates {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a subscriber.
    pub fn subscribe(&self, component: Arc<str>, sink: EventSink) {
        self.subscribers.add(component, sink);
    }

    /// Records a DeferComponentUpdate.
    pub fn defer(&self, component: &str, deployment_id: &str, recheck_after: Duration) {
        self.lock().deferrals.insert(
            (deployment_id.to_owned(), component.to_owned()),
            recheck_after,
        );
        self.answered.notify_waiters();
    }

    /// Notifies subscribers and waits until none defers any more, or `timeout` passes without
    /// an answer (the nucleus then goes ahead). Returns how many times the update was deferred.
    pub async fn negotiate(&self, deployment_id: &str, timeout: Duration) -> u32 {
        let mut deferred = 0;
        loop {
            self.lock().deferrals.retain(|(d, _), _| d != deployment_id);
            let sinks = self.subscribers.live();
            if sinks.is_empty() {
                return deferred;
            }
            let event = ComponentUpdatePolicyEvents {
                pre_update_event: Some(PreComponentUpdateEvent {
                    deployment_id: deployment_id.to_owned(),
                    is_ggc_restarting: false,
                }),
                post_update_event: None,
            };
            for (_, sink) in &sinks {
                sink.send(EVENT_SHAPE, &event);
            }
            let wait = self.wait_for_answers(deployment_id, &sinks, timeout).await;
            match wait {
                Some(longest) if !longest.is_zero() => {
                    deferred += 1;
                    tracing::info!(
                        deployment = deployment_id,
                        recheck_ms = longest.as_millis() as u64,
                        "A component deferred the update."
                    );
                    tokio::time::sleep(longest).await;
                }
                _ => return deferred,
            }
        }
    }

    /// Waits for every subscriber's answer; returns the longest deferral, or None on timeout.
    async fn wait_for_answers(
        &self,
        deployment_id: &str,
        sinks: &[(Arc<str>, EventSink)],
        timeout: Duration,
    ) -> Option<Duration> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.answered.notified();
            {
                let inner = self.lock();
                let answers: Vec<Option<Duration>> = sinks
                    .iter()
                    .filter(|(_, s)| !s.is_closed())
                    .map(|(c, _)| {
                        inner
                            .deferrals
                            .get(&(deployment_id.to_owned(), c.to_string()))
                            .copied()
                    })
                    .collect();
                if answers.iter().all(Option::is_some) {
                    return Some(answers.into_iter().flatten().max().unwrap_or_default());
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Tells subscribers the update is done.
    pub fn post_update(&self, deployment_id: &str) {
        let event = ComponentUpdatePolicyEvents {
            pre_update_event: None,
            post_update_event: Some(PostComponentUpdateEvent {
                deployment_id: deployment_id.to_owned(),
            }),
        };
        for (_, sink) in self.subscribers.live() {
            sink.send(EVENT_SHAPE, &event);
        }
    }
}
