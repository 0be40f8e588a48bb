//! Typed IPC errors: the modelled Greengrass errors plus transport failures.

use serde_json::{Map, Value, json};

/// The modelled error shapes of the Greengrass IPC service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `aws.greengrass#ServiceError`.
    ServiceError,
    /// `aws.greengrass#UnauthorizedError`.
    UnauthorizedError,
    /// `aws.greengrass#ResourceNotFoundError`.
    ResourceNotFoundError,
    /// `aws.greengrass#InvalidArgumentsError`.
    InvalidArgumentsError,
    /// `aws.greengrass#ConflictError`.
    ConflictError,
    /// `aws.greengrass#FailedUpdateConditionCheckError`.
    FailedUpdateConditionCheckError,
    /// `aws.greengrass#ComponentNotFoundError`.
    ComponentNotFoundError,
    /// `aws.greengrass#InvalidTokenError`.
    InvalidTokenError,
}

impl ErrorKind {
    const ALL: [ErrorKind; 8] = [
        Self::ServiceError,
        Self::UnauthorizedError,
        Self::ResourceNotFoundError,
        Self::InvalidArgumentsError,
        Self::ConflictError,
        Self::FailedUpdateConditionCheckError,
        Self::ComponentNotFoundError,
        Self::InvalidTokenError,
    ];

    /// The shape name, which is also the `_errorCode`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ServiceError => "ServiceError",
            Self::UnauthorizedError => "UnauthorizedError",
            Self::ResourceNotFoundError => "ResourceNotFoundError",
            Self::InvalidArgumentsError => "InvalidArgumentsError",
            Self::ConflictError => "ConflictError",
            Self::FailedUpdateConditionCheckError => "FailedUpdateConditionCheckError",
            Self::ComponentNotFoundError => "ComponentNotFoundError",
            Self::InvalidTokenError => "InvalidTokenError",
        }
    }

    /// The `service-model-type` of the error shape.
    pub fn model_type(self) -> String {
        format!("aws.greengrass#{}", self.name())
    }

    /// Finds the kind from a `service-model-type` or an `_errorCode`.
    pub fn parse(text: &str) -> Option<Self> {
        let short = text.strip_prefix("aws.greengrass#").unwrap_or(text);
        Self::ALL.into_iter().find(|k| k.name() == short)
    }
}

/// Everything an IPC call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum IpcError {
    /// A modelled error answered by the server.
    #[error("{}: {message}", kind.name())]
    Modelled {
        /// Which error shape.
        kind: ErrorKind,
        /// The human-readable message.
        message: String,
        /// Shape-specific fields (for example `resourceType`).
        fields: Map<String, Value>,
    },
    /// The server does not know the operation.
    #[error("unsupported operation: {0}")]
    UnsupportedOperation(String),
    /// The server rejected the CONNECT (bad or unknown SVCUID).
    #[error("the IPC server rejected the connection (check SVCUID)")]
    AccessDenied,
    /// The server or the client broke the protocol.
    #[error("IPC protocol error: {0}")]
    Protocol(String),
    /// The socket dropped while the call was in flight; the client reconnects for the next call.
    #[error("IPC connection lost: {0}")]
    ConnectionLost(String),
    /// No answer in time.
    #[error("IPC call timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// A payload that did not match its shape.
    #[error("could not decode {shape}: {reason}")]
    Decode {
        /// The shape being decoded.
        shape: String,
        /// What serde said.
        reason: String,
    },
    /// The environment lacks the nucleus variables.
    #[error("missing environment variable {0}: is this process running under Greengrass?")]
    MissingEnv(&'static str),
    /// Socket failure.
    #[error("IPC socket error: {0}")]
    Io(#[from] std::io::Error),
}

impl IpcError {
    /// A modelled error with a message and no extra fields.
    pub fn modelled(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::Modelled {
            kind,
            message: message.into(),
            fields: Map::new(),
        }
    }

    /// The modelled kind, if this is a modelled error.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Modelled { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The payload the server sends: the union of fields every client reads
    /// (`message` for Python and Java, `_errorCode`/`_message` for the C SDK).
    pub fn to_payload(kind: ErrorKind, message: &str, fields: &Map<String, Value>) -> Value {
        let mut body = fields.clone();
        body.insert("message".into(), json!(message));
        body.insert("_message".into(), json!(message));
        body.insert("_errorCode".into(), json!(kind.name()));
        body.insert("_service".into(), json!("aws.greengrass#GreengrassCoreIPC"));
        Value::Object(body)
    }

    /// Rebuilds an error from an APPLICATION_ERROR; tolerant of lite's `_`-only fields.
    pub fn from_error_payload(model_type: Option<&str>, payload: &[u8]) -> Self {
        let body: Map<String, Value> = serde_json::from_slice(payload).unwrap_or_default();
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        let kind = model_type
            .and_then(ErrorKind::parse)
            .or_else(|| text("_errorCode").as_deref().and_then(ErrorKind::parse));
        let message = text("message")
            .or_else(|| text("_message"))
            .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned());
        match kind {
            Some(kind) => {
                let fields = body
                    .into_iter()
                    .filter(|(k, _)| !k.starts_with('_') && k != "message")
                    .collect();
                Self::Modelled {
                    kind,
                    message,
                    fields,
                }
            }
            None if body.get("error").and_then(Value::as_str) == Some("Unsupported Operation") => {
                Self::UnsupportedOperation(message)
            }
            None => Self::Modelled {
                kind: ErrorKind::ServiceError,
                message,
                fields: Map::new(),
            },
        }
    }
}
