//! Operation descriptors: the name, the request/response shapes and, for subscriptions, the
//! event shape. Shape names are `aws.greengrass#<Op>Request` / `…Response`.

use crate::model::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A unary or streaming IPC operation.
pub trait Operation {
    /// Operation name without the `aws.greengrass#` prefix.
    const NAME: &'static str;
    /// Request shape.
    type Request: Serialize + DeserializeOwned + Send;
    /// Response shape.
    type Response: Serialize + DeserializeOwned + Send;
}

/// An operation whose stream stays open and carries events.
pub trait StreamingOperation: Operation {
    /// Full event shape id.
    const EVENT_SHAPE: &'static str;
    /// Event shape.
    type Event: Serialize + DeserializeOwned + Send + 'static;
}

/// `aws.greengrass#<name>Request`.
pub fn request_shape(name: &str) -> String {
    format!("aws.greengrass#{name}Request")
}

/// `aws.greengrass#<name>Response`.
pub fn response_shape(name: &str) -> String {
    format!("aws.greengrass#{name}Response")
}

macro_rules! operation {
    ($marker:ident, $req:ty, $resp:ty) => {
        #[doc = concat!("The `", stringify!($marker), "` operation.")]
        #[derive(Debug, Clone, Copy)]
        pub struct $marker;
        impl Operation for $marker {
            const NAME: &'static str = stringify!($marker);
            type Request = $req;
            type Response = $resp;
        }
    };
    ($marker:ident, $req:ty, $resp:ty, stream $event:ty = $shape:literal) => {
        operation!($marker, $req, $resp);
        impl StreamingOperation for $marker {
            const EVENT_SHAPE: &'static str = $shape;
            type Event = $event;
        }
    };
}

operation!(PublishToTopic, PublishToTopicRequest, Empty);
operation!(
    SubscribeToTopic,
    SubscribeToTopicRequest,
    Empty,
    stream SubscriptionResponseMessage = "aws.greengrass#SubscriptionResponseMessage"
);
operation!(PublishToIoTCore, PublishToIoTCoreRequest, Empty);
operation!(
    SubscribeToIoTCore,
    SubscribeToIoTCoreRequest,
    Empty,
    stream IoTCoreMessage = "aws.greengrass#IoTCoreMessage"
);
operation!(
    GetConfiguration,
    GetConfigurationRequest,
    GetConfigurationResponse
);
operation!(UpdateConfiguration, UpdateConfigurationRequest, Empty);
operation!(
    SubscribeToConfigurationUpdate,
    SubscribeToConfigurationUpdateRequest,
    Empty,
    stream ConfigurationUpdateEvents = "aws.greengrass#ConfigurationUpdateEvents"
);
operation!(
    SubscribeToValidateConfigurationUpdates,
    Empty,
    Empty,
    stream ValidateConfigurationUpdateEvents = "aws.greengrass#ValidateConfigurationUpdateEvents"
);
operation!(
    SendConfigurationValidityReport,
    SendConfigurationValidityReportRequest,
    Empty
);
operation!(UpdateState, UpdateStateRequest, Empty);
operation!(
    GetSecretValue,
    GetSecretValueRequest,
    GetSecretValueResponse
);
operation!(
    SubscribeToComponentUpdates,
    Empty,
    Empty,
    stream ComponentUpdatePolicyEvents = "aws.greengrass#ComponentUpdatePolicyEvents"
);
operation!(DeferComponentUpdate, DeferComponentUpdateRequest, Empty);
