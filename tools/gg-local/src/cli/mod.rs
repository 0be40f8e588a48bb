//! The CLI: argument parsing and the client-side commands that talk to a running runtime.

pub mod args;
pub mod bench;
pub mod client_commands;
pub mod run;
