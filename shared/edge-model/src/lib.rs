//! The messages, identifiers and topics that the factory's edge components share.
//!
//! Every message is JSON, carries `schemaVersion` ([`SCHEMA_VERSION`]) and `kind`
//! ([`MessageKind`]), and satisfies the JSON Schema [`schema_for`] its kind. Readings travel in
//! [`ReadingBatch`]es that a [`BatchBuilder`] keeps under [`MAX_IPC_MESSAGE_BYTES`]. Topics come
//! from [`Topic`]'s constructors; subscriptions use [`TopicFilter`].
//!
//! This crate does no I/O and has no async code.

#![warn(missing_docs)]

mod aggregate;
mod batch;
mod dead_letter;
mod event;
mod finite;
mod id;
mod kind;
mod packer;
mod reading;
mod schema;
mod status;
pub mod time;
mod topic;
mod value;
mod window;

pub use aggregate::{Aggregate, AggregateBatch, AggregateBatchBuilder, AggregateBatchError, Stats};
pub use batch::{BatchBuilder, BatchError, MAX_IPC_MESSAGE_BYTES, ReadingBatch};
pub use dead_letter::{DeadLetter, MAX_DEAD_PAYLOAD_BYTES};
pub use event::{AlarmEvent, AlarmState, AnomalyEvent, ModelRef, Severity};
pub use id::{ComponentName, DeviceId, GatewayId, IdError, MAX_ID_BYTES};
pub use kind::{MessageKind, SCHEMA_VERSION};
pub use reading::{Quality, Reading, Source};
pub use schema::schema_for;
pub use status::{ComponentStatus, LinkState};
pub use topic::{
    CLOUDWATCH_METRIC_TOPIC, MAX_TOPIC_BYTES, TOPIC_ROOT, Topic, TopicError, TopicFilter,
};
pub use value::Value;
pub use window::{TimeWindow, WindowError};
