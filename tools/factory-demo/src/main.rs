//! `factory-demo`: `plan` stages the demo deployment, `view` runs the live view, `cloud` the
//! local Kinesis/S3 stand-in.

use clap::Parser;
use factory_demo::cli::{Args, Cmd};
use factory_demo::{cloud, plan, view};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let result = match args.command {
        Cmd::Plan(p) => run_plan(&p),
        Cmd::View(v) => view::app::run(v).await,
        Cmd::Cloud(c) => cloud::run(c).await,
    };
    if let Err(e) = result {
        eprintln!("factory-demo: {e:#}");
        std::process::exit(1);
    }
}

fn run_plan(p: &factory_demo::cli::PlanArgs) -> anyhow::Result<()> {
    let planned = plan::plan(&plan::Paths {
        deployment: p.deployment.clone(),
        recipes: p.recipes.clone(),
        bin_dir: p.bin_dir.clone(),
        artifacts: p.artifacts.clone(),
        out: p.out.clone(),
        modbus_port: p.modbus_port,
        opcua_port: p.opcua_port,
        models: p.models.clone(),
        cloud_url: p.cloud_url.clone(),
    })?;
    if let Some(out) = &p.runtime_out {
        plan::runtime_config_with_demo_credentials(&p.runtime_config, out)?;
    }
    for c in &planned.included {
        println!("  deploy   {:<36} {}", c.name, c.artifact.display());
    }
    for (name, why) in &planned.skipped {
        println!("  skip     {name:<36} not deployed: {why}");
    }
    Ok(())
}
