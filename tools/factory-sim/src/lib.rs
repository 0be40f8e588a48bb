//! A simulated pump line for the factory demo: a signal model with injectable faults, served
//! over Modbus TCP (register map in [`registers`]) and OPC UA ([`opcua`]) and, when a broker is reachable, as MQTT
//! sensors; a loopback control port injects and clears faults at run time.

pub mod cli;
pub mod control;
pub mod fault;
pub mod listen;
pub mod modbus;
pub mod model;
pub mod mqtt;
pub mod opcua;
pub mod plant;
pub mod registers;
