//! Faults injected through the control port and by schedule, seen over Modbus.

use std::time::Duration;

use factory_sim::control::send;
use factory_sim::registers::f32_from_words;
use tokio_modbus::Slave;
use tokio_modbus::client::{Reader, tcp};

use crate::sim::Sim;

#[tokio::test]
async fn an_injected_valve_closure_shows_in_the_registers_and_clears() {
    let sim = Sim::start(&[]);
    let mut ctx = tcp::connect_slave(sim.modbus, Slave(1)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let flow = |w: Vec<u16>| f32_from_words(w[2], w[3]);
    let before = flow(ctx.read_input_registers(0, 4).await.unwrap().unwrap());
    let reply = send(sim.control, "fault valve-closure 1 60s")
        .await
        .unwrap();
    assert!(reply.starts_with("ok valve-closure"), "{reply}");
    tokio::time::sleep(Duration::from_secs(8)).await;
    let during = flow(ctx.read_input_registers(0, 4).await.unwrap().unwrap());
    assert!(during < 0.6 * before, "flow {before} -> {during}");
    let status: serde_json::Value =
        serde_json::from_str(&send(sim.control, "status").await.unwrap()).unwrap();
    assert_eq!(status["faults"], serde_json::json!(["valve-closure"]));
    assert!(status["modbusRequests"].as_u64().unwrap() >= 2);
    assert_eq!(
        send(sim.control, "clear all").await.unwrap(),
        "ok cleared all"
    );
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after = flow(ctx.read_input_registers(0, 4).await.unwrap().unwrap());
    assert!(after > 0.9 * before, "flow back {after}");
}

#[tokio::test]
async fn a_scheduled_offline_fault_silences_modbus_then_it_answers_again() {
    let sim = Sim::start(&["--fault", "offline@1s+3s"]);
    let mut ctx = tcp::connect_slave(sim.modbus, Slave(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let silent = tokio::time::timeout(Duration::from_secs(1), ctx.read_input_registers(0, 2)).await;
    assert!(silent.is_err(), "no answer while offline: {silent:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The old connection may hold the unanswered request's transaction; a new one is clean.
    let mut ctx = tcp::connect_slave(sim.modbus, Slave(1)).await.unwrap();
    let back = tokio::time::timeout(Duration::from_secs(2), ctx.read_input_registers(0, 2)).await;
    assert!(matches!(back, Ok(Ok(Ok(_)))), "{back:?}");
}

#[tokio::test]
async fn bad_control_commands_get_an_error_naming_the_cause() {
    let sim = Sim::start(&[]);
    let reply = send(sim.control, "fault meltdown").await.unwrap();
    assert!(
        reply.starts_with("error unknown fault `meltdown`"),
        "{reply}"
    );
    let reply = send(sim.control, "fault drift 7").await.unwrap();
    assert!(reply.contains("severity `7`"), "{reply}");
    // Still up and answering.
    assert!(
        send(sim.control, "help")
            .await
            .unwrap()
            .starts_with("ok commands")
    );
}
