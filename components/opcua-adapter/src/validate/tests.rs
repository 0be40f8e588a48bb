use super::*;
use serde_json::json;

fn server(extra: serde_json::Value) -> Result<Server, ConfigError> {
    let mut base = json!({
        "endpointUrl": "opc.tcp://localhost:4840/factory/",
        "nodes": {"temp": {"nodeId": "ns=2;s=Pump1.Temperature"}},
    });
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let config: ServerConfig = serde_json::from_value(base).expect("parses");
    validate_server("plc1", config)
}

fn error(extra: serde_json::Value) -> ConfigError {
    server(extra).expect_err("must be refused")
}

#[test]
fn the_default_configuration_is_valid() {
    let v = validate(OpcUaAdapterConfig::default()).expect("valid");
    assert_eq!(v.servers.len(), 1);
    assert_eq!(v.servers[0].nodes.len(), 4);
}

#[test]
fn numbers_may_be_strings_and_sampling_falls_back_to_the_server() {
    let s = server(json!({
        "securityPolicy": "Basic256Sha256", "securityMode": "SignAndEncrypt",
        "publishingIntervalMs": "250",
        "sampling": {"samplingIntervalMs": 100.0, "deadbandType": "absolute", "deadbandValue": "0.5"},
        "nodes": {
            "temp": {"nodeId": "ns=2;s=Pump1.Temperature"},
            "pres": {"browsePath": "Objects/2:Pump1/2:Pressure", "sampling": {"mode": "poll", "pollIntervalMs": 500}},
        },
    }))
    .expect("valid");
    assert_eq!(s.publishing_interval, Duration::from_millis(250));
    let temp = s.nodes.iter().find(|n| n.point == "temp").expect("temp");
    assert_eq!(temp.sampling.sampling_interval_ms, 100.0);
    assert_eq!(temp.sampling.deadband, Deadband::Absolute(0.5));
    let pres = s.nodes.iter().find(|n| n.point == "pres").expect("pres");
    assert_eq!(pres.sampling.mode, Mode::Poll);
    assert_eq!(pres.sampling.poll_interval, Duration::from_millis(500));
    assert_eq!(pres.sampling.deadband, Deadband::Absolute(0.5));
    match &pres.selector {
        Selector::BrowsePath(p) => assert_eq!(p.names.len(), 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_name_the_server_and_the_key() {
    let cases = [
        (
            json!({"endpointUrl": "http://x"}),
            "servers.plc1.endpointUrl",
        ),
        (
            json!({"securityPolicy": "Basic512"}),
            "servers.plc1.securityPolicy",
        ),
        (
            json!({"securityPolicy": "Basic256Sha256"}),
            "servers.plc1.securityMode",
        ),
        (json!({"securityMode": "Sign"}), "servers.plc1.securityMode"),
        (
            json!({"identity": {"type": "username", "username": "op"}}),
            "servers.plc1.identity.passwordSecretId",
        ),
        (
            json!({"identity": {"type": "certificate"}}),
            "servers.plc1.identity.certificatePath",
        ),
        (
            json!({"identity": {"type": "kerberos"}}),
            "servers.plc1.identity.type",
        ),
        (
            json!({"timestampSource": "plc"}),
            "servers.plc1.timestampSource",
        ),
        (
            json!({"requestTimeoutMs": 5}),
            "servers.plc1.requestTimeoutMs",
        ),
        (
            json!({"nodes": {"x": {"nodeId": "ns=2;q=??"}}}),
            "servers.plc1.nodes.x.nodeId",
        ),
        (json!({"nodes": {"x": {}}}), "servers.plc1.nodes.x"),
        (
            json!({"nodes": {"x": {"nodeId": "i=1", "browsePath": "Objects"}}}),
            "servers.plc1.nodes.x",
        ),
        (
            json!({"nodes": {"x": {"browsePath": "Objects//a"}}}),
            "servers.plc1.nodes.x.browsePath",
        ),
        (
            json!({"nodes": {"x": {"nodeId": "i=1", "sampling": {"deadbandType": "percent", "deadbandValue": 150}}}}),
            "servers.plc1.nodes.x.sampling.deadbandValue",
        ),
        (
            json!({"nodes": {"x": {"nodeId": "i=1", "sampling": {"deadbandType": "absolute"}}}}),
            "servers.plc1.nodes.x.sampling.deadbandValue",
        ),
        (
            json!({"nodes": {"x": {"nodeId": "i=1", "sampling": {"mode": "push"}}}}),
            "servers.plc1.nodes.x.sampling.mode",
        ),
        (
            json!({"nodes": {"x": {"nodeId": "i=1", "sampling": {"queueSize": 0}}}}),
            "servers.plc1.nodes.x.sampling.queueSize",
        ),
        (
            json!({"nodes": {}, "browse": {"all": {"underNodeId": "ns=2;s=Pump1", "maxDepth": 0}}}),
            "servers.plc1.browse.all.maxDepth",
        ),
        (
            json!({"nodes": {}, "browse": {"all": {}}}),
            "servers.plc1.browse.all",
        ),
        (json!({"nodes": {}}), "servers.plc1.nodes"),
    ];
    for (extra, path) in cases {
        let e = error(extra.clone());
        assert_eq!(e.path(), path, "{extra} -> {e}");
    }
}

#[test]
fn one_bad_server_is_left_out_and_the_others_run() {
    let config: OpcUaAdapterConfig = serde_json::from_value(json!({
        "servers": {
            "good": {"nodes": {"t": {"nodeId": "ns=2;s=Pump1.Temperature"}}},
            "bad": {"securityPolicy": "Rot13", "nodes": {"t": {"nodeId": "i=1"}}},
        }
    }))
    .expect("parses");
    let v = validate(config).expect("one usable server");
    assert_eq!(v.servers.len(), 1);
    assert_eq!(v.servers[0].id.as_str(), "good");
    assert_eq!(v.rejected.len(), 1);
    assert_eq!(v.rejected[0].path(), "servers.bad.securityPolicy");
    let none: OpcUaAdapterConfig = serde_json::from_value(json!({"servers": {}})).expect("parses");
    assert_eq!(validate(none).expect_err("no server").path(), "servers");
}

#[test]
fn browse_rules_keep_patterns_and_prefix() {
    let s = server(json!({
        "nodes": {},
        "browse": {"pump": {"underBrowsePath": "Objects/2:Pump1", "include": "Temp*", "exclude": "*Raw", "pointPrefix": "pump."}},
    }))
    .expect("valid");
    let rule = &s.browse[0];
    assert!(rule.include.matches("Temperature") && !rule.include.matches("Pressure"));
    assert!(rule.exclude.as_ref().is_some_and(|p| p.matches("TempRaw")));
    assert_eq!(rule.point_prefix, "pump.");
    assert_eq!(rule.max_depth, 8);
}
