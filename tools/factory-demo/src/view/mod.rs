//! The live view: its state, fed from local pub/sub, the runtime and the simulator, rendered
//! as a terminal dashboard and a local web page.

pub mod app;
pub mod feed;
pub mod rate;
pub mod render;
pub mod state;
pub mod summary;
pub mod web;

pub use state::ViewState;
