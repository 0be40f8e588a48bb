//! One task per server: connect, resolve the nodes, subscribe and poll, publish; on any loss
//! (server restart, dropped connection, session or subscription gone, watchdog) throw the
//! session away, back off (capped, with jitter) and build everything again: a new session,
//! nodes resolved again, a new subscription and monitored items. It never gives up.
//!
//! The library's own reconnect is off (`session_retry_limit(0)`): rebuilding from scratch is
//! the one path that always re-creates subscriptions correctly (see docs/opcua-interop).
//! Samples the server held for the lost session are not republished.

use crate::driver::{Driver, Stop};
use crate::errors;
use crate::feed::Feed;
use crate::identity::{Secrets, token};
use crate::node::Mode;
use crate::pki::AppIdentity;
use crate::resolve::{Item, Unresolved, resolve};
use crate::security::wanted_endpoint;
use crate::server::Server;
use crate::subscribe::{KEEP_ALIVE_COUNT, subscribe};
use crate::{poll, publish};
use component_kit::backoff::Backoff;
use component_kit::outlet::Outlet;
use component_kit::{Counter, Metrics};
use edge_model::{BatchBuilder, ComponentName, GatewayId, LinkState, Topic};
use futures::StreamExt;
use opcua::client::{Client, ClientBuilder};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A session that lived this long resets the backoff.
const STABLE_AFTER: Duration = Duration::from_secs(10);
/// Time given to CloseSession at shutdown.
const CLOSE_WITHIN: Duration = Duration::from_secs(2);
/// Most elements of one array in a server response (notifications in a Publish, references
/// in a Browse).
const MAX_ARRAY_LENGTH: usize = 1_000_000;

/// Per-server counters (dimension `Server`).
#[derive(Debug, Clone)]
pub struct ServerMetrics {
    /// Readings published.
    pub points_published: Counter,
    /// Sessions lost or refused.
    pub link_failures: Counter,
    /// Nodes that could not be resolved or monitored.
    pub node_errors: Counter,
    /// Readings dropped because the publisher fell behind.
    pub dropped: Counter,
}

impl ServerMetrics {
    /// Registers the counters of `server`.
    pub fn new(metrics: &Metrics, server: &str) -> Self {
        let dims = [("Server", server)];
        Self {
            points_published: metrics.counter_with("PointsPublished", &dims),
            link_failures: metrics.counter_with("LinkFailures", &dims),
            node_errors: metrics.counter_with("NodeErrors", &dims),
            dropped: metrics.counter_with("ReadingsDropped", &dims),
        }
    }
}

/// What a server task needs besides its server.
#[derive(Debug, Clone)]
pub struct ServerEnv<O, S> {
    /// Where readings and statuses go.
    pub outlet: O,
    /// Where passwords come from.
    pub secrets: S,
    /// This component (status topic).
    pub component: ComponentName,
    /// This gateway (batches).
    pub gateway: GatewayId,
    /// Counters.
    pub metrics: ServerMetrics,
    /// The PKI folder (absolute).
    pub pki_dir: PathBuf,
    /// The client's application identity.
    pub app: AppIdentity,
    /// First reconnect delay (the cap is the server's `reconnectMaxDelayMs`).
    pub first_retry: Duration,
}

/// Reads `server` until `shutdown`.
pub async fn run_server<O: Outlet, S: Secrets>(
    server: Server,
    env: ServerEnv<O, S>,
    shutdown: CancellationToken,
) {
    for cert in &server.trusted_certificates {
        match crate::pki::trust(&env.pki_dir, cert) {
            Ok(at) => {
                tracing::info!(server = server.id.as_str(), path = %at.display(), "Trusted server certificate installed.")
            }
            Err(e) => {
                tracing::error!(server = server.id.as_str(), error = %e, "A trusted certificate could not be installed.")
            }
        }
    }
    let (tx, rx) = mpsc::channel(crate::feed::FEED_CAPACITY);
    let publisher = tokio::spawn(publish::run(
        rx,
        env.outlet.clone(),
        Topic::readings_raw(&server.id),
        BatchBuilder::new(env.gateway.clone(), server.id.clone(), 0),
        env.metrics.points_published.clone(),
    ));
    let feed = Feed::new(
        tx,
        server.id.clone(),
        server.timestamps,
        env.metrics.dropped.clone(),
    );
    let mut client = client(&server, &env);
    let mut backoff = Backoff::new(env.first_retry, server.reconnect_max_delay);
    loop {
        let started = tokio::time::Instant::now();
        let reason = match session(&server, &env, &mut client, &feed, &shutdown).await {
            Stop::Shutdown => break,
            Stop::Lost(reason) => reason,
        };
        env.metrics.link_failures.inc();
        if started.elapsed() > STABLE_AFTER {
            backoff.reset();
        }
        // A refused login or certificate will not heal by itself: wait the longest delay.
        let delay = match errors::status_in(&reason) {
            Some(code) if errors::is_configuration(code) => server.reconnect_max_delay,
            _ => backoff.next_delay(),
        };
        tracing::warn!(server = server.id.as_str(), endpoint = %server.endpoint_url, error = %reason, retry_ms = delay.as_millis() as u64, "Server link down; reconnecting after a delay.");
        publish::status(
            &env.outlet,
            &env.component,
            &server.id,
            LinkState::Backoff,
            Some(format!("{reason}; retry in {} ms", delay.as_millis())),
        )
        .await;
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(delay) => {}
        }
    }
    publish::status(
        &env.outlet,
        &env.component,
        &server.id,
        LinkState::Offline,
        Some("stopped".to_owned()),
    )
    .await;
    drop(feed);
    let _ = publisher.await;
}

/// The library client of `server`: own certificate from the PKI folder, trust settings, no
/// library reconnect.
fn client<O, S>(server: &Server, env: &ServerEnv<O, S>) -> Client {
    let mut builder = ClientBuilder::new()
        .application_name(env.app.name.as_str())
        .application_uri(env.app.uri.as_str())
        .product_uri(env.app.product_uri.as_str())
        .pki_dir(env.pki_dir.clone())
        .create_sample_keypair(false)
        .trust_server_certs(server.trust_on_first_use)
        .verify_server_certs(server.verify_server_certificate)
        .session_retry_limit(0)
        .session_timeout(server.session_timeout.as_millis().min(u128::from(u32::MAX)) as u32)
        .request_timeout(server.request_timeout)
        .keep_alive_interval(server.request_timeout.min(Duration::from_secs(10)))
        .session_name(format!("{}:{}", env.app.name, server.id.as_str()));
    // Large subscriptions: allow big Publish responses (10,000 items in one notification).
    // The array limit (library default 1,000) must not be the one that cuts a Publish or
    // Browse response: exceeding it closes the connection, so a subscription of more than
    // 1,000 busy items would reconnect forever. The message size stays the memory bound.
    builder = builder
        .max_message_size(64 * 1024 * 1024)
        .max_chunk_count(8192)
        .max_array_length(MAX_ARRAY_LENGTH);
    builder.client().unwrap_or_else(|errors| {
        // The builder only refuses contradictory settings, which validation rules out.
        tracing::error!(server = server.id.as_str(), errors = ?errors, "Client settings refused; using defaults.");
        Client::new(opcua::client::ClientConfig::default())
    })
}

/// One session from connect to loss; returns why it ended.
async fn session<O: Outlet, S: Secrets>(
    server: &Server,
    env: &ServerEnv<O, S>,
    client: &mut Client,
    feed: &Feed,
    shutdown: &CancellationToken,
) -> Stop {
    let token = match token(&server.identity, &env.secrets).await {
        Ok(t) => t,
        Err(e) => return Stop::Lost(format!("identity: {e}")),
    };
    let wanted = wanted_endpoint(&server.endpoint_url, server.policy, server.mode);
    let connect = client.connect_to_matching_endpoint(wanted, token);
    let (session, event_loop) = tokio::select! {
        biased;
        () = shutdown.cancelled() => return Stop::Shutdown,
        r = tokio::time::timeout(server.request_timeout * 2, connect) => match r {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => return Stop::Lost(format!("connect: {}", describe_error(&e))),
            Err(_) => return Stop::Lost(format!("connect: no answer within {} ms", (server.request_timeout * 2).as_millis())),
        },
    };
    let mut driver = Driver::new(session.clone(), event_loop.enter().boxed());
    let stop =
        match tokio::time::timeout(server.request_timeout * 3, driver.connected(shutdown)).await {
            Ok(Ok(())) => serve(server, env, &mut driver, feed, shutdown).await,
            Ok(Err(stop)) => stop,
            Err(_) => Stop::Lost(format!(
                "session not established within {} ms",
                (server.request_timeout * 3).as_millis()
            )),
        };
    driver.close(CLOSE_WITHIN).await;
    stop
}

fn describe_error(e: &opcua::types::Error) -> String {
    let text = e.to_string();
    let code = e.status();
    if errors::is_configuration(code) && !text.contains(&code.to_string()) {
        format!("{}: {text}", errors::describe(code))
    } else if errors::is_configuration(code) {
        format!("{} ({text})", errors::describe(code))
    } else {
        text
    }
}

/// Resolves, subscribes and polls on a connected session until it is lost.
async fn serve<O: Outlet, S: Secrets>(
    server: &Server,
    env: &ServerEnv<O, S>,
    driver: &mut Driver,
    feed: &Feed,
    shutdown: &CancellationToken,
) -> Stop {
    let session = driver.session().clone();
    let resolved = match driver.run(resolve(&session, server), shutdown).await {
        Ok(Ok(r)) => r,
        Ok(Err(reason)) => return Stop::Lost(reason),
        Err(stop) => return stop,
    };
    report(
        server,
        env,
        feed,
        &resolved.unresolved,
        "could not be resolved",
    );
    let (subscribed, polled): (Vec<Item>, Vec<Item>) = resolved
        .items
        .into_iter()
        .partition(|i| i.sampling.mode == Mode::Subscribe);
    let monitored = subscribed.len();
    if !subscribed.is_empty() {
        let created = driver
            .run(
                subscribe(&session, server, Arc::new(subscribed), feed.clone()),
                shutdown,
            )
            .await;
        match created {
            Ok(Ok(s)) => report(server, env, feed, &s.refused, "was refused by the server"),
            Ok(Err(reason)) => return Stop::Lost(reason),
            Err(stop) => return stop,
        }
        let keep_alive = server.publishing_interval * KEEP_ALIVE_COUNT;
        driver.watch(keep_alive * 2 + server.request_timeout);
    }
    tracing::info!(server = server.id.as_str(), endpoint = %server.endpoint_url, monitored, polled = polled.len(), "Server online.");
    publish::status(
        &env.outlet,
        &env.component,
        &server.id,
        edge_model::LinkState::Online,
        None,
    )
    .await;
    let polling = poll::poll(session, polled, server.max_items_per_request, feed.clone());
    match driver.run(polling, shutdown).await {
        Ok(reason) => Stop::Lost(reason),
        Err(stop) => stop,
    }
}

/// Logs each failed selection with the server and node, counts it, and publishes a BAD
/// reading for it so consumers see the point is missing and why.
fn report<O, S>(
    server: &Server,
    env: &ServerEnv<O, S>,
    feed: &Feed,
    failed: &[Unresolved],
    what: &str,
) {
    for u in failed {
        tracing::error!(server = server.id.as_str(), point = %u.point, node = %u.what, reason = %u.reason, "Node {what}; the other nodes keep flowing.");
        env.metrics.node_errors.inc();
        feed.failed(&u.point, format!("{}: {}", u.reason, u.what));
    }
}
