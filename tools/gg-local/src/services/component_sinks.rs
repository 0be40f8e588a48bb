//! The open event streams of a per-component subscription (component updates, configuration
//! checks): closed streams are dropped as they are seen.

use ggipc::server::EventSink;
use std::sync::{Arc, Mutex};

/// Subscribers by component.
#[derive(Debug, Default)]
pub struct ComponentSinks(Mutex<Vec<(Arc<str>, EventSink)>>);

impl ComponentSinks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Arc<str>, EventSink)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a subscriber.
    pub fn add(&self, component: Arc<str>, sink: EventSink) {
        let mut sinks = self.lock();
        sinks.retain(|(_, s)| !s.is_closed());
        sinks.push((component, sink));
    }

    /// The subscribers whose stream is still open.
    pub fn live(&self) -> Vec<(Arc<str>, EventSink)> {
        let mut sinks = self.lock();
        sinks.retain(|(_, s)| !s.is_closed());
        sinks.clone()
    }
}
