//! The supervisor against real `sh` scripts: recipes in a temp dir, resolved and applied as a
//! deployment would be. Every wait is bounded; backoffs are milliseconds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gg_local::deployment::{DeploymentDocument, RecipeStore, ResolveContext, resolve};
use gg_local::lifecycle::{
    ApplyReport, ComponentState, ReportedState, Supervisor, SupervisorConfig,
};
use serde_json::{Value, json};
use tempfile::TempDir;

const LIMIT: Duration = Duration::from_secs(15);

struct Gg {
    dir: TempDir,
    supervisor: Supervisor,
}

impl Gg {
    fn new() -> Self {
        Self::with_config(|_| {})
    }

    fn with_config(adjust: impl FnOnce(&mut SupervisorConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("recipes")).expect("recipes dir");
        let mut config = SupervisorConfig::new(&dir.path().join("root"));
        config.base_env = BTreeMap::from([("AWS_REGION".to_owned(), "eu-west-1".to_owned())]);
        config.env_hook = Arc::new(|component: &str| {
            BTreeMap::from([("SVCUID".to_owned(), format!("token-{component}"))])
        });
        config.restart_backoff = Duration::from_millis(20);
        config.stop_timeout = Duration::from_secs(3);
        adjust(&mut config);
        Self {
            dir,
            supervisor: Supervisor::new(config),
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn work(&self, component: &str) -> PathBuf {
        self.root().join("work").join(component)
    }

    /// Writes a JSON recipe with `lifecycle` as its only manifest's lifecycle.
    fn recipe(&self, name: &str, version: &str, extra: Value, lifecycle: Value) {
        let mut recipe = json!({
            "RecipeFormatVersion": "2020-01-25",
            "ComponentName": name,
            "ComponentVersion": version,
            "Manifests": [{"Platform": {"os": "*"}, "Lifecycle": lifecycle}]
        });
        if let (Some(r), Some(extra)) = (recipe.as_object_mut(), extra.as_object()) {
            r.extend(extra.clone());
        }
        let path = self
            .dir
            .path()
            .join("recipes")
            .join(format!("{name}-{version}.json"));
        std::fs::write(path, recipe.to_string()).expect("write recipe");
    }

    async fn deploy(&self, document: Value) -> ApplyReport {
        let store = RecipeStore::load(&[self.dir.path().join("recipes")]).expect("load recipes");
        let document = DeploymentDocument::parse(&document.to_string(), Path::new("test.json"))
            .expect("parse document");
        let ctx = ResolveContext::new(
            "test-thing",
            &self.root(),
            &self.dir.path().join("artifacts"),
        );
        let current: BTreeMap<String, Value> = self
            .supervisor
            .components()
            .iter()
            .map(|c| (c.name.clone(), c.configuration.clone()))
            .collect();
        let resolved = resolve(&document, &store, &ctx, &current).expect("resolve");
        self.supervisor.apply(resolved).await.expect("apply")
    }

    async fn wait_state(&self, component: &str, state: ComponentState) {
        let mut rx = self.supervisor.subscribe();
        let reached =
            tokio::time::timeout(LIMIT, rx.wait_for(|m| m.get(component) == Some(&state))).await;
        assert!(
            matches!(reached, Ok(Ok(_))),
            "{component} never reached {state}; states: {:?}",
            self.supervisor.states()
        );
    }

    fn state(&self, component: &str) -> Option<ComponentState> {
        self.supervisor.states().get(component).copied()
    }

    async fn shutdown(&self) {
        tokio::time::timeout(LIMIT, self.supervisor.shutdown_all())
            .await
            .expect("shutdown_all took too long");
    }
}

/// Polls `path` until its text satisfies `done`, and returns the text.
async fn wait_file(path: &Path, done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if done(&text) {
            return text;
        }
        assert!(
            start.elapsed() < LIMIT,
            "{} never got there; it holds: {text:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

fn process_is_gone(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    stat.is_empty() || stat.contains(") Z")
}

#[tokio::test]
async fn install_runs_before_run_and_a_clean_exit_finishes() {
    let gg = Gg::new();
    gg.recipe(
        "com.test.A",
        "1.0.0",
        json!({}),
        json!({
            "Install": "echo install >> order",
            "Run": "echo run >> order"
        }),
    );
    let report = gg
        .deploy(json!({"components": {"com.test.A": {"componentVersion": "1.0.0"}}}))
        .await;
    assert_eq!(report.started, ["com.test.A"]);
    gg.wait_state("com.test.A", ComponentState::Finished).await;
    let order = std::fs::read_to_string(gg.work("com.test.A").join("order")).unwrap();
    assert_eq!(lines(&order), ["install", "run"]);
    gg.shutdown().await;
}

#[tokio::test]
async fn the_environment_holds_base_hook_and_setenv_variables_and_nothing_inherited() {
    let gg = Gg::new();
    gg.recipe(
        "com.test.Env",
        "1.0.0",
        json!({}),
        json!({
            "Setenv": {"FROM_RECIPE": "lifecycle", "AWS_REGION": "us-east-1"},
            "Run": {"Script": "env > env.txt; pwd > pwd.txt", "Setenv": {"FROM_RECIPE": "step"}}
        }),
    );
    gg.deploy(json!({"components": {"com.test.Env": {"componentVersion": "1.0.0"}}}))
        .await;
    gg.wait_state("com.test.Env", ComponentState::Finished)
        .await;
    let work = gg.work("com.test.Env");
    let env = std::fs::read_to_string(work.join("env.txt")).unwrap();
    let env: BTreeMap<&str, &str> = env.lines().filter_map(|l| l.split_once('=')).collect();
    assert_eq!(env["SVCUID"], "token-com.test.Env");
    assert_eq!(
        env["AWS_REGION"], "us-east-1",
        "recipe Setenv wins over the base env"
    );
    assert_eq!(
        env["FROM_RECIPE"], "step",
        "step Setenv wins over lifecycle Setenv"
    );
    assert!(env.contains_key("PATH"));
    // cargo sets this for the test process; a component must not see it.
    assert!(!env.contains_key("CARGO_MANIFEST_DIR"), "{env:?}");
    let pwd = std::fs::read_to_string(work.join("pwd.txt")).unwrap();
    assert_eq!(
        Path::new(pwd.trim()).canonicalize().unwrap(),
        work.canonicalize().unwrap()
    );
    gg.shutdown().await;
}

#[tokio::test]
async fn output_goes_to_the_component_log_and_state_changes_to_greengrass_log() {
    let gg = Gg::new();
    gg.recipe(
        "com.test.Log",
        "1.0.0",
        json!({}),
        json!({
            "Install": "echo preparing",
            "Run": "echo hello; echo trouble >&2"
        }),
    );
    gg.deploy(json!({"components": {"com.test.Log": {"componentVersion": "1.0.0"}}}))
        .await;
    gg.wait_state("com.test.Log", ComponentState::Finished)
        .await;
    let logs = gg.root().join("logs");
    let log = std::fs::read_to_string(logs.join("com.test.Log.log")).unwrap();
    assert!(
        log.contains("[INFO] (Install) com.test.Log: stdout. preparing"),
        "{log}"
    );
    assert!(
        log.contains("[INFO] (Run) com.test.Log: stdout. hello"),
        "{log}"
    );
    assert!(
        log.contains("[WARN] (Run) com.test.Log: stderr. trouble"),
        "{log}"
    );
    let first = log.lines().next().unwrap();
    assert!(
        first.starts_with("20") && first.as_bytes()[23] == b'Z',
        "{first}"
    );
    let runtime = std::fs::read_to_string(logs.join("greengrass.log")).unwrap();
    for change in [
        "(none) -> NEW",
        "NEW -> INSTALLED",
        "INSTALLED -> RUNNING",
        "RUNNING -> FINISHED",
    ] {
        assert!(
            runtime.contains(&format!("com.test.Log: service-set-state. {change}")),
            "{runtime}"
        );
    }
    gg.shutdown().await;
}

#[tokio::test]
async fn a_failing_run_is_recovered_and_restarted_then_broken_after_three_errors() {
    let gg = Gg::new();
    gg.recipe(
        "com.test.Flaky",
        "1.0.0",
        json!({}),
        json!({
            "Run": "echo attempt >> attempts; exit 1",
            "Recover": "echo recover >> attempts"
        }),
    );
    gg.deploy(json!({"components": {"com.test.Flaky": {"componentVersion": "1.0.0"}}}))
        .await;
    gg.wait_state("com.test.Flaky", ComponentState::Broken)
        .await;
    let attempts = std::fs::read_to_string(gg.work("com.test.Flaky").join("attempts")).unwrap();
    assert_eq!(
        lines(&attempts),
        ["attempt", "recover", "attempt", "recover", "attempt"]
    );
    // BROKEN stays down.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(gg.state("com.test.Flaky"), Some(ComponentState::Broken));
    let runtime = std::fs::read_to_string(gg.root().join("logs/greengrass.log")).unwrap();
    assert!(
        runtime.contains("ERRORED -> BROKEN: failed 3 times in a row"),
        "{runtime}"
    );
    assert!(runtime.contains("Run failed with exit code 1"), "{runtime}");
    gg.shutdown().await;
}

#[tokio::test]
async fn a_run_that_stayed_up_long_enough_starts_a_fresh_error_count() {
    // Every run counts as stable, so errors never accumulate to BROKEN.
    let gg = Gg::with_config(|config| config.stable_after = Duration::ZERO);
    gg.recipe(
        "com.test.Sometimes",
        "1.0.0",
        json!({}),
        json!({
            "Run": "echo attempt >> attempts; exit 1"
        }),
    );
    gg.deploy(json!({"components": {"com.test.Sometimes": {"componentVersion": "1.0.0"}}}))
        .await;
    let attempts = gg.work("com.test.Sometimes").join("attempts");
    wait_file(&attempts, |t| t.lines().count() >= 5).await;
    assert_ne!(gg.state("com.test.Sometimes"), Some(ComponentState::Broken));
    gg.shutdown().await;
}

#[tokio::test]
async fn a_component_that_reports_errored_is_restarted() {
    let gg = Gg::new();
    gg.recipe(
        "com.test.Reporter",
        "1.0.0",
        json!({}),
        json!({
            "Run": "echo start >> starts; exec sleep 30"
        }),
    );
    gg.deploy(json!({"components": {"com.test.Reporter": {"componentVersion": "1.0.0"}}}))
        .await;
    let starts = gg.work("com.test.Reporter").join("starts");
    wait_file(&starts, |t| t.lines().count() == 1).await;
    gg.supervisor
        .report_state("com.test.Reporter", ReportedState::Errored)
        .expect("report");
    wait_file(&starts, |t| t.lines().count() == 2).await;
    gg.wait_state("com.test.Reporter", ComponentState::Running)
        .await;
    let unknown = gg
        .supervisor
        .report_state("com.test.Nobody", ReportedState::Running);
    assert!(unknown.is_err());
    gg.shutdown().await;
}

#[tokio::test]
async fn a_script_that_traps_sigterm_gets_shutdown_then_sigterm_then_sigkill() {
    let gg = Gg::new();
    gg.recipe(
        "com.test.Stubborn",
        "1.0.0",
        json!({}),
        json!({
            "Run": "trap 'echo term >> signals' TERM; echo $$ > pid; \
                    while true; do sleep 0.05; done",
            "Shutdown": {"Script": "echo shutdown >> signals", "Timeout": 0.5}
        }),
    );
    gg.deploy(json!({"components": {"com.test.Stubborn": {"componentVersion": "1.0.0"}}}))
        .await;
    let work = gg.work("com.test.Stubborn");
    let pid = wait_file(&work.join("pid"), |t| t.ends_with('\n')).await;
    gg.wait_state("com.test.Stubborn", ComponentState::Running)
        .await;

    let start = Instant::now();
    gg.shutdown().await;
    let took = start.elapsed();
    // The grace period (the Shutdown Timeout) ran out before SIGKILL.
    assert!(took >= Duration::from_millis(500), "stopped after {took:?}");
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    let signals = std::fs::read_to_string(work.join("signals")).unwrap();
    assert_eq!(lines(&signals), ["shutdown", "term"]);
    assert!(process_is_gone(&pid), "pid {pid} survived");
    assert!(gg.supervisor.states().is_empty());
}

#[tokio::test]
async fn startup_stays_starting_until_the_component_reports_running() {
    let gg = Gg::new();
    gg.recipe(
        "com.test.Daemon",
        "1.0.0",
        json!({}),
        json!({
            "Startup": {"Script": "echo $$ > pid; exec sleep 30", "Timeout": 20}
        }),
    );
    gg.deploy(json!({"components": {"com.test.Daemon": {"componentVersion": "1.0.0"}}}))
        .await;
    gg.wait_state("com.test.Daemon", ComponentState::Starting)
        .await;
    let pid = wait_file(&gg.work("com.test.Daemon").join("pid"), |t| {
        t.ends_with('\n')
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(gg.state("com.test.Daemon"), Some(ComponentState::Starting));

    gg.supervisor
        .report_state("com.test.Daemon", ReportedState::Running)
        .unwrap();
    gg.wait_state("com.test.Daemon", ComponentState::Running)
        .await;
    gg.shutdown().await;
    assert!(process_is_gone(&pid), "pid {pid} survived");
}

#[tokio::test]
async fn a_startup_that_misses_its_timeout_is_errored() {
    let gg = Gg::new();
    gg.recipe(
        "com.test.Slow",
        "1.0.0",
        json!({}),
        json!({
            "Startup": {"Script": "echo start >> starts; exec sleep 30", "Timeout": 0.2}
        }),
    );
    gg.deploy(json!({"components": {"com.test.Slow": {"componentVersion": "1.0.0"}}}))
        .await;
    gg.wait_state("com.test.Slow", ComponentState::Broken).await;
    let starts = std::fs::read_to_string(gg.work("com.test.Slow").join("starts")).unwrap();
    // Three attempts; on a loaded machine an attempt may be cut off before its first line.
    let attempts = lines(&starts).len();
    assert!((1..=3).contains(&attempts), "{attempts} attempts logged");
    let runtime = std::fs::read_to_string(gg.root().join("logs/greengrass.log")).unwrap();
    assert!(
        runtime.contains("Startup did not exit 0 or report RUNNING within 0.2s"),
        "{runtime}"
    );
    gg.shutdown().await;
}

#[tokio::test]
async fn a_component_starts_only_after_its_hard_dependency_is_running() {
    let gg = Gg::new();
    gg.recipe(
        "com.test.Base",
        "1.0.0",
        json!({}),
        json!({
            "Startup": "sleep 0.3; echo base >> {kernel:rootPath}/order",
            "Shutdown": "echo stop-base >> {kernel:rootPath}/order"
        }),
    );
    gg.recipe(
        "com.test.App",
        "1.0.0",
        json!({"ComponentDependencies": {"com.test.Base": {"VersionRequirement": "^1.0.0"}}}),
        json!({
            "Run": "echo app >> {kernel:rootPath}/order; exec sleep 30",
            "Shutdown": "echo stop-app >> {kernel:rootPath}/order"
        }),
    );
    let report = gg
        .deploy(json!({"components": {"com.test.App": {"componentVersion": "1.0.0"}}}))
        .await;
    assert_eq!(report.started, ["com.test.Base", "com.test.App"]);
    gg.wait_state("com.test.App", ComponentState::Running).await;
    assert_eq!(gg.state("com.test.Base"), Some(ComponentState::Running));
    // RUNNING means spawned; on a busy machine the script may not have written its line yet.
    let order_file = gg.root().join("order");
    for _ in 0..200 {
        let order = std::fs::read_to_string(&order_file).unwrap_or_default();
        if lines(&order).contains(&"app") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    gg.shutdown().await;
    let order = std::fs::read_to_string(order_file).unwrap();
    assert_eq!(lines(&order), ["base", "app", "stop-app", "stop-base"]);
}

#[tokio::test]
async fn a_configuration_only_change_keeps_the_component_running() {
    let gg = Gg::new();
    let defaults = json!({"ComponentConfiguration": {"DefaultConfiguration": {"level": "low"}}});
    gg.recipe(
        "com.test.Cfg",
        "1.0.0",
        defaults,
        json!({
            "Run": "echo start >> starts; exec sleep 30"
        }),
    );
    let deploy = |level: &str| {
        json!({"components": {"com.test.Cfg": {"componentVersion": "1.0.0",
            "configurationUpdate": {"merge": {"level": level}}}}})
    };
    gg.deploy(deploy("medium")).await;
    gg.wait_state("com.test.Cfg", ComponentState::Running).await;
    let starts = gg.work("com.test.Cfg").join("starts");
    wait_file(&starts, |t| t.lines().count() == 1).await;

    let report = gg.deploy(deploy("high")).await;
    assert_eq!(report.reconfigured, ["com.test.Cfg"]);
    assert!(report.restarted.is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(gg.state("com.test.Cfg"), Some(ComponentState::Running));
    assert_eq!(std::fs::read_to_string(&starts).unwrap().lines().count(), 1);
    let deployed = gg.supervisor.component("com.test.Cfg").unwrap();
    assert_eq!(deployed.configuration["level"], "high");
    gg.shutdown().await;
}

#[tokio::test]
async fn a_configuration_value_used_in_a_script_restarts_the_component() {
    let gg = Gg::new();
    let defaults = json!({"ComponentConfiguration": {"DefaultConfiguration": {"level": "low"}}});
    gg.recipe(
        "com.test.Arg",
        "1.0.0",
        defaults,
        json!({
            "Run": "echo {configuration:/level} >> starts; exec sleep 30"
        }),
    );
    let deploy = |level: &str| {
        json!({"components": {"com.test.Arg": {"componentVersion": "1.0.0",
            "configurationUpdate": {"merge": {"level": level}}}}})
    };
    gg.deploy(deploy("medium")).await;
    let starts = gg.work("com.test.Arg").join("starts");
    wait_file(&starts, |t| t.lines().count() == 1).await;
    let report = gg.deploy(deploy("high")).await;
    assert_eq!(report.restarted, ["com.test.Arg"]);
    let text = wait_file(&starts, |t| t.lines().count() == 2).await;
    assert_eq!(lines(&text), ["medium", "high"]);
    gg.shutdown().await;
}

#[tokio::test]
async fn a_component_left_out_of_a_new_deployment_is_stopped_and_removed() {
    let gg = Gg::new();
    for name in ["com.test.Keep", "com.test.Drop"] {
        gg.recipe(name, "1.0.0", json!({}), json!({"Run": "exec sleep 30"}));
    }
    gg.deploy(json!({"components": {
        "com.test.Keep": {"componentVersion": "1.0.0"},
        "com.test.Drop": {"componentVersion": "1.0.0"}}}))
        .await;
    gg.wait_state("com.test.Drop", ComponentState::Running)
        .await;
    let report = gg
        .deploy(json!({"components": {"com.test.Keep": {"componentVersion": "1.0.0"}}}))
        .await;
    assert_eq!(report.stopped, ["com.test.Drop"]);
    assert_eq!(report.unchanged, ["com.test.Keep"]);
    assert_eq!(gg.state("com.test.Drop"), None);
    assert_eq!(gg.state("com.test.Keep"), Some(ComponentState::Running));
    gg.shutdown().await;
}
