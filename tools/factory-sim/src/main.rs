//! `factory-sim`: wires the pump-line model to its Modbus and OPC UA servers, control port and MQTT
//! sensors.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use factory_sim::cli::{Args, Cmd};
use factory_sim::model::PumpLine;
use factory_sim::plant::SharedPlant;
use factory_sim::{control, listen, modbus, mqtt, opcua, registers};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let result = match &args.command {
        Some(Cmd::Ctl { words }) => ctl(&args, &words.join(" ")).await,
        Some(Cmd::AdapterPoints) => {
            println!("{:#}", registers::adapter_points());
            Ok(())
        }
        None => run(args).await,
    };
    if let Err(e) = result {
        eprintln!("factory-sim: {e:#}");
        std::process::exit(1);
    }
}

async fn ctl(args: &Args, line: &str) -> anyhow::Result<()> {
    let reply = control::send(SocketAddr::new(args.host, args.control_port), line).await?;
    println!("{reply}");
    if reply.starts_with("error") {
        anyhow::bail!("the simulator refused the command");
    }
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<()> {
    let dt = Duration::from_millis(args.step_ms);
    let line = if args.cold_start {
        PumpLine::new(args.seed, args.faults.clone())
    } else {
        PumpLine::warm(args.seed, args.faults.clone())
    };
    let plant = SharedPlant::new(line, dt);
    let modbus_listener = modbus::bind(SocketAddr::new(args.host, args.modbus_port)).await?;
    let control_listener = control::bind(SocketAddr::new(args.host, args.control_port)).await?;
    let opcua_listener = match args.opcua_port {
        0 => None,
        port => Some(opcua::bind(SocketAddr::new(args.host, port)).await?),
    };
    let opcua_addr = opcua_listener
        .as_ref()
        .map(tokio::net::TcpListener::local_addr)
        .transpose()?;
    let modbus_addr = modbus_listener.local_addr()?;
    let control_addr = control_listener.local_addr()?;

    let cancel = CancellationToken::new();
    let tasks = TaskTracker::new();
    tasks.spawn({
        let (plant, cancel) = (plant.clone(), cancel.clone());
        async move { plant.run_clock(dt, cancel).await }
    });
    tasks.spawn({
        let service = modbus::PlcService::new(plant.clone(), args.unit_id);
        let cancel = cancel.clone();
        async move {
            if let Err(e) = modbus::serve(modbus_listener, service, cancel.clone()).await {
                eprintln!("factory-sim: Modbus server stopped: {e}");
                cancel.cancel();
            }
        }
    });
    if let Some(listener) = opcua_listener {
        let (plant, cancel) = (plant.clone(), cancel.clone());
        tasks.spawn(async move {
            if let Err(e) = opcua::serve(listener, plant, cancel.clone()).await {
                eprintln!("factory-sim: OPC UA server stopped: {e:#}");
                cancel.cancel();
            }
        });
    }
    tasks.spawn(control::serve(
        control_listener,
        plant.clone(),
        cancel.clone(),
    ));
    let mqtt_note = if args.no_mqtt {
        "MQTT sensors off (--no-mqtt)".to_owned()
    } else if mqtt::broker_reachable(args.mqtt).await {
        tasks.spawn(mqtt::run(
            args.mqtt,
            args.device.clone(),
            plant.clone(),
            cancel.clone(),
        ));
        format!(
            "MQTT sensors publishing to {} (factory-sim/{}/#)",
            args.mqtt, args.device
        )
    } else {
        format!(
            "no MQTT broker at {} (optional; install/start mosquitto for the MQTT sensors): MQTT sensors off",
            args.mqtt
        )
    };

    if let Some(path) = &args.ready_file {
        let ready = serde_json::json!({
            "modbusPort": modbus_addr.port(),
            "controlPort": control_addr.port(),
            "opcuaPort": opcua_addr.map(|a| a.port()),
        });
        std::fs::write(path, ready.to_string())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let schedule: Vec<String> = args
        .faults
        .iter()
        .map(|f| {
            let dur = f.duration.map_or("until cleared".to_owned(), |d| {
                format!("for {}s", d.as_secs_f64())
            });
            format!("{}@{}s {dur}", f.kind, f.start.as_secs_f64())
        })
        .collect();
    println!(
        "factory-sim ready: Modbus TCP {modbus_addr} unit {}, control {control_addr}, seed {}, faults: {}",
        args.unit_id,
        args.seed,
        if schedule.is_empty() {
            "none scheduled".to_owned()
        } else {
            schedule.join(", ")
        }
    );
    match opcua_addr {
        Some(a) => println!(
            "factory-sim: OPC UA opc.tcp://{a}/ (security None, anonymous), nodes nsu={};s={}.*",
            opcua::NAMESPACE_URI,
            opcua::MACHINE_PATH.join(".")
        ),
        None => println!("factory-sim: OPC UA off (--opcua-port 0)"),
    }
    println!("factory-sim: {mqtt_note}");

    // An internal failure (the Modbus or OPC UA server stopping) cancels too.
    tokio::select! {
        () = listen::stop_requested(args.seconds) => {}
        () = cancel.cancelled() => {}
    }
    cancel.cancel();
    tasks.close();
    tasks.wait().await;
    let last = plant.snapshot();
    println!(
        "factory-sim stopped after {:.1}s: {} good / {} bad parts, {} Modbus requests answered",
        last.time_ms as f64 / 1000.0,
        last.good_parts,
        last.bad_parts,
        plant.lock().modbus_requests()
    );
    Ok(())
}
