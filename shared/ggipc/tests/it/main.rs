//! ggipc integration tests: golden frames from the protocol reference, codec edge cases, and the
//! client against the server over a real Unix socket.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly by design")]

mod client_server;
mod codec;
mod golden;
mod support;
