//! The command and response messages match the JSON Schemas in `schemas/`, and the router and
//! the command schema agree on what a well-formed command is.

use crate::bounded;
use crate::writes::rig;
use jsonschema::Validator;
use serde_json::{Value as Json, json};

fn validator(file: &str) -> Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("schema file");
    let schema: Json = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::meta::validate(&schema).expect("a valid draft 2020-12 schema");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

pub(crate) fn assert_response_valid(reply: &Json) {
    let errors: Vec<String> = validator("write-response.schema.json")
        .iter_errors(reply)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{reply} breaks the response schema: {errors:?}"
    );
}

#[tokio::test]
async fn commands_the_schema_refuses_are_refused_by_the_router_too() {
    let commands = validator("write-command.schema.json");
    let rig = rig(true);
    bounded(async {
        let good = json!({"requestId": 7, "action": "write", "device": "sim", "point": "setpoint", "value": 20.0});
        assert!(commands.is_valid(&good));
        let reply = rig.router.handle(good).await;
        assert_eq!(reply["ok"], true, "{reply}");
        assert_response_valid(&reply);

        let malformed = [
            json!({"action": "write", "device": "sim", "point": "setpoint"}),
            json!({"action": "write", "device": "sim", "value": 1}),
            json!({"action": "write", "point": "setpoint", "value": 1}),
            json!({"action": "write", "device": "sim", "point": "setpoint", "value": [1, 2]}),
            json!({"action": "erase", "device": "sim", "point": "setpoint", "value": 1}),
            json!("not an object"),
        ];
        for command in malformed {
            assert!(!commands.is_valid(&command), "schema accepts {command}");
            let reply = rig.router.handle(command.clone()).await;
            assert_eq!(reply["ok"], false, "router accepts {command}: {reply}");
            assert_response_valid(&reply);
        }
    })
    .await;
}
