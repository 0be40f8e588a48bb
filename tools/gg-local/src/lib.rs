pub mod deployment;
pub mod lifecycle;
