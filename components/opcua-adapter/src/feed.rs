//! Where a session's readings go: a bounded channel to the server's publisher. Subscription
//! callbacks must not block the session's event loop, so a full channel drops the reading and
//! counts it.

use crate::convert;
use crate::resolve::Item;
use crate::server::TimestampSource;
use component_kit::Counter;
use edge_model::{DeviceId, Reading, Source};
use opcua::types::DataValue;
use tokio::sync::mpsc;

/// Readings waiting for the publisher (about 10 s of 10,000 items at 1 Hz).
pub const FEED_CAPACITY: usize = 100_000;

/// The sending side, cheap to clone into callbacks.
#[derive(Debug, Clone)]
pub struct Feed {
    tx: mpsc::Sender<Reading>,
    server: DeviceId,
    timestamps: TimestampSource,
    dropped: Counter,
}

impl Feed {
    /// A feed of `server`'s readings into `tx`.
    pub fn new(
        tx: mpsc::Sender<Reading>,
        server: DeviceId,
        timestamps: TimestampSource,
        dropped: Counter,
    ) -> Self {
        Self {
            tx,
            server,
            timestamps,
            dropped,
        }
    }

    /// A data value of `item`.
    pub fn data(&self, item: &Item, dv: &DataValue) {
        let source = Source::new(self.server.clone(), &item.point);
        let now = edge_model::time::now_ms() as i64;
        let reading = convert::reading(source, dv, self.timestamps, item.unit.as_deref(), now);
        self.send(reading);
    }

    /// A BAD reading of `point` saying why it cannot be read.
    pub fn failed(&self, point: &str, detail: String) {
        let source = Source::new(self.server.clone(), point);
        self.send(Reading::failed(
            source,
            detail,
            edge_model::time::now_ms() as i64,
        ));
    }

    fn send(&self, reading: Reading) {
        if self.tx.try_send(reading).is_err() {
            self.dropped.inc();
        }
    }
}
