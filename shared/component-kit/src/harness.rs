//! Entry points: [`main`] and [`run`] for a component's `main.rs`, and [`Harness`] for tests and
//! custom setups.
//!
//! The sequence: tracing, signal handlers, IPC connect, subscribe to configuration updates,
//! GetConfiguration, validate, `run`, UpdateState RUNNING. A bad configuration is logged once
//! with its key and reason and counted in `ConfigErrorsTotal`; the process keeps the last good
//! configuration running (also across restarts: it is saved in the work folder) and never exits
//! for it. Only when there is no good configuration at all is ERRORED reported, because on the
//! nucleus ERRORED restarts the process and the third one makes it BROKEN.

use crate::cloudwatch::MetricsPublisher;
use crate::command_line::Request;
use crate::component::Component;
use crate::error::{Exit, HarnessError};
use crate::logging::{self, LogHandle};
use crate::metrics::Metrics;
use crate::settings::DEFAULT_METRICS_INTERVAL;
use crate::signals::shutdown_signal;
use crate::supervisor::{Setup, Supervisor};
use ggipc::{ConnectOptions, IpcClient};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

/// Default time `run` gets to return after SIGTERM. The Java nucleus sends SIGTERM and force-kills
/// 5 s later (`Exec.close`, style guide §8), so the kit must be done before that.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(4);
/// Environment variable overriding [`DEFAULT_SHUTDOWN_GRACE`], in milliseconds.
pub const SHUTDOWN_GRACE_ENV: &str = "SHUTDOWN_GRACE_MS";
/// How long the kit waits after a configuration update event before reading the configuration,
/// so a deployment that changes several keys (one event each) is applied once.
pub const DEFAULT_UPDATE_DEBOUNCE: Duration = Duration::from_millis(250);
/// Thing name used when `AWS_IOT_THING_NAME` is not set.
pub const UNKNOWN_THING_NAME: &str = "unknown";

/// Builds a multi-threaded runtime, runs `component` under the kit, and returns the exit code.
/// Background work still running at exit gets half a second, then the process ends anyway.
///
/// ```no_run
/// # struct Sensor;
/// # impl component_kit::Component for Sensor {
/// #     const NAME: &'static str = "com.example.Sensor";
/// #     type Config = component_kit::config::NoConfig;
/// #     type Validated = component_kit::config::NoConfig;
/// #     fn validate(c: Self::Config) -> Result<Self::Config, component_kit::ConfigError> { Ok(c) }
/// #     async fn run(&self, _: Self::Config, _: component_kit::Ctx, s: tokio_util::sync::CancellationToken) -> anyhow::Result<()> { s.cancelled().await; Ok(()) }
/// # }
/// fn main() -> std::process::ExitCode {
///     component_kit::main(Sensor)
/// }
/// ```
pub fn main<C: Component>(component: C) -> ExitCode {
    match crate::command_line::parse(C::NAME, std::env::args().skip(1)) {
        Request::Run => {}
        Request::Stop => return crate::stop_command::run_stop(C::NAME, grace_from_env()),
        Request::Print(text) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Request::Refuse(text) => {
            eprintln!("{text}");
            return ExitCode::FAILURE;
        }
    }
    if C::ONE_MALLOC_ARENA {
        crate::malloc_arenas::use_one_arena();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            // No tracing yet: this is the only place the kit writes to stderr itself.
            eprintln!("{}: could not start the async runtime: {e}", C::NAME);
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(component));
    runtime.shutdown_timeout(Duration::from_millis(500));
    code
}

/// Runs `component` under the kit on the current runtime (for a component that builds its own
/// runtime with `#[tokio::main]`) and returns the exit code.
pub async fn run<C: Component>(component: C) -> ExitCode {
    // The work folder is the working directory under the nucleus; `--stop` looks for it there.
    let _pid_file = std::env::current_dir()
        .ok()
        .and_then(|dir| crate::stop_command::PidFileGuard::write(&dir));
    Harness::new(component).run().await
}

/// The kit's harness, configurable for tests: an explicit IPC socket, a shutdown token instead
/// of signals, no global tracing, short timings.
#[derive(Debug)]
pub struct Harness<C> {
    component: C,
    connect: Option<ConnectOptions>,
    shutdown: CancellationToken,
    signals: bool,
    tracing: bool,
    grace: Option<Duration>,
    debounce: Duration,
    thing_name: Option<String>,
    work_dir: Option<PathBuf>,
    metrics: Metrics,
}

impl<C: Component> Harness<C> {
    /// A harness with the production defaults: IPC from the environment, SIGTERM/SIGINT,
    /// tracing to stdout, grace from `SHUTDOWN_GRACE_MS` or 4 s.
    pub fn new(component: C) -> Self {
        Self {
            component,
            connect: None,
            shutdown: CancellationToken::new(),
            signals: true,
            tracing: true,
            grace: None,
            debounce: DEFAULT_UPDATE_DEBOUNCE,
            thing_name: None,
            work_dir: None,
            metrics: Metrics::new(),
        }
    }

    /// Connects with these options instead of the nucleus's environment variables.
    #[must_use]
    pub fn connect_options(mut self, options: ConnectOptions) -> Self {
        self.connect = Some(options);
        self
    }

    /// Stops when `token` is cancelled (in addition to signals, if those are on).
    #[must_use]
    pub fn shutdown_token(mut self, token: CancellationToken) -> Self {
        self.shutdown = token;
        self
    }

    /// Whether SIGTERM and SIGINT stop the component (default: yes).
    #[must_use]
    pub fn signals(mut self, on: bool) -> Self {
        self.signals = on;
        self
    }

    /// Whether to install the global stdout subscriber (default: yes).
    #[must_use]
    pub fn tracing(mut self, on: bool) -> Self {
        self.tracing = on;
        self
    }

    /// How long `run` gets to return after shutdown or before a restart.
    #[must_use]
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace = Some(grace);
        self
    }

    /// The wait between an update event and reading the configuration.
    #[must_use]
    pub fn update_debounce(mut self, debounce: Duration) -> Self {
        self.debounce = debounce;
        self
    }

    /// The thing name instead of `AWS_IOT_THING_NAME`.
    #[must_use]
    pub fn thing_name(mut self, name: impl Into<String>) -> Self {
        self.thing_name = Some(name.into());
        self
    }

    /// The work directory instead of the current directory.
    #[must_use]
    pub fn work_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.work_dir = Some(dir.into());
        self
    }

    /// The metrics registry the component will get (for status views and tests).
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// Runs until shutdown and maps the outcome to an exit code (0 on shutdown, 1 on failure).
    pub async fn run(self) -> ExitCode {
        match self.serve().await {
            Ok(_) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        }
    }

    /// Runs until shutdown, `run` finishing, or a fatal error (already logged).
    pub async fn serve(self) -> Result<Exit, HarnessError> {
        let log = if self.tracing {
            logging::init(C::NAME)
        } else {
            LogHandle::detached()
        };
        let root = self.shutdown.clone();
        let _signals = self.signals.then(|| {
            let root = root.clone();
            AbortOnDropHandle::new(tokio::spawn(async move {
                shutdown_signal().await;
                root.cancel();
            }))
        });
        let result = self.serve_inner(log, root).await;
        // Errors of `run` are logged where they happen; setup errors here.
        if let Err(
            e @ (HarnessError::NotUnderGreengrass(_)
            | HarnessError::Connect(_)
            | HarnessError::Subscribe(_)),
        ) = &result
        {
            tracing::error!("{e}");
        }
        result
    }

    async fn serve_inner(
        self,
        log: LogHandle,
        root: CancellationToken,
    ) -> Result<Exit, HarnessError> {
        let grace = self.grace.unwrap_or_else(grace_from_env);
        let options = match self.connect {
            Some(o) => o,
            None => ConnectOptions::from_env().map_err(HarnessError::from_connect)?,
        };
        let ipc = IpcClient::connect(options)
            .await
            .map_err(HarnessError::from_connect)?;
        // Subscribe before reading, so no update between the two is missed.
        let updates = ipc
            .subscribe_to_configuration_update(None, &[])
            .await
            .map_err(HarnessError::Subscribe)?;
        let thing_name: Arc<str> = self
            .thing_name
            .or_else(|| std::env::var("AWS_IOT_THING_NAME").ok())
            .unwrap_or_else(|| UNKNOWN_THING_NAME.to_owned())
            .into();
        let work_dir = self
            .work_dir
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("."));
        tracing::info!(thing_name = %thing_name, grace_ms = grace.as_millis() as u64, "Connected to Greengrass.");

        let (interval_tx, interval_rx) = watch::channel(Some(DEFAULT_METRICS_INTERVAL));
        let publisher_stop = CancellationToken::new();
        let _publisher_guard = publisher_stop.clone().drop_guard();
        let publisher =
            MetricsPublisher::new(self.metrics.clone(), C::NAME, thing_name.to_string())
                .with_footprint();
        tokio::spawn(publisher.run(ipc.clone(), interval_rx, publisher_stop.clone()));
        tokio::spawn(crate::validation::answer::<C>(ipc.clone(), publisher_stop));

        let setup = Setup {
            component: Arc::new(self.component),
            ipc,
            metrics: self.metrics,
            work_dir,
            thing_name,
            log,
            metrics_interval: interval_tx,
            root,
            grace,
            debounce: self.debounce,
        };
        Supervisor::new(setup).serve(updates).await
    }
}

/// [`DEFAULT_SHUTDOWN_GRACE`], or `SHUTDOWN_GRACE_MS` when it holds a number.
fn grace_from_env() -> Duration {
    match std::env::var(SHUTDOWN_GRACE_ENV) {
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(ms) => Duration::from_millis(ms),
            Err(_) => {
                tracing::warn!(value = %text, "Ignoring {SHUTDOWN_GRACE_ENV}: not a whole number of milliseconds.");
                DEFAULT_SHUTDOWN_GRACE
            }
        },
        Err(_) => DEFAULT_SHUTDOWN_GRACE,
    }
}
