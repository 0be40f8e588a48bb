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
    let merge = &doc["components"]["com.smartfactory.ModbusAdapter"]["configurationUpdate"];
    assert_eq!(
        merge["reset"],
        serde_json::json!(["/devices"]),
        "the recipe's example device is reset"
    );
    let device = &merge["merge"]["devices"]["pump1"];
    assert_eq!(
        device["points"],
        adapter_points(),
        "regenerate with `factory-sim adapter-points`"
    );
    assert_eq!(device["transport"]["port"], "5020");
    assert_eq!(device["unitId"], "1");
}
