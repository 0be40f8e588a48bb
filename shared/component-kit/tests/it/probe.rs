//! A component that reports what the kit does to it.

use component_kit::{
    CancellationToken, Component, ConfigError, Ctx, Exit, Harness, HarnessError, lenient,
};
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::gg::{Nucleus, WAIT};

pub const NAME: &str = "com.example.Probe";
pub const THING: &str = "gw-test";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProbeConfig {
    #[serde(deserialize_with = "lenient::u64")]
    interval_ms: u64,
    #[serde(deserialize_with = "lenient::bool")]
    fail: bool,
    #[serde(deserialize_with = "lenient::bool")]
    ignore_shutdown: bool,
}

/// What the probe saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Started { interval_ms: u64, thing: String },
    Stopped { interval_ms: u64 },
}

pub struct Probe {
    seen: mpsc::UnboundedSender<Seen>,
}

impl Probe {
    pub fn new(seen: mpsc::UnboundedSender<Seen>) -> Self {
        Self { seen }
    }
}

impl Component for Probe {
    const NAME: &'static str = NAME;
    type Config = ProbeConfig;
    type Validated = ProbeConfig;

    fn validate(config: ProbeConfig) -> Result<ProbeConfig, ConfigError> {
        if config.interval_ms == 0 {
            return Err(ConfigError::new("intervalMs", "must be at least 1"));
        }
        Ok(config)
    }

    async fn run(
        &self,
        config: ProbeConfig,
        ctx: Ctx,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let _ = self.seen.send(Seen::Started {
            interval_ms: config.interval_ms,
            thing: ctx.thing_name().to_owned(),
        });
        let received = ctx
            .metrics()
            .counter(component_kit::metrics::names::RECEIVED_TOTAL);
        received.inc();
        if config.fail {
            anyhow::bail!("the probe was told to fail");
        }
        if config.ignore_shutdown {
            std::future::pending::<()>().await;
        }
        shutdown.cancelled().await;
        let _ = self.seen.send(Seen::Stopped {
            interval_ms: config.interval_ms,
        });
        Ok(())
    }
}

/// A fake nucleus plus the harness running the probe against it.
pub struct Rig {
    pub nucleus: Nucleus,
    pub shutdown: CancellationToken,
    pub harness: JoinHandle<Result<Exit, HarnessError>>,
    seen: mpsc::UnboundedReceiver<Seen>,
}

impl Rig {
    pub fn start(config: serde_json::Value) -> Self {
        Self::start_with(config, |h| h)
    }

    pub fn start_with(
        config: serde_json::Value,
        tweak: impl FnOnce(Harness<Probe>) -> Harness<Probe>,
    ) -> Self {
        let nucleus = Nucleus::start(NAME, config);
        let (tx, seen) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let harness = Harness::new(Probe::new(tx))
            .connect_options(ggipc::ConnectOptions::new(&nucleus.socket, "svcuid"))
            .shutdown_token(shutdown.clone())
            .signals(false)
            .tracing(false)
            .grace_period(Duration::from_secs(2))
            .update_debounce(Duration::from_millis(10))
            .thing_name(THING)
            .work_dir(nucleus.work_dir());
        let harness = tokio::spawn(tweak(harness).serve());
        Self {
            nucleus,
            shutdown,
            harness,
            seen,
        }
    }

    /// The next thing the probe saw.
    pub async fn next_seen(&mut self) -> Seen {
        tokio::time::timeout(WAIT, self.seen.recv())
            .await
            .expect("timed out waiting for the probe")
            .expect("probe channel closed")
    }

    /// Cancels the shutdown token and returns what the harness returned.
    pub async fn stop(self) -> Result<Exit, HarnessError> {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.harness)
            .await
            .expect("harness did not stop")
            .expect("harness panicked")
    }
}

pub fn started(interval_ms: u64) -> Seen {
    Seen::Started {
        interval_ms,
        thing: THING.to_owned(),
    }
}
