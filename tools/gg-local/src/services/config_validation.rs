//! SubscribeToValidateConfigurationUpdates / SendConfigurationValidityReport: before a deployment
//! changes a running component's configuration, the component may check it; a rejection fails
//! the deployment and nothing is applied (configurationValidationPolicy).

use super::component_sinks::ComponentSinks;
use ggipc::model::{
    ConfigurationValidityReport, ConfigurationValidityStatus, ValidateConfigurationUpdateEvent,
    ValidateConfigurationUpdateEvents,
};
use ggipc::server::EventSink;
use ggipc::{ErrorKind, IpcError};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Event shape of SubscribeToValidateConfigurationUpdates.
pub const EVENT_SHAPE: &str = "aws.greengrass#ValidateConfigurationUpdateEvents";

#[derive(Debug, Default)]
struct Inner {
    /// (deployment, component) → the answer, or None while it is awaited.
    requests: HashMap<(String, String), Option<ConfigurationValidityReport>>,
}

/// Validation subscribers and their answers.
#[derive(Debug, Default)]
pub struct ConfigValidation {
    subscribers: ComponentSinks,
    inner: Mutex<Inner>,
    answered: Notify,
}

impl ConfigValidation {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a subscriber.
    pub fn subscribe(&self, component: Arc<str>, sink: EventSink) {
        self.subscribers.add(component, sink);
    }

    /// Records a component's answer; refused when nothing was asked, as on the nucleus.
    pub fn report(
        &self,
        component: &str,
        report: ConfigurationValidityReport,
    ) -> Result<(), IpcError> {
        let key = (report.deployment_id.clone(), component.to_owned());
        let mut inner = self.lock();
        match inner.requests.get_mut(&key) {
            Some(slot @ None) => {
                *slot = Some(report);
                drop(inner);
                self.answered.notify_waiters();
                Ok(())
            }
            _ => Err(IpcError::modelled(
                ErrorKind::InvalidArgumentsError,
                "Validation request either timed out or was never made",
            )),
        }
    }

    /// Sends each proposed configuration to its component's subscribers and waits up to
    /// `timeout`. Silence counts as acceptance; the first rejection is returned as the error.
    pub async fn validate(
        &self,
        deployment_id: &str,
        proposals: &[(String, Value)],
        timeout: Duration,
    ) -> Result<(), String> {
        let mut asked = Vec::new();
        let subscribers = self.subscribers.live();
        {
            let mut inner = self.lock();
            let mut sent = Vec::new();
            for (component, configuration) in proposals {
                let event = ValidateConfigurationUpdateEvents {
                    validate_configuration_update_event: Some(ValidateConfigurationUpdateEvent {
                        configuration: configuration.clone(),
                        deployment_id: deployment_id.to_owned(),
                    }),
                };
                for (_, sink) in subscribers.iter().filter(|(c, _)| **c == **component) {
                    if sink.send(EVENT_SHAPE, &event) && !sent.contains(component) {
                        sent.push(component.clone());
                    }
                }
            }
            for component in sent {
                inner
                    .requests
                    .insert((deployment_id.to_owned(), component.clone()), None);
                asked.push(component);
            }
        }
        let outcome = self.wait(deployment_id, &asked, timeout).await;
        let mut inner = self.lock();
        inner.requests.retain(|(d, _), _| d != deployment_id);
        outcome
    }

    async fn wait(
        &self,
        deployment_id: &str,
        asked: &[String],
        timeout: Duration,
    ) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.answered.notified();
            {
                let inner = self.lock();
                let mut pending = false;
                for component in asked {
                    match inner
                        .requests
                        .get(&(deployment_id.to_owned(), component.clone()))
                    {
                        Some(Some(r)) if r.status == ConfigurationValidityStatus::Rejected => {
                            return Err(format!(
                                "{component} rejected the configuration: {}",
                                r.message.as_deref().unwrap_or("no reason given")
                            ));
                        }
                        Some(Some(_)) => {}
                        _ => pending = true,
                    }
                }
                if !pending {
                    return Ok(());
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                tracing::warn!(
                    deployment = deployment_id,
                    "Configuration validation timed out; going ahead."
                );
                return Ok(());
            }
        }
    }
}
