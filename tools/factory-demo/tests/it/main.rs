//! The live view's web server, and the whole demo run headless: simulator → ModbusAdapter →
//! (whichever pipeline components are deployed) → local cloud stand-in, with a scheduled fault.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod browser;
mod demo;
mod e2e;
mod web;
