//! The factory demo's helpers: [`plan`] picks and stages the components the demo deploys;
//! [`view`] is the live view (terminal dashboard, local web page, summary); [`cloud`] stands in
//! for Kinesis and S3 with a local folder.

pub mod cli;
pub mod cloud;
pub mod dependencies;
pub mod plan;
pub mod view;
