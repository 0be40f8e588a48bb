//! The demo deployment reads this simulator: its ModbusAdapter points are the register map, its
//! OpcUaAdapter nodes are variables of the OPC UA server.

use factory_sim::opcua::node_id_string;
use factory_sim::registers::{MAP, adapter_points};

fn demo_deployment() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/local/factory-demo.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_demo_deployment_points_the_adapter_at_the_register_map() {
    let doc = demo_deployment();
    let merge =
        &doc["components"]["com.smartfactory.ModbusAdapter"]["configurationUpdate"]["merge"];
    let device = &merge["devices"]["pump1"];
    assert_eq!(
        device["points"],
        adapter_points(),
        "regenerate with `factory-sim adapter-points`"
    );
    assert_eq!(device["transport"]["port"], "5020");
    assert_eq!(device["unitId"], "1");
    // A merge cannot remove the recipe's example device `sim-plc1`, so the demo points it at the
    // simulator too; its five points must all lie inside the register map.
    let example = &merge["devices"]["sim-plc1"];
    assert_eq!(example["transport"]["port"], "5020");
    let map = adapter_points();
    for (name, p) in example["points"].as_object().unwrap() {
        let hit = map.as_object().unwrap().values().any(|m| {
            m["table"] == p["table"] && m["address"] == p["address"] && m["type"] == p["type"]
        });
        assert!(hit, "sim-plc1 point {name} is not in the register map: {p}");
    }
}

#[test]
fn the_demo_deployment_reads_opcua_variables_the_simulator_serves() {
    let doc = demo_deployment();
    // The recipe's example server `sim-opcua1` cannot be removed by a merge, so the demo points
    // it at the simulator; the namespace index is checked against a live server in opcua.rs.
    let server = &doc["components"]["com.smartfactory.OpcUaAdapter"]["configurationUpdate"]["merge"]
        ["servers"]["sim-opcua1"];
    assert_eq!(server["endpointUrl"], "opc.tcp://127.0.0.1:4840/");
    assert_eq!(server["securityPolicy"], "None");
    let served: Vec<String> = MAP
        .iter()
        .map(|e| format!("ns=2;s={}", node_id_string(e.id)))
        .collect();
    let nodes = server["nodes"].as_object().unwrap();
    assert!(nodes.len() >= 4, "{server}");
    for (point, node) in nodes {
        let id = node["nodeId"].as_str().unwrap();
        assert!(
            served.iter().any(|s| s == id),
            "OpcUaAdapter point {point} reads {id}, which the simulator does not serve"
        );
    }
}
