//! The one integration test binary of gg-local; each module covers one part of the runtime.

mod lifecycle;
mod runtime;
