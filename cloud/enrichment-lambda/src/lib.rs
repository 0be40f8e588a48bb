//! The enrichment Lambda of the cloud stack (`deploy/cloudformation/main-stack.yaml`,
//! `EnrichmentFunction`).
//!
//! Kinesis delivers the gateway's records (the StreamUploader envelope, alone or as the
//! `{"records":[…]}` batch the IoT telemetry rule forwards). For each record the handler decodes
//! the reading batches, drops duplicates by record id, looks the device up in DynamoDB, converts
//! units and checks ranges, sends machine states to SiteWise, writes one JSON line per reading
//! to S3 under `readings/dt=YYYY-MM-DD/` (the Glue table `readings`) and every rejected record,
//! with its reason, under `dead-letter/dt=YYYY-MM-DD/`. Only records whose output failed are
//! reported back as batch item failures, so Kinesis retries just those.
//!
//! [`Handler`] does all of this without the Lambda runtime; `main.rs` only wires it to it.

pub mod aws;
pub mod dead_letter;
pub mod dedup;
pub mod directory;
pub mod enrich;
pub mod envelope;
pub mod event;
pub mod handler;
pub mod metadata;
pub mod output;
pub mod row;
pub mod settings;
pub mod sitewise;
pub mod summary;
pub mod work;

pub use handler::Handler;
pub use settings::Settings;
