//! The running simulation: the pump line, its latest snapshot and register image, shared by the
//! clock, the Modbus and OPC UA servers, the MQTT sensors and the control port.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::fault::{FaultKind, FaultSpec};
use crate::model::{PumpLine, Snapshot};
use crate::registers::RegisterImage;

/// The simulation state behind one lock. Nothing awaits while holding it.
#[derive(Debug)]
pub struct Plant {
    line: PumpLine,
    snapshot: Snapshot,
    image: RegisterImage,
    modbus_requests: u64,
}

impl Plant {
    /// The line's state after its first step.
    fn new(mut line: PumpLine, dt: Duration) -> Self {
        let snapshot = line.step(dt);
        let image = RegisterImage::encode(&snapshot);
        Self {
            line,
            snapshot,
            image,
            modbus_requests: 0,
        }
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The latest register image.
    pub fn image(&self) -> &RegisterImage {
        &self.image
    }

    /// Modbus requests answered so far.
    pub fn modbus_requests(&self) -> u64 {
        self.modbus_requests
    }

    /// Counts one answered Modbus request.
    pub fn count_request(&mut self) {
        self.modbus_requests += 1;
    }

    /// The line, to change setpoints.
    pub fn line_mut(&mut self) -> &mut PumpLine {
        &mut self.line
    }

    /// Injects `kind` now, for `duration` (until cleared when `None`).
    pub fn inject(&mut self, kind: FaultKind, severity: f64, duration: Option<Duration>) {
        let start = self.line.time();
        self.line.faults_mut().add(FaultSpec {
            kind,
            severity,
            start,
            duration,
        });
    }

    /// Ends `kind` (every fault when `None`) now.
    pub fn clear(&mut self, kind: Option<FaultKind>) {
        let now = self.line.time();
        self.line.faults_mut().clear(kind, now);
    }

    /// The scheduled and injected faults.
    pub fn fault_specs(&self) -> Vec<FaultSpec> {
        self.line.faults().specs().to_vec()
    }

    fn step(&mut self, dt: Duration) {
        self.snapshot = self.line.step(dt);
        self.image = RegisterImage::encode(&self.snapshot);
    }
}

/// A handle on the shared plant.
#[derive(Debug, Clone)]
pub struct SharedPlant {
    plant: Arc<Mutex<Plant>>,
    /// The simulation time after each step, for servers that push every tick (OPC UA).
    ticks: Arc<watch::Sender<u64>>,
}

impl SharedPlant {
    /// Wraps `line`, stepped once by `dt`.
    pub fn new(line: PumpLine, dt: Duration) -> Self {
        let plant = Plant::new(line, dt);
        let (ticks, _) = watch::channel(plant.snapshot.time_ms);
        Self {
            plant: Arc::new(Mutex::new(plant)),
            ticks: Arc::new(ticks),
        }
    }

    /// Wakes after every step of the clock.
    pub fn subscribe_ticks(&self) -> watch::Receiver<u64> {
        self.ticks.subscribe()
    }

    /// Locks the plant. A panic while holding the lock cannot leave the model half-updated in a
    /// way that matters to a simulator, so a poisoned lock is used as is.
    pub fn lock(&self) -> MutexGuard<'_, Plant> {
        self.plant
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A copy of the latest snapshot.
    pub fn snapshot(&self) -> Snapshot {
        self.lock().snapshot().clone()
    }

    /// Steps the model every `dt` of wall time until `cancel`. Missed ticks are not replayed,
    /// so the simulation time follows the wall clock.
    pub async fn run_clock(&self, dt: Duration, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(dt);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = tick.tick() => {
                    let time_ms = {
                        let mut plant = self.lock();
                        plant.step(dt);
                        plant.snapshot.time_ms
                    };
                    self.ticks.send_replace(time_ms);
                }
            }
        }
    }
}
