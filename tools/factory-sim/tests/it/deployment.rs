//! The demo deployment reads this simulator: its ModbusAdapter points are the register map.

use factory_sim::registers::adapter_points;

#[test]
fn the_demo_deployment_points_the_adapter_at_the_register_map() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/local/factory-demo.json"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
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
