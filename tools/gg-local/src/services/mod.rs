//! What the runtime serves over IPC, one service per file, as in the nucleus.

pub mod authz;
pub mod component_sinks;
pub mod component_updates;
pub mod config_store;
pub mod config_validation;
pub mod iot_core;
pub mod pubsub;
pub mod registry;
pub mod secrets;
pub mod tes;
