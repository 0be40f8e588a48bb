//! The async IPC client components use: one connection, many streams, automatic reconnect
//! (open subscriptions are reopened on the new connection).

mod connection;
mod streams;
mod subscription;

pub use connection::{ConnectOptions, connect_message};
pub use subscription::Subscription;

use crate::error::IpcError;
use crate::model::*;
use crate::operation::{self as op, Operation, StreamingOperation};
use crate::rpc::{RpcMessage, operation_id};
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use streams::{OpenRequest, Outgoing, Slot, StreamTable};
use tokio::sync::{mpsc, oneshot};

/// Events buffered per subscription before new ones are dropped (and counted).
const SUBSCRIPTION_BUFFER: usize = 4096;

/// A connected Greengrass IPC client. Cheap to clone; all clones share one connection.
#[derive(Debug, Clone)]
pub struct IpcClient {
    outgoing: mpsc::Sender<Outgoing>,
    table: Arc<StreamTable>,
    call_timeout: Duration,
    reconnects: tokio::sync::watch::Receiver<u64>,
}

impl IpcClient {
    /// Connects with the variables the nucleus sets for every component.
    pub async fn connect_from_env() -> Result<Self, IpcError> {
        Self::connect(ConnectOptions::from_env()?).await
    }

    /// Connects and completes the handshake; fails fast if the first attempt fails.
    pub async fn connect(opts: ConnectOptions) -> Result<Self, IpcError> {
        let first = connection::handshake(&opts).await?;
        let table = Arc::new(StreamTable::default());
        let (tx, rx) = mpsc::channel(1024);
        let call_timeout = opts.call_timeout;
        let (reconnects_tx, reconnects) = tokio::sync::watch::channel(0);
        tokio::spawn(connection::drive(
            opts,
            table.clone(),
            rx,
            first,
            reconnects_tx,
        ));
        Ok(Self {
            outgoing: tx,
            table,
            call_timeout,
            reconnects,
        })
    }

    /// Counts reconnections. Subscriptions are reopened by themselves, but events sent while the
    /// socket was down are gone: watch this to re-read state (the kit re-reads configuration).
    pub fn reconnects(&self) -> tokio::sync::watch::Receiver<u64> {
        self.reconnects.clone()
    }

    /// Events dropped so far because a subscription's consumer fell behind.
    pub fn dropped_events(&self) -> u64 {
        self.table.dropped_events.load(Ordering::Relaxed)
    }

    fn open_request<O: Operation>(request: &O::Request) -> Result<OpenRequest, IpcError> {
        let payload = serde_json::to_vec(request).map_err(|e| IpcError::Decode {
            shape: op::request_shape(O::NAME),
            reason: e.to_string(),
        })?;
        Ok(OpenRequest {
            operation: operation_id(O::NAME),
            model_type: op::request_shape(O::NAME),
            payload: Bytes::from(payload),
        })
    }

    async fn await_reply(
        &self,
        rx: oneshot::Receiver<Result<RpcMessage, IpcError>>,
    ) -> Result<RpcMessage, IpcError> {
        match tokio::time::timeout(self.call_timeout, rx).await {
            Err(_) => Err(IpcError::Timeout(self.call_timeout)),
            Ok(Err(_)) => Err(IpcError::ConnectionLost("client shut down".into())),
            Ok(Ok(result)) => result,
        }
    }

    async fn send(&self, cmd: Outgoing) -> Result<(), IpcError> {
        self.outgoing
            .send(cmd)
            .await
            .map_err(|_| IpcError::ConnectionLost("client shut down".into()))
    }

    /// Calls a unary operation.
    pub async fn call<O: Operation>(&self, request: &O::Request) -> Result<O::Response, IpcError> {
        let request = Self::open_request::<O>(request)?;
        let (tx, rx) = oneshot::channel();
        self.send(Outgoing::Open {
            request,
            slot: Slot::Unary(tx),
        })
        .await?;
        let reply = self.await_reply(rx).await?;
        decode(&op::response_shape(O::NAME), &reply.payload)
    }

    /// Opens a subscription; events arrive on the returned handle until it is dropped.
    pub async fn subscribe<O: StreamingOperation>(
        &self,
        request: &O::Request,
    ) -> Result<Subscription<O::Event>, IpcError> {
        let request = Self::open_request::<O>(request)?;
        let (events_tx, events_rx) = mpsc::channel(SUBSCRIPTION_BUFFER);
        let key = self.table.new_subscription(request.clone(), events_tx);
        let (tx, rx) = oneshot::channel();
        let opened = self
            .send(Outgoing::Open {
                request,
                slot: Slot::Stream {
                    key,
                    first: Some(tx),
                    awaiting_response: true,
                },
            })
            .await;
        if let Err(e) = opened {
            self.table.forget_subscription(key);
            return Err(e);
        }
        match self.await_reply(rx).await {
            Ok(_) => Ok(Subscription::new(
                key,
                events_rx,
                self.outgoing.clone(),
                O::EVENT_SHAPE,
            )),
            Err(e) => {
                self.table.forget_subscription(key);
                Err(e)
            }
        }
    }

    /// Publishes on local pub/sub.
    pub async fn publish_to_topic(
        &self,
        topic: &str,
        message: PublishMessage,
    ) -> Result<(), IpcError> {
        let request = PublishToTopicRequest {
            topic: topic.to_owned(),
            publish_message: message,
        };
        self.call::<op::PublishToTopic>(&request).await.map(drop)
    }

    /// Publishes a JSON document on local pub/sub.
    pub async fn publish_json(
        &self,
        topic: &str,
        message: serde_json::Value,
    ) -> Result<(), IpcError> {
        self.publish_to_topic(topic, PublishMessage::json(message))
            .await
    }

    /// Subscribes to a local topic filter.
    pub async fn subscribe_to_topic(
        &self,
        topic: &str,
        receive_mode: Option<ReceiveMode>,
    ) -> Result<Subscription<SubscriptionResponseMessage>, IpcError> {
        let request = SubscribeToTopicRequest {
            topic: topic.to_owned(),
            receive_mode,
        };
        self.subscribe::<op::SubscribeToTopic>(&request).await
    }

    /// Publishes to AWS IoT Core through the nucleus's MQTT connection.
    pub async fn publish_to_iot_core(
        &self,
        topic: &str,
        qos: Qos,
        payload: Vec<u8>,
    ) -> Result<(), IpcError> {
        let request = PublishToIoTCoreRequest {
            topic_name: topic.to_owned(),
            qos,
            payload: Some(payload),
            ..Default::default()
        };
        self.call::<op::PublishToIoTCore>(&request).await.map(drop)
    }

    /// Subscribes to an IoT Core topic filter.
    pub async fn subscribe_to_iot_core(
        &self,
        topic: &str,
        qos: Qos,
    ) -> Result<Subscription<IoTCoreMessage>, IpcError> {
        let request = SubscribeToIoTCoreRequest {
            topic_name: topic.to_owned(),
            qos,
        };
        self.subscribe::<op::SubscribeToIoTCore>(&request).await
    }

    /// Reads configuration; `component` defaults to the caller.
    pub async fn get_configuration(
        &self,
        component: Option<&str>,
        key_path: &[&str],
    ) -> Result<GetConfigurationResponse, IpcError> {
        let request = GetConfigurationRequest {
            component_name: component.map(str::to_owned),
            key_path: key_path.iter().map(|s| (*s).to_owned()).collect(),
        };
        self.call::<op::GetConfiguration>(&request).await
    }

    /// Merges `value` into the caller's configuration at `key_path`.
    pub async fn update_configuration(
        &self,
        key_path: &[&str],
        value: serde_json::Value,
    ) -> Result<(), IpcError> {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        let request = UpdateConfigurationRequest {
            key_path: key_path.iter().map(|s| (*s).to_owned()).collect(),
            timestamp,
            value_to_merge: value,
        };
        self.call::<op::UpdateConfiguration>(&request)
            .await
            .map(drop)
    }

    /// Watches a configuration subtree.
    pub async fn subscribe_to_configuration_update(
        &self,
        component: Option<&str>,
        key_path: &[&str],
    ) -> Result<Subscription<ConfigurationUpdateEvents>, IpcError> {
        let request = SubscribeToConfigurationUpdateRequest {
            component_name: component.map(str::to_owned),
            key_path: key_path.iter().map(|s| (*s).to_owned()).collect(),
        };
        self.subscribe::<op::SubscribeToConfigurationUpdate>(&request)
            .await
    }

    /// Asks to check configurations before a deployment applies them.
    pub async fn subscribe_to_validate_configuration_updates(
        &self,
    ) -> Result<Subscription<ValidateConfigurationUpdateEvents>, IpcError> {
        self.subscribe::<op::SubscribeToValidateConfigurationUpdates>(&Empty {})
            .await
    }

    /// Answers a validation event: `Ok` accepts, `Err(reason)` rejects (the deployment fails).
    pub async fn send_configuration_validity_report(
        &self,
        deployment_id: &str,
        verdict: Result<(), String>,
    ) -> Result<(), IpcError> {
        let (status, message) = match verdict {
            Ok(()) => (ConfigurationValidityStatus::Accepted, None),
            Err(reason) => (ConfigurationValidityStatus::Rejected, Some(reason)),
        };
        let request = SendConfigurationValidityReportRequest {
            configuration_validity_report: ConfigurationValidityReport {
                status,
                deployment_id: deployment_id.to_owned(),
                message,
            },
        };
        self.call::<op::SendConfigurationValidityReport>(&request)
            .await
            .map(drop)
    }

    /// Reports the component's state to the nucleus.
    pub async fn update_state(&self, state: ReportedState) -> Result<(), IpcError> {
        self.call::<op::UpdateState>(&UpdateStateRequest { state })
            .await
            .map(drop)
    }

    /// Reads a secret through the secret manager component.
    pub async fn get_secret_value(
        &self,
        secret_id: &str,
    ) -> Result<GetSecretValueResponse, IpcError> {
        let request = GetSecretValueRequest {
            secret_id: secret_id.to_owned(),
            ..Default::default()
        };
        self.call::<op::GetSecretValue>(&request).await
    }

    /// Receives pre- and post-update notices for deployments.
    pub async fn subscribe_to_component_updates(
        &self,
    ) -> Result<Subscription<ComponentUpdatePolicyEvents>, IpcError> {
        self.subscribe::<op::SubscribeToComponentUpdates>(&Empty {})
            .await
    }

    /// Asks the nucleus to wait `recheck_after` before updating (zero: go ahead).
    pub async fn defer_component_update(
        &self,
        deployment_id: &str,
        message: Option<&str>,
        recheck_after: Duration,
    ) -> Result<(), IpcError> {
        let request = DeferComponentUpdateRequest {
            deployment_id: deployment_id.to_owned(),
            message: message.map(str::to_owned),
            recheck_after_ms: Some(recheck_after.as_millis() as i64),
        };
        self.call::<op::DeferComponentUpdate>(&request)
            .await
            .map(drop)
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    shape: &str,
    payload: &[u8],
) -> Result<T, IpcError> {
    let payload = if payload.is_empty() { b"{}" } else { payload };
    serde_json::from_slice(payload).map_err(|e| IpcError::Decode {
        shape: shape.to_owned(),
        reason: e.to_string(),
    })
}
