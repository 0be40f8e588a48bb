//! A span of time between two instants, in epoch milliseconds.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a start and an end do not make a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum WindowError {
    /// The end comes before the start.
    #[error("window ends at {end_ms} ms, before it starts at {start_ms} ms")]
    EndsBeforeStart {
        /// The given start, epoch milliseconds.
        start_ms: i64,
        /// The given end, epoch milliseconds.
        end_ms: i64,
    },
}

/// The span of data a result was computed from, written `{"startMs": …, "endMs": …}`.
/// The end is never before the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "WindowWire")]
pub struct TimeWindow {
    start_ms: i64,
    end_ms: i64,
}

impl TimeWindow {
    /// The window from `start_ms` to `end_ms`, epoch milliseconds.
    ///
    /// # Errors
    ///
    /// [`WindowError::EndsBeforeStart`] if `end_ms < start_ms`.
    pub fn new(start_ms: i64, end_ms: i64) -> Result<Self, WindowError> {
        if end_ms < start_ms {
            return Err(WindowError::EndsBeforeStart { start_ms, end_ms });
        }
        Ok(Self { start_ms, end_ms })
    }

    /// The start, epoch milliseconds.
    pub fn start_ms(&self) -> i64 {
        self.start_ms
    }

    /// The end, epoch milliseconds.
    pub fn end_ms(&self) -> i64 {
        self.end_ms
    }
}

/// The JSON form of a [`TimeWindow`], before its order is checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WindowWire {
    start_ms: i64,
    end_ms: i64,
}

impl TryFrom<WindowWire> for TimeWindow {
    type Error = WindowError;

    fn try_from(wire: WindowWire) -> Result<Self, WindowError> {
        Self::new(wire.start_ms, wire.end_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_window_is_allowed_but_a_reversed_one_is_not() {
        assert!(TimeWindow::new(5, 5).is_ok());
        assert_eq!(
            TimeWindow::new(6, 5),
            Err(WindowError::EndsBeforeStart {
                start_ms: 6,
                end_ms: 5
            })
        );
    }

    #[test]
    fn reading_json_checks_the_order() {
        let window: TimeWindow = serde_json::from_str(r#"{"startMs":1,"endMs":2}"#).unwrap();
        assert_eq!((window.start_ms(), window.end_ms()), (1, 2));
        assert!(serde_json::from_str::<TimeWindow>(r#"{"startMs":3,"endMs":2}"#).is_err());
    }
}
