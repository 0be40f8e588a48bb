//! Faults that can be injected, and the `kind[:severity]@start[+duration]` syntax that
//! schedules them (`cavitation@60s+30s`, `drift:0.5@2m`, `offline@90s+10s`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

/// What goes wrong on the pump line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// The discharge valve closes towards 20 % open: flow falls, pressure rises, current falls.
    ValveClosure,
    /// The impeller loses balance: the once-per-revolution vibration grows with speed².
    Imbalance,
    /// Suction pressure falls below what the pump needs: head drops and fluctuates, vibration
    /// gets broadband noise.
    Cavitation,
    /// The discharge pressure transmitter drifts upwards (the process does not change).
    SensorDrift,
    /// The PLC stops answering: Modbus requests time out, MQTT sensors go quiet.
    DeviceOffline,
}

impl FaultKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 5] = [
        Self::ValveClosure,
        Self::Imbalance,
        Self::Cavitation,
        Self::SensorDrift,
        Self::DeviceOffline,
    ];

    /// The name used on the command line and the control port.
    pub fn name(self) -> &'static str {
        match self {
            Self::ValveClosure => "valve-closure",
            Self::Imbalance => "imbalance",
            Self::Cavitation => "cavitation",
            Self::SensorDrift => "drift",
            Self::DeviceOffline => "offline",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for FaultKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = FaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| FaultError::UnknownKind(s.to_owned()))
    }
}

/// A fault and when it acts, in simulation time since start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSpec {
    /// What goes wrong.
    pub kind: FaultKind,
    /// How badly, 0..=1 (1 unless given).
    pub severity: f64,
    /// When it starts.
    pub start: Duration,
    /// How long it lasts; `None` until cleared.
    pub duration: Option<Duration>,
}

impl FaultSpec {
    /// Whether the fault acts at simulation time `t`.
    pub fn active_at(&self, t: Duration) -> bool {
        t >= self.start && self.duration.is_none_or(|d| t < self.start + d)
    }
}

/// Why a fault or a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FaultError {
    /// The fault name is not one of [`FaultKind::ALL`].
    #[error("unknown fault `{0}` (known: valve-closure, imbalance, cavitation, drift, offline)")]
    UnknownKind(String),
    /// No `@start`.
    #[error("`{0}`: expected kind[:severity]@start[+duration], e.g. cavitation@60s+30s")]
    Shape(String),
    /// The severity is not a number in 0..=1.
    #[error("severity `{0}` must be a number from 0 to 1")]
    Severity(String),
    /// A duration is not a number with an optional unit.
    #[error("duration `{0}`: expected a number with ms, s, m or h (e.g. 30s, 1.5m)")]
    Duration(String),
}

impl FromStr for FaultSpec {
    type Err = FaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (head, timing) = s
            .split_once('@')
            .ok_or_else(|| FaultError::Shape(s.to_owned()))?;
        let (kind, severity) = match head.split_once(':') {
            Some((k, sev)) => (k, parse_severity(sev)?),
            None => (head, 1.0),
        };
        let (start, duration) = match timing.split_once('+') {
            Some((a, d)) => (parse_duration(a)?, Some(parse_duration(d)?)),
            None => (parse_duration(timing)?, None),
        };
        Ok(Self {
            kind: kind.trim().parse()?,
            severity,
            start,
            duration,
        })
    }
}

/// Reads a severity in 0..=1.
pub fn parse_severity(s: &str) -> Result<f64, FaultError> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| (0.0..=1.0).contains(v))
        .ok_or_else(|| FaultError::Severity(s.to_owned()))
}

/// Reads `30s`, `1.5m`, `500ms`, `2h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, FaultError> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| FaultError::Duration(s.to_owned()))?;
    let secs = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(FaultError::Duration(s.to_owned())),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| FaultError::Duration(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let f: FaultSpec = "cavitation@60s+30s"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.kind, FaultKind::Cavitation);
        assert_eq!(f.severity, 1.0);
        assert_eq!(f.start, Duration::from_secs(60));
        assert_eq!(f.duration, Some(Duration::from_secs(30)));
        let g: FaultSpec = "drift:0.5@1.5m".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(g.kind, FaultKind::SensorDrift);
        assert_eq!(g.severity, 0.5);
        assert_eq!(g.start, Duration::from_secs(90));
        assert_eq!(g.duration, None);
        assert!(g.active_at(Duration::from_secs(3600)));
        assert!(!g.active_at(Duration::from_secs(89)));
    }

    #[test]
    fn names_the_cause_of_bad_input() {
        let e = "melt@1s".parse::<FaultSpec>().err();
        assert!(matches!(e, Some(FaultError::UnknownKind(ref k)) if k == "melt"));
        assert!(matches!(
            "imbalance".parse::<FaultSpec>(),
            Err(FaultError::Shape(_))
        ));
        assert!(matches!(
            "imbalance:2@1s".parse::<FaultSpec>(),
            Err(FaultError::Severity(_))
        ));
        assert!(matches!(
            "imbalance@1x".parse::<FaultSpec>(),
            Err(FaultError::Duration(_))
        ));
    }

    #[test]
    fn every_kind_round_trips_its_name() {
        for k in FaultKind::ALL {
            assert_eq!(k.name().parse::<FaultKind>(), Ok(k));
        }
    }
}
