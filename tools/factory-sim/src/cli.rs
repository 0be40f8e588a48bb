//! Command-line arguments.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::fault::FaultSpec;

/// A simulated pump line: Modbus TCP and OPC UA PLC, optional MQTT sensors, injectable faults.
#[derive(Debug, Parser)]
#[command(name = "factory-sim", version)]
pub struct Args {
    /// What to do; without a subcommand, run the simulator.
    #[command(subcommand)]
    pub command: Option<Cmd>,
    /// Address the Modbus and OPC UA servers and the control port listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST), global = true)]
    pub host: IpAddr,
    /// Modbus TCP port (0 picks a free one).
    #[arg(long, default_value_t = 5020)]
    pub modbus_port: u16,
    /// Modbus unit id the PLC answers to (0 and 255 are answered too).
    #[arg(long, default_value_t = 1)]
    pub unit_id: u8,
    /// OPC UA port (security None, anonymous; 0 disables the OPC UA server).
    #[arg(long, default_value_t = 4840)]
    pub opcua_port: u16,
    /// Control port for `factory-sim ctl` (0 picks a free one).
    #[arg(long, default_value_t = 5021, global = true)]
    pub control_port: u16,
    /// MQTT broker for the MQTT sensors; skipped with a message when nothing listens there.
    #[arg(long, default_value = "127.0.0.1:1883")]
    pub mqtt: SocketAddr,
    /// Do not try MQTT at all.
    #[arg(long)]
    pub no_mqtt: bool,
    /// Device id used in MQTT topics.
    #[arg(long, default_value = "pump1")]
    pub device: String,
    /// Seed of the signal noise: the same seed gives the same signals.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Start the line at rest and cold (speed ramp, temperatures warming up for ~20 min)
    /// instead of running in thermal steady state.
    #[arg(long)]
    pub cold_start: bool,
    /// Model time step, ms.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(10..=1000))]
    pub step_ms: u64,
    /// A scheduled fault, kind[:severity]@start[+duration], e.g. cavitation@60s+30s
    /// (kinds: valve-closure, imbalance, cavitation, drift, offline). Repeatable.
    #[arg(long = "fault", value_parser = parse_fault)]
    pub faults: Vec<FaultSpec>,
    /// Stop by itself after this many seconds (0 = run until Ctrl-C or SIGTERM).
    #[arg(long, default_value_t = 0)]
    pub seconds: u64,
    /// Write the bound ports as JSON to this file once listening (useful with port 0).
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Send one command to a running simulator's control port and print the reply,
    /// e.g. `factory-sim ctl fault cavitation 30s`, `factory-sim ctl status`.
    Ctl {
        /// The command words.
        #[arg(required = true, trailing_var_arg = true)]
        words: Vec<String>,
    },
    /// Print the ModbusAdapter `points` map that reads this PLC (JSON).
    AdapterPoints,
}

fn parse_fault(s: &str) -> Result<FaultSpec, String> {
    s.parse()
        .map_err(|e: crate::fault::FaultError| e.to_string())
}
