//! StreamUploader: store and forward. Subscribes to local topics, keeps every accepted message
//! in a durable SQLite queue per export, and deletes it only after the destination (IoT Core,
//! Kinesis, S3, SiteWise) acknowledged it.

pub mod bandwidth;
pub mod config;
pub mod deadletter;
pub mod drain;
pub mod export;
pub mod housekeeping;
pub mod ingest;
pub mod route;
pub mod store;
pub mod telemetry;
pub mod updates;
pub mod validate;

use component_kit::{Component, ConfigError, Ctx};
use edge_model::{ComponentName, Topic};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

/// Name of the queue file inside `storeDir`.
pub const QUEUE_FILE: &str = "queue.db";

/// The component.
#[derive(Debug, Default)]
pub struct StreamUploaderComponent;

impl Component for StreamUploaderComponent {
    const NAME: &'static str = "com.smartfactory.StreamUploader";
    const ONE_MALLOC_ARENA: bool = true;
    type Config = config::StreamUploaderConfig;
    type Validated = validate::StreamUploader;

    fn validate(config: Self::Config) -> Result<Self::Validated, ConfigError> {
        validate::validate(config)
    }

    async fn run(
        &self,
        config: Self::Validated,
        ctx: Ctx,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let component = ComponentName::new(Self::NAME)?;
        let store = open_store(&config, &ctx).await?;
        let dead_letters =
            deadletter::DeadLetters::Ipc(ctx.ipc().clone(), Topic::dead_letter(&component));
        let update_gate = Arc::new(updates::UpdateGate::default());
        let bandwidth = config
            .max_bandwidth
            .map(|b| Arc::new(bandwidth::Bandwidth::new(b)));
        let mut wakes = HashMap::new();
        let mut metrics = HashMap::new();
        let mut drains = tokio::task::JoinSet::new();
        for export in config.exports.clone() {
            let wake = Arc::new(Notify::new());
            let m = telemetry::ExportMetrics::new(ctx.metrics(), &export.id);
            wakes.insert(export.id.clone(), wake.clone());
            metrics.insert(export.id.clone(), m.clone());
            let env = drain::DrainEnv {
                store: store.clone(),
                wake,
                bandwidth: bandwidth.clone(),
                metrics: m,
                dead_letters: dead_letters.clone(),
                updates: update_gate.clone(),
            };
            spawn_drain(&mut drains, export, env, &ctx, shutdown.child_token()).await;
        }

        let router = Arc::new(route::Router::new(config.routes.clone()));
        let (tx, rx) = mpsc::channel(ingest::INGEST_CHANNEL);
        let appender = ingest::Appender::new(
            store.clone(),
            router.clone(),
            ctx.metrics(),
            wakes,
            metrics.clone(),
            dead_letters,
            config.max_append_batch,
        );
        let appending = tokio::spawn(ingest::append_loop(appender, rx));
        let subscriptions =
            ingest::subscribe_routes(ctx.ipc().clone(), router, tx, shutdown.child_token()).await?;
        ctx.tracker().spawn(housekeeping::run(
            store.clone(),
            metrics,
            config.housekeeping_interval,
            shutdown.child_token(),
        ));
        if config.defer_updates_while_sending {
            ctx.tracker().spawn(updates::run(
                ctx.ipc().clone(),
                update_gate,
                shutdown.child_token(),
            ));
        }
        tracing::info!(
            exports = config.exports.len(),
            routes = config.routes.len(),
            "Uploading."
        );

        shutdown.cancelled().await;
        // Subscriptions stop first; the appender then commits what it already took in.
        for s in subscriptions {
            let _ended = s.await;
        }
        let _ended = appending.await;
        while drains.join_next().await.is_some() {}
        Ok(())
    }
}

/// Opens the queue (off the runtime: it is file I/O) and starts its thread.
async fn open_store(
    config: &validate::StreamUploader,
    ctx: &Ctx,
) -> anyhow::Result<store::StoreHandle> {
    let dir = ctx.work_dir().join(&config.store_dir);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(QUEUE_FILE);
    let policies: Vec<(String, store::QueuePolicy)> = config
        .exports
        .iter()
        .map(|e| (e.id.clone(), e.queue.clone()))
        .collect();
    let started = std::time::Instant::now();
    let (store, report) = tokio::task::spawn_blocking(move || {
        store::Store::open(&path, &policies, edge_model::time::now_ms() as i64)
    })
    .await??;
    if let Some(aside) = &report.moved_corrupt_file {
        tracing::error!(moved_to = %aside.display(),
            "The queue file was damaged; it was moved aside and a new queue started.");
        ctx.metrics()
            .counter_with(
                component_kit::metrics::names::DROPPED_TOTAL,
                &[("reason", "corrupt_store")],
            )
            .inc();
    }
    tracing::info!(
        backlog = report.backlog_records,
        open_ms = started.elapsed().as_millis() as u64,
        store_id = store.store_id(),
        "Queue opened."
    );
    Ok(store::spawn(store)?)
}

/// Builds the export's client and starts its drain loop.
async fn spawn_drain(
    drains: &mut tokio::task::JoinSet<()>,
    export: validate::Export,
    env: drain::DrainEnv,
    ctx: &Ctx,
    shutdown: CancellationToken,
) {
    use export::aws_client;
    use validate::Destination;
    match export.destination.clone() {
        Destination::IotCore { topic_template } => {
            let e = export::iot_core::IotCoreExporter::new(
                ctx.ipc().clone(),
                &topic_template,
                ctx.thing_name(),
                &export.id,
            );
            drains.spawn(drain::run(export, e, env, shutdown));
        }
        Destination::Kinesis {
            stream_name,
            partition_key,
            aws,
        } => {
            let sdk = aws_client::load(&aws).await;
            let e = export::kinesis::KinesisExporter::new(
                &sdk,
                &stream_name,
                partition_key,
                ctx.thing_name(),
            );
            drains.spawn(drain::run(export, e, env, shutdown));
        }
        Destination::S3 {
            bucket,
            key_prefix,
            gzip,
            multipart_threshold,
            part_bytes,
            status_topic,
            aws,
        } => {
            let sdk = aws_client::load(&aws).await;
            let status = status_topic.map(|topic| status_sink(ctx.ipc().clone(), topic));
            let target = export::s3::S3Target {
                bucket,
                key_prefix,
                gzip,
                multipart_threshold,
                part_bytes,
            };
            let e = export::s3::S3Exporter::new(
                &sdk,
                aws.force_path_style,
                target,
                ctx.thing_name(),
                status,
            );
            drains.spawn(drain::run(export, e, env, shutdown));
        }
        Destination::SiteWise {
            alias_template,
            aws,
        } => {
            let sdk = aws_client::load(&aws).await;
            let e = export::sitewise::SiteWiseExporter::new(&sdk, &alias_template);
            drains.spawn(drain::run(export, e, env, shutdown));
        }
    }
}

/// Publishes S3 upload reports on `topic` without holding up the drain loop.
fn status_sink(ipc: ggipc::IpcClient, topic: Topic) -> export::s3::StatusSink {
    Arc::new(move |report| {
        let (ipc, topic) = (ipc.clone(), topic.clone());
        tokio::spawn(async move {
            if let Err(e) = ipc.publish_json(topic.as_str(), report).await {
                tracing::warn!(error = %e, "Upload status report not published.");
            }
        });
    })
}
