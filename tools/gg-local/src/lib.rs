//! gg-local: a small Greengrass v2 runtime for laptops and CI. It runs components from their
//! recipes as the nucleus would and serves them IPC on a Unix socket.

pub mod cli;
pub mod deployment;
pub mod ipc_handler;
pub mod lifecycle;
pub mod runtime;
pub mod runtime_config;
pub mod services;
pub mod testing;
