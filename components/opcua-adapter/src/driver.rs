//! Drives a session's event loop while the adapter's own requests run.
//!
//! Every request on a session needs its event loop polled at the same time, so each step
//! (connect, resolve, subscribe, poll) runs through [`Driver::run`], which polls both. The
//! driver also owns the subscription watchdog: with a subscription, no Publish response for
//! [`Driver::watch`]'s window is a fault. After any `Reconnected` event it calls
//! `trigger_publish_now`, without which async-opcua 0.19 stops sending Publish requests.

use futures::{Stream, StreamExt};
use opcua::client::SubscriptionActivity;
use opcua::client::{Session, SessionPollResult};
use opcua::types::StatusCode;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Why a step did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Shutdown was asked for.
    Shutdown,
    /// The session is gone (connection lost, connect refused, watchdog); the text says why.
    Lost(String),
}

/// The event stream of a session's event loop.
pub type Events = Pin<Box<dyn Stream<Item = Result<SessionPollResult, StatusCode>> + Send>>;

/// A session and its event loop.
pub struct Driver {
    session: Arc<Session>,
    events: Events,
    connected: bool,
    watchdog: Option<Duration>,
    last_publish: Instant,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("connected", &self.connected)
            .field("watchdog", &self.watchdog)
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// Wraps a session and its (not yet started) event stream.
    pub fn new(session: Arc<Session>, events: Events) -> Self {
        Self {
            session,
            events,
            connected: false,
            watchdog: None,
            last_publish: Instant::now(),
        }
    }

    /// The session.
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// Polls the event loop until the session is established (or fails).
    pub async fn connected(&mut self, shutdown: &CancellationToken) -> Result<(), Stop> {
        while !self.connected {
            let event = tokio::select! {
                biased;
                () = shutdown.cancelled() => return Err(Stop::Shutdown),
                event = self.events.next() => event,
            };
            if let Some(stop) = self.on_event(event) {
                return Err(stop);
            }
        }
        Ok(())
    }

    /// From now on, no Publish response for `window` ends the session.
    pub fn watch(&mut self, window: Duration) {
        self.watchdog = Some(window);
        self.last_publish = Instant::now();
    }

    /// Runs `step` on the connected session while polling the event loop.
    pub async fn run<F: Future>(
        &mut self,
        step: F,
        shutdown: &CancellationToken,
    ) -> Result<F::Output, Stop> {
        tokio::pin!(step);
        let mut check = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return Err(Stop::Shutdown),
                event = self.events.next() => {
                    if let Some(stop) = self.on_event(event) {
                        return Err(stop);
                    }
                }
                out = &mut step => return Ok(out),
                _ = check.tick() => {
                    if let Some(window) = self.watchdog
                        && self.last_publish.elapsed() > window
                    {
                        return Err(Stop::Lost(format!(
                            "no subscription data or keep-alive for {} ms",
                            window.as_millis()
                        )));
                    }
                }
            }
        }
    }

    /// Closes the session (bounded by `within`), polling the event loop meanwhile.
    pub async fn close(mut self, within: Duration) {
        let session = self.session.clone();
        let never = CancellationToken::new();
        let _ = tokio::time::timeout(within, self.run(session.disconnect(), &never)).await;
    }

    fn on_event(&mut self, event: Option<Result<SessionPollResult, StatusCode>>) -> Option<Stop> {
        match event {
            None => Some(Stop::Lost("the session was closed".to_owned())),
            Some(Err(code)) => Some(Stop::Lost(crate::errors::describe(code))),
            Some(Ok(SessionPollResult::Reconnected(_))) => {
                self.connected = true;
                self.session.trigger_publish_now();
                self.last_publish = Instant::now();
                None
            }
            Some(Ok(SessionPollResult::ConnectionLost(code))) => Some(Stop::Lost(format!(
                "connection lost: {}",
                crate::errors::describe(code)
            ))),
            Some(Ok(SessionPollResult::Subscription(SubscriptionActivity::Publish))) => {
                self.last_publish = Instant::now();
                None
            }
            Some(Ok(SessionPollResult::Subscription(SubscriptionActivity::FatalFailure(code)))) => {
                Some(Stop::Lost(format!(
                    "subscription failed: {}",
                    crate::errors::describe(code)
                )))
            }
            Some(Ok(_)) => None,
        }
    }
}
