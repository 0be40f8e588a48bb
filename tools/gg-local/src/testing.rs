//! A local runtime for end-to-end tests of components: stages the component binaries the way
//! `scripts/stage-artifacts.sh` does, deploys the repository's recipes with configuration merges,
//! and offers `sub`, `deploy` and log access through the real `gg-local` CLI. SIGTERM on drop
//! (the runtime stops its components).

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `target/<profile>/gg-local` next to the running test binary (`cargo build --workspace`
/// builds it), or `GG_LOCAL_BIN`.
pub fn gg_local_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("GG_LOCAL_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let bin = profile_dir.join("gg-local");
    assert!(
        bin.exists(),
        "the end-to-end test needs {}: run `cargo build -p gg-local` first (scripts/test.sh builds the workspace)",
        bin.display()
    );
    bin
}

/// The artifact suffix the recipes use for this machine.
pub fn arch_suffix() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64",
        "arm" => "armv7",
        _ => "x86_64",
    }
}

/// What to deploy.
#[derive(Debug, Default)]
pub struct Deployment {
    components: Vec<(String, String, Value)>,
    artifacts: Vec<(String, PathBuf, String)>,
    files: Vec<(String, String, PathBuf)>,
    runtime_config: Value,
}

impl Deployment {
    /// An empty deployment; the runtime's thing name is `e2e-gateway`.
    pub fn new() -> Self {
        Self {
            runtime_config: json!({"thingName": "e2e-gateway", "region": "us-east-1"}),
            ..Self::default()
        }
    }

    /// Deploys `component` 0.1.0 from `recipes/`, running `binary` staged as
    /// `{artifact}-{arch}`, with `merge` merged into its configuration.
    pub fn component(
        mut self,
        component: &str,
        binary: &Path,
        artifact: &str,
        merge: Value,
    ) -> Self {
        self.components
            .push((component.to_owned(), "0.1.0".to_owned(), merge));
        self.artifacts
            .push((component.to_owned(), binary.to_owned(), artifact.to_owned()));
        self
    }

    /// Stages `files` (under their own names) as the artifacts of `component` `version`: a
    /// component the deployment pulls in as a dependency, such as a model component.
    pub fn files(mut self, component: &str, version: &str, files: &[&Path]) -> Self {
        self.files.extend(
            files
                .iter()
                .map(|f| (component.to_owned(), version.to_owned(), f.to_path_buf())),
        );
        self
    }

    /// Sets a key of the runtime settings (`secretsFile`, `iotCore`, ...).
    pub fn runtime(mut self, key: &str, value: Value) -> Self {
        self.runtime_config[key] = value;
        self
    }

    /// Starts gg-local with this deployment in a fresh temp folder.
    pub fn start(self) -> LocalRuntime {
        let dir = tempfile::Builder::new()
            .prefix("gge2e")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let artifacts = dir.path().join("artifacts");
        for (component, binary, artifact) in &self.artifacts {
            let version_dir = artifacts.join(component).join("0.1.0");
            std::fs::create_dir_all(&version_dir).expect("artifact dir");
            std::fs::copy(
                binary,
                version_dir.join(format!("{artifact}-{}", arch_suffix())),
            )
            .expect("stage the component binary");
        }
        for (component, version, file) in &self.files {
            let version_dir = artifacts.join(component).join(version);
            std::fs::create_dir_all(&version_dir).expect("artifact dir");
            let name = file.file_name().expect("a file name");
            std::fs::copy(file, version_dir.join(name))
                .unwrap_or_else(|e| panic!("stage {}: {e}", file.display()));
        }
        let mut components = serde_json::Map::new();
        for (name, version, merge) in &self.components {
            let mut entry = json!({"componentVersion": version});
            if !merge.is_null() {
                entry["configurationUpdate"] = json!({"merge": merge.to_string()});
            }
            components.insert(name.clone(), entry);
        }
        let deployment_path = dir.path().join("deployment.json");
        std::fs::write(
            &deployment_path,
            json!({"components": components}).to_string(),
        )
        .expect("write deployment");
        let config_path = dir.path().join("runtime.json");
        std::fs::write(&config_path, self.runtime_config.to_string())
            .expect("write runtime config");
        let root = dir.path().join("root");
        let child = Command::new(gg_local_bin())
            .arg("run")
            .arg("--root")
            .arg(&root)
            .arg("--recipes")
            .arg(repo.join("recipes"))
            .arg("--artifacts")
            .arg(&artifacts)
            .arg("--deployment")
            .arg(&deployment_path)
            .arg("--config")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gg-local");
        LocalRuntime { child, root, dir }
    }
}

/// A running gg-local.
#[derive(Debug)]
pub struct LocalRuntime {
    child: Child,
    root: PathBuf,
    dir: tempfile::TempDir,
}

impl LocalRuntime {
    /// The runtime root (socket, logs, work folders).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A scratch folder that lives as long as the runtime.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// A component's log so far.
    pub fn log(&self, component: &str) -> String {
        std::fs::read_to_string(self.root.join("logs").join(format!("{component}.log")))
            .unwrap_or_default()
    }

    /// Subscribes to `topic` (through `gg-local sub`) until a message contains `needle`, for at
    /// most `within`; returns that message's line (`{"topic": .., "message": ..}`). The failure
    /// message carries `component`'s log.
    pub fn wait_for(&self, topic: &str, needle: &str, within: Duration, component: &str) -> Value {
        self.find(topic, needle, within).unwrap_or_else(|| {
            panic!(
                "no {needle} on {topic} within {within:?}; {component} log:\n{}",
                self.log(component)
            )
        })
    }

    /// Like [`Self::wait_for`], but `None` when nothing matching arrives within `within`.
    pub fn find(&self, topic: &str, needle: &str, within: Duration) -> Option<Value> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let secs = left.as_secs().clamp(1, 5).to_string();
            let out = Command::new(gg_local_bin())
                .args(["sub", "--root"])
                .arg(&self.root)
                .args([topic, "--count", "1", "--timeout-secs", &secs])
                .stdin(Stdio::null())
                .output()
                .expect("run gg-local sub");
            let text = String::from_utf8_lossy(&out.stdout);
            if text.contains(needle) {
                return serde_json::from_str(text.trim()).ok();
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Applies another deployment document; panics if it fails.
    pub fn deploy(&self, document: &Value) {
        let path = self.dir.path().join("next-deployment.json");
        std::fs::write(&path, document.to_string()).expect("write deployment");
        let status = Command::new(gg_local_bin())
            .args(["deploy", "--root"])
            .arg(&self.root)
            .arg(&path)
            .stdout(Stdio::null())
            .status()
            .expect("run gg-local deploy");
        assert!(status.success(), "the deployment succeeds");
    }
}

impl Drop for LocalRuntime {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
