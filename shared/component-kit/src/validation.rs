//! Answers the nucleus's configuration checks before a deployment applies a new configuration,
//! with the same `validate` the component runs on: a configuration that would be refused at run
//! time fails the deployment instead (which then rolls back), so a bad value never reaches the
//! running component.

use crate::component::Component;
use crate::config::{ConfigError, from_value, normalized, split};
use crate::settings::KitSettings;
use ggipc::IpcClient;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Checks one proposed configuration (the whole tree, as the event carries it).
pub(crate) fn check<C: Component>(configuration: &Value) -> Result<(), ConfigError> {
    let (kit_value, component_value) = split(configuration);
    KitSettings::from_value(&kit_value)?;
    let parsed = from_value::<C::Config>(&normalized(&component_value))?;
    C::validate(parsed.config).map(drop)
}

/// Subscribes and answers until `stop`; a nucleus without the operation just gets no answers.
pub(crate) async fn answer<C: Component>(ipc: IpcClient, stop: CancellationToken) {
    let mut events = match ipc.subscribe_to_validate_configuration_updates().await {
        Ok(events) => events,
        // Nucleus lite has no such operation: that is expected, not a problem worth a warning.
        Err(e @ ggipc::IpcError::UnsupportedOperation(_)) => {
            tracing::info!(error = %e, "Configuration checks before deployments are not available.");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "Configuration checks before deployments are not available.");
            return;
        }
    };
    loop {
        let event = tokio::select! {
            biased;
            () = stop.cancelled() => return,
            event = events.next() => event,
        };
        let Some(Ok(event)) = event else { return };
        let Some(proposal) = event.validate_configuration_update_event else {
            continue;
        };
        let verdict = check::<C>(&proposal.configuration).map_err(|e| e.to_string());
        match &verdict {
            Ok(()) => {
                tracing::info!(deployment = %proposal.deployment_id, "Accepted a proposed configuration.")
            }
            Err(reason) => {
                tracing::warn!(deployment = %proposal.deployment_id, "Rejected a proposed configuration: {reason}.")
            }
        }
        if let Err(e) = ipc
            .send_configuration_validity_report(&proposal.deployment_id, verdict)
            .await
        {
            tracing::warn!(error = %e, "Could not send the configuration validity report.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ctx;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Clone, Default, Deserialize)]
    #[serde(default, rename_all = "camelCase")]
    struct Cfg {
        #[serde(deserialize_with = "crate::lenient::u64")]
        interval_ms: u64,
    }

    struct Probe;

    impl Component for Probe {
        const NAME: &'static str = "test.Probe";
        type Config = Cfg;
        type Validated = u64;

        fn validate(config: Cfg) -> Result<u64, ConfigError> {
            match config.interval_ms {
                0 => Err(ConfigError::new("intervalMs", "must be above 0")),
                n => Ok(n),
            }
        }

        async fn run(&self, _: u64, _: Ctx, _: CancellationToken) -> anyhow::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_proposal_is_checked_with_the_components_own_validate() {
        assert!(check::<Probe>(&json!({"intervalMs": "5", "accessControl": {}})).is_ok());
        let err = check::<Probe>(&json!({"intervalMs": 0})).unwrap_err();
        assert_eq!(err.path(), "intervalMs");
        let err = check::<Probe>(&json!({"intervalMs": "fast"})).unwrap_err();
        assert_eq!(err.path(), "intervalMs");
    }

    #[test]
    fn a_bad_kit_key_is_rejected_too() {
        assert!(check::<Probe>(&json!({"intervalMs": 5, "metricsIntervalMs": "often"})).is_err());
    }
}
