//! Test peers shared by the uploader's and the enrichment Lambda's tests.

pub mod moto;
pub mod sitewise_stub;
pub mod stub_http;
