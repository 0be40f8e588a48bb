//! The one integration test binary of gg-local; each module covers one part of the runtime.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly by design")]

mod lifecycle;
mod repo_recipes;
mod runtime;
mod shutdown_step;
