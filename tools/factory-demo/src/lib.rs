//! The factory demo's helpers: [`plan`] picks and stages the components the demo deploys;
//! [`view`] is the live view (terminal dashboard, local web page, summary).

pub mod cli;
pub mod dependencies;
pub mod plan;
pub mod view;
