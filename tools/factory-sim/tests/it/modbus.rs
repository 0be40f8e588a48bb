//! The register map read over Modbus TCP by tokio-modbus's client.

use std::time::Duration;

use factory_sim::registers::{MAP, Table, f32_from_words};
use tokio_modbus::client::{Context, Reader, Writer, tcp};
use tokio_modbus::{ExceptionCode, Slave};

use crate::sim::Sim;

async fn connect(sim: &Sim) -> Context {
    tcp::connect_slave(sim.modbus, Slave(1)).await.unwrap()
}

async fn read_f32(ctx: &mut Context, addr: u16) -> f32 {
    let w = ctx.read_input_registers(addr, 2).await.unwrap().unwrap();
    f32_from_words(w[0], w[1])
}

#[tokio::test]
async fn every_mapped_point_reads_and_the_values_are_plausible_and_move() {
    let sim = Sim::start(&["--seed", "3"]);
    let mut ctx = connect(&sim).await;
    // The whole map in one request per table, as the adapter's planner merges them.
    let input = ctx.read_input_registers(0, 23).await.unwrap().unwrap();
    let holding = ctx.read_holding_registers(0, 12).await.unwrap().unwrap();
    let coils = ctx.read_coils(0, 1).await.unwrap().unwrap();
    let discrete = ctx.read_discrete_inputs(0, 2).await.unwrap().unwrap();
    assert_eq!(input.len(), 23);
    assert_eq!(holding.len(), 12);
    assert!(coils[0], "the motor's run command is on at start");
    assert_eq!(discrete, vec![false, false]);
    let setpoint = f32_from_words(holding[10], holding[11]);
    assert_eq!(setpoint, 2950.0);
    // Let the motor reach speed (tau 2 s), then the line sits near its design point.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let flow = read_f32(&mut ctx, 2).await;
    assert!((45.0..55.0).contains(&flow), "flow {flow}");
    let state = ctx.read_holding_registers(0, 1).await.unwrap().unwrap()[0];
    assert_eq!(state, 2, "running");
    let a = read_f32(&mut ctx, 12).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b = read_f32(&mut ctx, 12).await;
    assert_ne!(a, b, "vibration is a live signal");
    let temp = f64::from(ctx.read_input_registers(20, 1).await.unwrap().unwrap()[0] as i16) * 0.1;
    // The line starts warm (thermal steady state), far above the 22 degC ambient.
    assert!((45.0..90.0).contains(&temp), "motor temperature {temp}");
    let out = sim.stop();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("factory-sim stopped after"), "{stdout}");
}

#[tokio::test]
async fn addresses_outside_the_map_get_exception_2_and_reads_keep_working() {
    let sim = Sim::start(&[]);
    let mut ctx = connect(&sim).await;
    let last_input = MAP
        .iter()
        .filter(|e| e.table == Table::Input)
        .map(|e| e.address + e.encoding.width())
        .max()
        .unwrap();
    let r = ctx.read_input_registers(last_input, 1).await.unwrap();
    assert_eq!(r, Err(ExceptionCode::IllegalDataAddress));
    let r = ctx.write_single_register(0, 5).await.unwrap();
    assert_eq!(
        r,
        Err(ExceptionCode::IllegalDataAddress),
        "machine state is read-only"
    );
    assert!(ctx.read_input_registers(0, 2).await.unwrap().is_ok());
}

#[tokio::test]
async fn writing_the_setpoint_and_the_run_coil_drives_the_motor() {
    let sim = Sim::start(&[]);
    let mut ctx = connect(&sim).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let rpm = 2000.0f32.to_bits();
    ctx.write_multiple_registers(10, &[(rpm >> 16) as u16, rpm as u16])
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let speed = read_f32(&mut ctx, 0).await;
    assert!((1950.0..2050.0).contains(&speed), "speed {speed}");
    ctx.write_single_coil(0, false).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_secs(12)).await;
    let state = ctx.read_holding_registers(0, 1).await.unwrap().unwrap()[0];
    assert_eq!(state, 0, "stopped");
    assert!(read_f32(&mut ctx, 0).await < 50.0);
}
