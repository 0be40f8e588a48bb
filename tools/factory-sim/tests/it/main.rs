//! The simulator as a process: its Modbus server read by a tokio-modbus client, its OPC UA server
//! by asyncua's client, faults injected through the control port, bad input and shutdown.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod cli;
mod control;
mod deployment;
mod modbus;
mod opcua;
mod sim;
