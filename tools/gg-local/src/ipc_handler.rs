//! Dispatches each IPC operation to its service after the nucleus's authorization check.

use crate::services::authz::{MQTT_PROXY, PUBSUB, SECRET_MANAGER};
use crate::services::component_updates::ComponentUpdates;
use crate::services::config_store::ConfigStore;
use crate::services::config_validation::ConfigValidation;
use crate::services::iot_core::IotCore;
use crate::services::pubsub::{PubSub, PubSubError, RawPublish};
use crate::services::registry::Registry;
use crate::services::secrets::Secrets;
use ggipc::model::*;
use ggipc::server::{Call, Handler, HandlerFuture, Reply};
use ggipc::{ErrorKind, IpcError};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The component name the `gg-local` CLI authenticates as.
pub const CLI_PRINCIPAL: &str = "gg-local.cli";

/// Runtime-level operations the CLI may call (deployments, component list).
pub trait ControlPlane: Send + Sync + 'static {
    /// ListComponents: name, version, state, configuration of each component.
    fn list_components(&self) -> Value;
    /// CreateLocalDeployment with a deployment document; resolves when it is applied.
    fn deploy(&self, document: Value) -> futures_lite::BoxedResult;
}

/// Boxed future types used by [`ControlPlane`].
pub mod futures_lite {
    /// Result of a deployment request.
    pub type BoxedResult = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<serde_json::Value, String>> + Send>,
    >;
}

/// A component's reported state, forwarded to the supervisor.
#[derive(Debug, Clone)]
pub struct StateReport {
    /// The component.
    pub component: String,
    /// What it said.
    pub state: ReportedState,
}

/// All services behind the IPC socket.
pub struct Services {
    /// Tokens and policies.
    pub registry: Arc<Registry>,
    /// Local pub/sub.
    pub pubsub: PubSub,
    /// Configuration trees.
    pub config: ConfigStore,
    /// IoT Core bridge.
    pub iot: IotCore,
    /// Local secrets.
    pub secrets: Secrets,
    /// Update notifications.
    pub updates: ComponentUpdates,
    /// Configuration checks before deployments.
    pub validation: ConfigValidation,
    /// Where UpdateState goes.
    pub state_reports: tokio::sync::mpsc::Sender<StateReport>,
    /// Deployments and listings for the CLI; set once the runtime exists.
    pub control: std::sync::OnceLock<Arc<dyn ControlPlane>>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").finish_non_exhaustive()
    }
}

/// The [`Handler`] the IPC server runs.
#[derive(Debug, Clone)]
pub struct IpcHandler {
    services: Arc<Services>,
}

impl IpcHandler {
    /// Wraps the services.
    pub fn new(services: Arc<Services>) -> Self {
        Self { services }
    }
}

fn parse<T: DeserializeOwned>(call: &Call) -> Result<T, IpcError> {
    serde_json::from_slice(&call.payload).map_err(|e| {
        IpcError::modelled(
            ErrorKind::InvalidArgumentsError,
            format!("invalid {} request: {e}", call.operation),
        )
    })
}

/// Like [`parse`], for request types that borrow from the payload.
fn parse_borrowed<'a, T: serde::Deserialize<'a>>(call: &'a Call) -> Result<T, IpcError> {
    serde_json::from_slice(&call.payload).map_err(|e| {
        IpcError::modelled(
            ErrorKind::InvalidArgumentsError,
            format!("invalid {} request: {e}", call.operation),
        )
    })
}

fn unauthorized(component: &str, service: &str, operation: &str, resource: &str) -> IpcError {
    IpcError::modelled(
        ErrorKind::UnauthorizedError,
        format!(
            "Principal {component} is not authorized to perform {service}:{operation} on resource {resource}"
        ),
    )
}

fn authorize(
    services: &Services,
    component: &str,
    service: &str,
    op: &str,
    resource: &str,
) -> Result<(), IpcError> {
    if component == CLI_PRINCIPAL {
        return Ok(());
    }
    let operation = format!("aws.greengrass#{op}");
    if services
        .registry
        .access_control(component)
        .allows(service, &operation, resource)
    {
        Ok(())
    } else {
        tracing::warn!(
            component,
            service,
            operation,
            resource,
            "Denied an IPC call."
        );
        Err(unauthorized(component, service, &operation, resource))
    }
}

fn service_error(e: impl std::fmt::Display) -> IpcError {
    IpcError::modelled(ErrorKind::ServiceError, e.to_string())
}

impl Handler for IpcHandler {
    fn authenticate(&self, token: &str) -> Option<Arc<str>> {
        self.services.registry.authenticate(token)
    }

    fn handle(&self, call: Call) -> HandlerFuture {
        let services = self.services.clone();
        Box::pin(async move { dispatch(&services, call).await })
    }
}

async fn dispatch(s: &Services, call: Call) -> Result<Reply, IpcError> {
    let me = call.component.clone();
    let op = call.operation.as_str();
    match op {
        "PublishToTopic" => {
            let req: RawPublish<'_> = parse_borrowed(&call)?;
            authorize(s, &me, PUBSUB, op, &req.topic)?;
            let invalid = |e: PubSubError| {
                IpcError::modelled(ErrorKind::InvalidArgumentsError, e.to_string())
            };
            let event = req.event().map_err(invalid)?;
            s.pubsub.publish(&me, &req.topic, event).map_err(invalid)?;
            Ok(Reply::Unary(json!({})))
        }
        "SubscribeToTopic" => {
            let req: SubscribeToTopicRequest = parse(&call)?;
            authorize(s, &me, PUBSUB, op, &req.topic)?;
            s.pubsub
                .subscribe(me, &req.topic, req.receive_mode, call.events)
                .map_err(|e| IpcError::modelled(ErrorKind::InvalidArgumentsError, e.to_string()))?;
            Ok(Reply::Stream(json!({})))
        }
        "PublishToIoTCore" => {
            let req: PublishToIoTCoreRequest = parse(&call)?;
            authorize(s, &me, MQTT_PROXY, op, &req.topic_name)?;
            let payload = req.payload.unwrap_or_default();
            s.iot
                .publish(
                    &req.topic_name,
                    req.qos,
                    &payload,
                    req.retain.unwrap_or(false),
                )
                .await
                .map_err(service_error)?;
            Ok(Reply::Unary(json!({})))
        }
        "SubscribeToIoTCore" => {
            let req: SubscribeToIoTCoreRequest = parse(&call)?;
            authorize(s, &me, MQTT_PROXY, op, &req.topic_name)?;
            s.iot
                .subscribe(&req.topic_name, req.qos, call.events)
                .await
                .map_err(|e| IpcError::modelled(ErrorKind::InvalidArgumentsError, e.to_string()))?;
            Ok(Reply::Stream(json!({})))
        }
        "GetConfiguration" => {
            let req: GetConfigurationRequest = parse(&call)?;
            let component = req.component_name.unwrap_or_else(|| me.to_string());
            let value = s.config.get(&component, &req.key_path)?;
            Ok(Reply::Unary(
                json!({"componentName": component, "value": value}),
            ))
        }
        "UpdateConfiguration" => {
            let req: UpdateConfigurationRequest = parse(&call)?;
            s.config
                .update(&me, &req.key_path, req.timestamp, &req.value_to_merge)?;
            Ok(Reply::Unary(json!({})))
        }
        "SubscribeToConfigurationUpdate" => {
            let req: SubscribeToConfigurationUpdateRequest = parse(&call)?;
            let component = req.component_name.unwrap_or_else(|| me.to_string());
            s.config.watch(&component, req.key_path, call.events)?;
            Ok(Reply::Stream(json!({})))
        }
        "SubscribeToValidateConfigurationUpdates" => {
            s.validation.subscribe(me, call.events);
            Ok(Reply::Stream(json!({})))
        }
        "SendConfigurationValidityReport" => {
            let req: SendConfigurationValidityReportRequest = parse(&call)?;
            s.validation
                .report(&me, req.configuration_validity_report)?;
            Ok(Reply::Unary(json!({})))
        }
        "UpdateState" => {
            let req: UpdateStateRequest = parse(&call)?;
            let report = StateReport {
                component: me.to_string(),
                state: req.state,
            };
            s.state_reports.send(report).await.map_err(service_error)?;
            Ok(Reply::Unary(json!({})))
        }
        "GetSecretValue" => {
            let req: GetSecretValueRequest = parse(&call)?;
            authorize(s, &me, SECRET_MANAGER, op, &req.secret_id)?;
            let secret = s.secrets.get(&req.secret_id).ok_or_else(|| {
                IpcError::modelled(
                    ErrorKind::ResourceNotFoundError,
                    format!("Secret not found: {}", req.secret_id),
                )
            })?;
            Ok(Reply::Unary(
                serde_json::to_value(secret).map_err(service_error)?,
            ))
        }
        "SubscribeToComponentUpdates" => {
            s.updates.subscribe(me, call.events);
            Ok(Reply::Stream(json!({})))
        }
        "DeferComponentUpdate" => {
            let req: DeferComponentUpdateRequest = parse(&call)?;
            let recheck = Duration::from_millis(req.recheck_after_ms.unwrap_or(0).max(0) as u64);
            s.updates.defer(&me, &req.deployment_id, recheck);
            Ok(Reply::Unary(json!({})))
        }
        "ListComponents" | "CreateLocalDeployment" if &*me == CLI_PRINCIPAL => {
            let Some(control) = s.control.get() else {
                return Err(service_error("no deployment control in this runtime"));
            };
            if op == "ListComponents" {
                return Ok(Reply::Unary(control.list_components()));
            }
            let doc: Value = parse(&call)?;
            let document = doc.get("deploymentDocument").cloned().unwrap_or(doc);
            control
                .deploy(document)
                .await
                .map(Reply::Unary)
                .map_err(|e| IpcError::modelled(ErrorKind::InvalidArgumentsError, e))
        }
        "ListComponents" | "CreateLocalDeployment" => Err(unauthorized(
            &me,
            "aws.greengrass.Cli",
            &format!("aws.greengrass#{op}"),
            "*",
        )),
        other => Err(IpcError::UnsupportedOperation(other.to_owned())),
    }
}
