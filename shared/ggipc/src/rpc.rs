//! The RPC layer on top of event-stream frames: message types, flags and the reserved headers.

use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;

/// `:message-flags` bit set on an accepted CONNECT_ACK.
pub const FLAG_CONNECTION_ACCEPTED: i32 = 0x1;
/// `:message-flags` bit that ends a stream.
pub const FLAG_TERMINATE_STREAM: i32 = 0x2;
/// The only protocol version the nucleus accepts.
pub const PROTOCOL_VERSION: &str = "0.1.0";
/// Content type of every modelled payload.
pub const CONTENT_TYPE_JSON: &str = "application/json";

const H_MESSAGE_TYPE: &str = ":message-type";
const H_MESSAGE_FLAGS: &str = ":message-flags";
const H_STREAM_ID: &str = ":stream-id";
const H_OPERATION: &str = "operation";
const H_VERSION: &str = ":version";
const H_CONTENT_TYPE: &str = ":content-type";
const H_MODEL_TYPE: &str = "service-model-type";

/// `:message-type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// Request, response, event or empty close on a stream.
    ApplicationMessage = 0,
    /// Modelled error on a stream.
    ApplicationError = 1,
    /// Keep-alive request.
    Ping = 2,
    /// Keep-alive answer.
    PingResponse = 3,
    /// Client handshake.
    Connect = 4,
    /// Server handshake answer.
    ConnectAck = 5,
    /// Protocol violation; the sender closes the connection.
    ProtocolError = 6,
    /// Internal failure; the sender closes the connection.
    InternalError = 7,
}

impl MessageType {
    fn from_i32(value: i32) -> Option<Self> {
        Some(match value {
            0 => Self::ApplicationMessage,
            1 => Self::ApplicationError,
            2 => Self::Ping,
            3 => Self::PingResponse,
            4 => Self::Connect,
            5 => Self::ConnectAck,
            6 => Self::ProtocolError,
            7 => Self::InternalError,
            _ => return None,
        })
    }
}

/// Why a well-formed frame is not a valid RPC message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// One of the three reserved int32 headers is missing or has another type.
    #[error("missing or non-int32 header {0}")]
    MissingHeader(&'static str),
    /// `:message-type` out of range.
    #[error("unknown :message-type {0}")]
    UnknownMessageType(i32),
}

/// One RPC message, decoded from or ready to encode into a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcMessage {
    /// `:message-type`.
    pub message_type: MessageType,
    /// `:message-flags`.
    pub flags: i32,
    /// `:stream-id`; 0 for protocol messages.
    pub stream_id: i32,
    /// `operation`, on the first message of a stream.
    pub operation: Option<String>,
    /// `service-model-type`: the Smithy shape of the payload.
    pub model_type: Option<String>,
    /// `:content-type`.
    pub content_type: Option<String>,
    /// `:version`, on CONNECT.
    pub version: Option<String>,
    /// Headers this layer does not interpret (for example nucleus lite's `svcuid`).
    pub other_headers: Vec<Header>,
    /// The payload, JSON for modelled messages.
    pub payload: Bytes,
}

impl RpcMessage {
    /// A message with the three reserved headers and nothing else.
    pub fn new(message_type: MessageType, flags: i32, stream_id: i32) -> Self {
        Self {
            message_type,
            flags,
            stream_id,
            operation: None,
            model_type: None,
            content_type: None,
            version: None,
            other_headers: Vec::new(),
            payload: Bytes::new(),
        }
    }

    /// A JSON message on a stream carrying `model_type`.
    pub fn json(
        message_type: MessageType,
        flags: i32,
        stream_id: i32,
        model_type: Option<&str>,
        payload: Bytes,
    ) -> Self {
        Self {
            model_type: model_type.map(str::to_owned),
            content_type: Some(CONTENT_TYPE_JSON.to_owned()),
            payload,
            ..Self::new(message_type, flags, stream_id)
        }
    }

    /// True when the TERMINATE_STREAM flag is set.
    pub fn terminates(&self) -> bool {
        self.flags & FLAG_TERMINATE_STREAM != 0
    }

    /// Builds the event-stream message. Header order: ours first, then the reserved ones, as the
    /// AWS C server does; order does not matter to any peer.
    pub fn to_message(&self) -> Message {
        let mut headers = Vec::with_capacity(8);
        let string = |name: &'static str, value: &str| {
            Header::new(name, HeaderValue::String(value.to_owned().into()))
        };
        if let Some(v) = &self.version {
            headers.push(string(H_VERSION, v));
        }
        if let Some(v) = &self.content_type {
            headers.push(string(H_CONTENT_TYPE, v));
        }
        if let Some(v) = &self.model_type {
            headers.push(string(H_MODEL_TYPE, v));
        }
        headers.push(Header::new(
            H_MESSAGE_TYPE,
            HeaderValue::Int32(self.message_type as i32),
        ));
        headers.push(Header::new(H_MESSAGE_FLAGS, HeaderValue::Int32(self.flags)));
        headers.push(Header::new(H_STREAM_ID, HeaderValue::Int32(self.stream_id)));
        if let Some(v) = &self.operation {
            headers.push(string(H_OPERATION, v));
        }
        headers.extend(self.other_headers.iter().cloned());
        Message::new_from_parts(headers, self.payload.clone())
    }

    /// Interprets a decoded frame. Header names match case-insensitively, as the AWS C code does.
    pub fn from_message(message: &Message) -> Result<Self, RpcError> {
        let mut message_type = None;
        let mut flags = None;
        let mut stream_id = None;
        let mut out = Self::new(MessageType::ApplicationMessage, 0, 0);
        for header in message.headers() {
            let name = header.name().as_str();
            let int32 = header.value().as_int32().ok();
            let text = || {
                header
                    .value()
                    .as_string()
                    .ok()
                    .map(|s| s.as_str().to_owned())
            };
            if name.eq_ignore_ascii_case(H_MESSAGE_TYPE) {
                message_type = int32;
            } else if name.eq_ignore_ascii_case(H_MESSAGE_FLAGS) {
                flags = int32;
            } else if name.eq_ignore_ascii_case(H_STREAM_ID) {
                stream_id = int32;
            } else if name.eq_ignore_ascii_case(H_OPERATION) {
                out.operation = text();
            } else if name.eq_ignore_ascii_case(H_MODEL_TYPE) {
                out.model_type = text();
            } else if name.eq_ignore_ascii_case(H_CONTENT_TYPE) {
                out.content_type = text();
            } else if name.eq_ignore_ascii_case(H_VERSION) {
                out.version = text();
            } else {
                out.other_headers.push(header.clone());
            }
        }
        let raw_type = message_type.ok_or(RpcError::MissingHeader(H_MESSAGE_TYPE))?;
        out.message_type =
            MessageType::from_i32(raw_type).ok_or(RpcError::UnknownMessageType(raw_type))?;
        out.flags = flags.ok_or(RpcError::MissingHeader(H_MESSAGE_FLAGS))?;
        out.stream_id = stream_id.ok_or(RpcError::MissingHeader(H_STREAM_ID))?;
        out.payload = message.payload().clone();
        Ok(out)
    }
}

/// The `operation` header value for an operation name: `aws.greengrass#<Op>`.
pub fn operation_id(op: &str) -> String {
    format!("aws.greengrass#{op}")
}
