//! The PLC's OPC UA server: every point of the register map as a variable under
//! `Objects/Line1/Pump1`, node ids `ns=<urn:factory-sim>;s=Line1.Pump1.<point>`, pushed after each
//! simulation step. The values are what the Modbus side decodes (f32 as Float, scaled i16 as
//! Double, counters as UInt16/UInt32, bits as Boolean). `speedSetpoint` and `runCommand` are
//! writable, as over Modbus. While the device-offline fault acts, every value keeps its last
//! reading with status `BadNoCommunication`.
//!
//! Security: one endpoint, policy None, anonymous users only. Enough for a loopback demo; a real
//! PLC would offer signed and encrypted endpoints with user tokens.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ::opcua::nodes::{AccessLevel, NodeBase, Variable};
use ::opcua::server::diagnostics::NamespaceMetadata;
use ::opcua::server::node_manager::memory::{SimpleNodeManager, simple_node_manager};
use ::opcua::server::{ANONYMOUS_USER_TOKEN_ID, ServerBuilder, ServerEndpoint, SubscriptionCache};
use ::opcua::types::{DataValue, DateTime, NodeId, QualifiedName, StatusCode, Variant};
use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::plant::SharedPlant;
use crate::registers::{Encoding, MAP, MapEntry};

/// The namespace of the simulator's nodes.
pub const NAMESPACE_URI: &str = "urn:factory-sim:pump-line";
/// The folders under `Objects` that hold the pump's variables.
pub const MACHINE_PATH: [&str; 2] = ["Line1", "Pump1"];

/// The string node id of `point` (a register-map id such as `vibrationRms`).
pub fn node_id_string(point: &str) -> String {
    format!("{}.{point}", MACHINE_PATH.join("."))
}

/// Binds the OPC UA listener, naming the address when it is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    crate::listen::bind(addr, "OPC UA", "--opcua-port").await
}

/// Serves OPC UA on `listener` until `cancel`.
pub async fn serve(
    listener: TcpListener,
    plant: SharedPlant,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    // The certificate store wants a directory even when no endpoint uses a certificate.
    let pki = tempfile::Builder::new()
        .prefix("factory-sim-opcua-pki")
        .tempdir()
        .context("cannot create the OPC UA server's PKI directory")?;
    let (server, handle) = ServerBuilder::new()
        .application_name("factory-sim pump line")
        .application_uri("urn:factory-sim")
        .product_uri("urn:factory-sim")
        .host(addr.ip().to_string())
        .port(addr.port())
        .pki_dir(pki.path())
        .add_endpoint(
            "none",
            ServerEndpoint::new_none("/", &[ANONYMOUS_USER_TOKEN_ID.to_owned()]),
        )
        .discovery_urls(vec!["/".to_owned()])
        .with_node_manager(simple_node_manager(
            NamespaceMetadata {
                namespace_uri: NAMESPACE_URI.to_owned(),
                ..Default::default()
            },
            "factory-sim",
        ))
        .token(cancel.child_token())
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build the OPC UA server: {e}"))?;
    let nodes = handle
        .node_managers()
        .get_of_type::<SimpleNodeManager>()
        .context("the OPC UA server has no simple node manager")?;
    let ns = handle
        .get_namespace_index(NAMESPACE_URI)
        .context("the OPC UA server did not register its namespace")?;
    let ids = add_nodes(&nodes, ns, &plant);
    let updates = push_every_tick(plant, nodes, handle.subscriptions().clone(), ids);
    let run = server.run_with(listener);
    tokio::select! {
        r = run => r.map_err(|e| anyhow::anyhow!("OPC UA server failed: {e}")),
        () = updates => Ok(()),
        // The server closes its sessions on cancel; do not let a slow client hold up the exit.
        () = async {
            cancel.cancelled().await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        } => Ok(()),
    }
}

/// Adds the folders and one variable per map entry; returns the variables' ids in map order.
fn add_nodes(nodes: &SimpleNodeManager, ns: u16, plant: &SharedPlant) -> Vec<NodeId> {
    let snap = plant.snapshot();
    let mut space = nodes.address_space().write();
    let mut parent = NodeId::objects_folder_id();
    for depth in 1..=MACHINE_PATH.len() {
        let id = NodeId::new(ns, MACHINE_PATH[..depth].join("."));
        let name = MACHINE_PATH[depth - 1];
        space.add_folder(&id, QualifiedName::new(ns, name), name, &parent);
        parent = id;
    }
    let mut ids = Vec::with_capacity(MAP.len());
    for e in MAP {
        let id = NodeId::new(ns, node_id_string(e.id));
        let mut var = Variable::new(
            &id,
            QualifiedName::new(ns, e.id),
            e.id,
            variant(e, (e.read)(&snap)),
        );
        if let Some(unit) = e.unit {
            var.set_description(unit.into());
        }
        if e.writable {
            var.set_writable(true);
            var.set_user_access_level(AccessLevel::CURRENT_READ | AccessLevel::CURRENT_WRITE);
            let plant = plant.clone();
            let entry = *e;
            nodes
                .inner()
                .add_write_callback(id.clone(), move |value, _range| {
                    write(&plant, &entry, &value)
                });
        }
        space.add_variables(vec![var], &parent);
        ids.push(id);
    }
    ids
}

/// The value as the Modbus side decodes it.
fn variant(e: &MapEntry, v: f64) -> Variant {
    match e.encoding {
        Encoding::F32 => Variant::Float(v as f32),
        // Dividing by the inverse gives 63.8, not 63.800000000000004.
        Encoding::I16Scaled(scale) => {
            Variant::Double(f64::from((v / scale).round() as i16) / scale.recip())
        }
        Encoding::U16 => Variant::UInt16(v.round() as u16),
        Encoding::U32 => Variant::UInt32(v.round() as u32),
        Encoding::Bool => Variant::Boolean(v != 0.0),
    }
}

/// Applies a client's write of a writable point to the line.
fn write(plant: &SharedPlant, e: &MapEntry, value: &DataValue) -> StatusCode {
    let mut plant = plant.lock();
    if !plant.snapshot().online {
        return StatusCode::BadNoCommunication;
    }
    match (e.encoding, &value.value) {
        (Encoding::F32, Some(Variant::Float(rpm))) => {
            plant.line_mut().set_speed_setpoint(f64::from(*rpm));
        }
        (Encoding::F32, Some(Variant::Double(rpm))) => plant.line_mut().set_speed_setpoint(*rpm),
        (Encoding::Bool, Some(Variant::Boolean(run))) => plant.line_mut().set_run(*run),
        _ => return StatusCode::BadTypeMismatch,
    }
    StatusCode::Good
}

/// Pushes every variable after each simulation step, notifying subscriptions.
async fn push_every_tick(
    plant: SharedPlant,
    nodes: Arc<SimpleNodeManager>,
    subscriptions: Arc<SubscriptionCache>,
    ids: Vec<NodeId>,
) {
    let mut ticks = plant.subscribe_ticks();
    while ticks.changed().await.is_ok() {
        let snap = plant.snapshot();
        let now = DateTime::now();
        let status = if snap.online {
            StatusCode::Good
        } else {
            StatusCode::BadNoCommunication
        };
        let values = MAP.iter().zip(&ids).map(|(e, id)| {
            let value = DataValue {
                value: Some(variant(e, (e.read)(&snap))),
                status: Some(status),
                source_timestamp: Some(now),
                server_timestamp: Some(now),
                ..Default::default()
            };
            (id, None, value)
        });
        if let Err(e) = nodes.set_values(&subscriptions, values) {
            eprintln!("factory-sim: OPC UA update failed: {e}");
        }
    }
}
