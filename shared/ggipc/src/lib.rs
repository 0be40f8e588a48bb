//! Greengrass v2 IPC over event-stream frames: the codec, the RPC layer, the operation
//! models, an async client for components and (feature `server`) a server for the local
//! runtime. Byte layouts follow the nucleus, not our own server: see the golden-frame tests.
#![warn(missing_docs)]

pub mod client;
pub mod error;
pub mod frame;
pub mod model;
pub mod operation;
pub mod rpc;
#[cfg(feature = "server")]
pub mod server;

pub use client::{ConnectOptions, IpcClient, Subscription};
pub use error::{ErrorKind, IpcError};
