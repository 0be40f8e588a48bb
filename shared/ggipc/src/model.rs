//! Serde models of the operation shapes we use (field names as on the wire, camelCase).
//! Optional fields are omitted when absent and accepted as `null` when read.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Base64 (standard, padded on output; padding optional on input) for Smithy blobs.
pub mod blob {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use serde::{Deserialize, Deserializer, Serializer};

    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );

    /// Encodes bytes as padded standard base64.
    pub fn encode(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// Decodes standard base64 with or without padding.
    pub fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
        LENIENT.decode(text)
    }

    /// Serde `serialize_with` for a required blob.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(bytes))
    }

    /// Serde `deserialize_with` for a required blob.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(&text).map_err(serde::de::Error::custom)
    }

    /// Optional blobs.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        /// Serde `serialize_with` for an optional blob.
        pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
            match bytes {
                Some(b) => s.serialize_str(&super::encode(b)),
                None => s.serialize_none(),
            }
        }

        /// Serde `deserialize_with` for an optional blob.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|t| super::decode(&t).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

/// `{topic}` set on delivered messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageContext {
    /// The concrete topic the message was published on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

/// A JSON message on local pub/sub.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JsonMessage {
    /// The document (the Java nucleus requires an object).
    #[serde(default)]
    pub message: Value,
    /// Set on delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<MessageContext>,
}

/// A binary message on local pub/sub.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BinaryMessage {
    /// The bytes, base64 on the wire.
    #[serde(with = "blob", default)]
    pub message: Vec<u8>,
    /// Set on delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<MessageContext>,
}

/// Union: exactly one of the two members is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishMessage {
    /// JSON member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_message: Option<JsonMessage>,
    /// Binary member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_message: Option<BinaryMessage>,
}

impl PublishMessage {
    /// A JSON message.
    pub fn json(message: Value) -> Self {
        Self {
            json_message: Some(JsonMessage {
                message,
                context: None,
            }),
            binary_message: None,
        }
    }

    /// A binary message.
    pub fn binary(message: Vec<u8>) -> Self {
        Self {
            json_message: None,
            binary_message: Some(BinaryMessage {
                message,
                context: None,
            }),
        }
    }

    /// The same message with `context.topic` set, as delivered to subscribers.
    pub fn with_topic(&self, topic: &str) -> Self {
        let context = Some(MessageContext {
            topic: Some(topic.to_owned()),
        });
        Self {
            json_message: self.json_message.as_ref().map(|m| JsonMessage {
                message: m.message.clone(),
                context: context.clone(),
            }),
            binary_message: self.binary_message.as_ref().map(|m| BinaryMessage {
                message: m.message.clone(),
                context,
            }),
        }
    }

    /// The topic from the message context, if any.
    pub fn topic(&self) -> Option<&str> {
        let ctx = match (&self.json_message, &self.binary_message) {
            (Some(j), _) => j.context.as_ref(),
            (_, Some(b)) => b.context.as_ref(),
            _ => None,
        };
        ctx.and_then(|c| c.topic.as_deref())
    }
}

/// PublishToTopic request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishToTopicRequest {
    /// Topic, no wildcards.
    pub topic: String,
    /// The message.
    pub publish_message: PublishMessage,
}

/// SubscribeToTopic receive mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReceiveMode {
    /// Also receive the caller's own messages.
    ReceiveAllMessages,
    /// Only messages from other components.
    ReceiveMessagesFromOthers,
}

/// SubscribeToTopic request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeToTopicRequest {
    /// Topic filter; MQTT wildcards allowed.
    pub topic: String,
    /// Default: FROM_OTHERS with a wildcard, otherwise ALL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_mode: Option<ReceiveMode>,
}

/// The SubscribeToTopic event is the same union as PublishMessage.
pub type SubscriptionResponseMessage = PublishMessage;

/// MQTT QoS as the IPC model spells it: the strings "0" and "1".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Qos {
    /// At most once.
    #[serde(rename = "0", alias = "AT_MOST_ONCE")]
    AtMostOnce,
    /// At least once.
    #[default]
    #[serde(rename = "1", alias = "AT_LEAST_ONCE")]
    AtLeastOnce,
}

/// MQTT 5 user property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProperty {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// PublishToIoTCore request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishToIoTCoreRequest {
    /// MQTT topic.
    pub topic_name: String,
    /// QoS.
    pub qos: Qos,
    /// Payload bytes.
    #[serde(
        with = "blob::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub payload: Option<Vec<u8>>,
    /// Retain flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain: Option<bool>,
    /// MQTT 5 user properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_properties: Option<Vec<UserProperty>>,
    /// MQTT 5 expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_expiry_interval_seconds: Option<i64>,
    /// MQTT 5 correlation data.
    #[serde(
        with = "blob::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub correlation_data: Option<Vec<u8>>,
    /// MQTT 5 response topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_topic: Option<String>,
    /// MQTT 5 content type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// SubscribeToIoTCore request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeToIoTCoreRequest {
    /// MQTT filter.
    pub topic_name: String,
    /// QoS.
    pub qos: Qos,
}

/// A message from IoT Core.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MqttMessage {
    /// The concrete topic.
    pub topic_name: String,
    /// Payload bytes.
    #[serde(
        with = "blob::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub payload: Option<Vec<u8>>,
    /// Retain flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain: Option<bool>,
}

/// SubscribeToIoTCore event: `{"message": MQTTMessage}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IoTCoreMessage {
    /// The message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MqttMessage>,
}

/// GetConfiguration request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetConfigurationRequest {
    /// Defaults to the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_name: Option<String>,
    /// Path; empty for the whole configuration.
    #[serde(default)]
    pub key_path: Vec<String>,
}

/// GetConfiguration response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetConfigurationResponse {
    /// The component whose configuration this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_name: Option<String>,
    /// The value; a leaf comes wrapped as `{"<leaf>": value}`.
    #[serde(default)]
    pub value: Value,
}

/// UpdateConfiguration request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateConfigurationRequest {
    /// Where to merge; root when empty.
    #[serde(default)]
    pub key_path: Vec<String>,
    /// Epoch seconds; older than the stored value is refused.
    pub timestamp: f64,
    /// Object merged at `key_path`.
    pub value_to_merge: Value,
}

/// SubscribeToConfigurationUpdate request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeToConfigurationUpdateRequest {
    /// Defaults to the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_name: Option<String>,
    /// Subtree to watch.
    #[serde(default)]
    pub key_path: Vec<String>,
}

/// Which configuration changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationUpdateEvent {
    /// Component.
    pub component_name: String,
    /// The changed path.
    pub key_path: Vec<String>,
}

/// SubscribeToConfigurationUpdate event union.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationUpdateEvents {
    /// The only member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_update_event: Option<ConfigurationUpdateEvent>,
}

/// A configuration a deployment wants to apply, for the component to check first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateConfigurationUpdateEvent {
    /// The whole configuration the component would get.
    #[serde(default)]
    pub configuration: Value,
    /// Deployment to answer for.
    pub deployment_id: String,
}

/// SubscribeToValidateConfigurationUpdates event union.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateConfigurationUpdateEvents {
    /// The only member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_configuration_update_event: Option<ValidateConfigurationUpdateEvent>,
}

/// The component's verdict on a proposed configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConfigurationValidityStatus {
    /// Apply it.
    Accepted,
    /// Fail the deployment.
    Rejected,
}

/// The report itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationValidityReport {
    /// Verdict.
    pub status: ConfigurationValidityStatus,
    /// Deployment from the event.
    pub deployment_id: String,
    /// Why, for a rejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// SendConfigurationValidityReport request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendConfigurationValidityReportRequest {
    /// The report.
    pub configuration_validity_report: ConfigurationValidityReport,
}

/// The states a component may report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportedState {
    /// Started and working.
    Running,
    /// Failed; the nucleus counts it toward BROKEN.
    Errored,
}

/// UpdateState request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateStateRequest {
    /// The state.
    pub state: ReportedState,
}

/// GetSecretValue request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSecretValueRequest {
    /// Secret name or ARN.
    pub secret_id: String,
    /// Version id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Version stage (a string in the request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_stage: Option<String>,
    /// Ask the nucleus to refresh from the cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<bool>,
}

/// Secret value union.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretValue {
    /// Text secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_string: Option<String>,
    /// Binary secret.
    #[serde(
        with = "blob::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub secret_binary: Option<Vec<u8>>,
}

/// GetSecretValue response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSecretValueResponse {
    /// Secret id.
    pub secret_id: String,
    /// Version id.
    #[serde(default)]
    pub version_id: String,
    /// Stages (a list in the response).
    #[serde(default)]
    pub version_stage: Vec<String>,
    /// The value.
    pub secret_value: SecretValue,
}

/// Sent before a deployment updates the component.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreComponentUpdateEvent {
    /// Deployment id to pass to DeferComponentUpdate.
    pub deployment_id: String,
    /// Whether the nucleus restarts too.
    #[serde(default)]
    pub is_ggc_restarting: bool,
}

/// Sent after the update.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostComponentUpdateEvent {
    /// Deployment id.
    pub deployment_id: String,
}

/// SubscribeToComponentUpdates event union.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentUpdatePolicyEvents {
    /// Before the update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_update_event: Option<PreComponentUpdateEvent>,
    /// After the update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_update_event: Option<PostComponentUpdateEvent>,
}

/// DeferComponentUpdate request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeferComponentUpdateRequest {
    /// From the pre-update event.
    pub deployment_id: String,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Ask again after this long; 0 = go ahead now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recheck_after_ms: Option<i64>,
}

/// An empty shape (`{}`), for requests and responses that carry nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Empty {}
