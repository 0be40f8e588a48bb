//! Conversion between common industrial units: each unit is a scale and offset onto a base unit
//! of its quantity (`base = value * scale + offset`).

/// What a unit measures; only units of the same quantity convert into each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantity {
    Temperature,
    Pressure,
    VolumeFlow,
    Length,
    Mass,
    Energy,
    Power,
    Speed,
}

/// (names, quantity, scale, offset) onto K, Pa, m³/s, m, kg, J, W, m/s.
const UNITS: &[(&[&str], Quantity, f64, f64)] = &[
    (
        &["degC", "°C", "C", "celsius"],
        Quantity::Temperature,
        1.0,
        273.15,
    ),
    (
        &["degF", "°F", "F", "fahrenheit"],
        Quantity::Temperature,
        5.0 / 9.0,
        273.15 - 32.0 * 5.0 / 9.0,
    ),
    (&["K", "kelvin"], Quantity::Temperature, 1.0, 0.0),
    (&["Pa"], Quantity::Pressure, 1.0, 0.0),
    (&["kPa"], Quantity::Pressure, 1e3, 0.0),
    (&["MPa"], Quantity::Pressure, 1e6, 0.0),
    (&["bar"], Quantity::Pressure, 1e5, 0.0),
    (&["mbar"], Quantity::Pressure, 1e2, 0.0),
    (&["psi"], Quantity::Pressure, 6_894.757_293_168_361, 0.0),
    (&["m3/s", "m³/s"], Quantity::VolumeFlow, 1.0, 0.0),
    (&["m3/h", "m³/h"], Quantity::VolumeFlow, 1.0 / 3600.0, 0.0),
    (&["l/min", "L/min"], Quantity::VolumeFlow, 1e-3 / 60.0, 0.0),
    (&["l/s", "L/s"], Quantity::VolumeFlow, 1e-3, 0.0),
    (
        &["gal/min", "gpm"],
        Quantity::VolumeFlow,
        3.785_411_784e-3 / 60.0,
        0.0,
    ),
    (&["m"], Quantity::Length, 1.0, 0.0),
    (&["mm"], Quantity::Length, 1e-3, 0.0),
    (&["cm"], Quantity::Length, 1e-2, 0.0),
    (&["in"], Quantity::Length, 0.0254, 0.0),
    (&["ft"], Quantity::Length, 0.3048, 0.0),
    (&["kg"], Quantity::Mass, 1.0, 0.0),
    (&["g"], Quantity::Mass, 1e-3, 0.0),
    (&["t"], Quantity::Mass, 1e3, 0.0),
    (&["lb"], Quantity::Mass, 0.453_592_37, 0.0),
    (&["J"], Quantity::Energy, 1.0, 0.0),
    (&["kJ"], Quantity::Energy, 1e3, 0.0),
    (&["Wh"], Quantity::Energy, 3600.0, 0.0),
    (&["kWh"], Quantity::Energy, 3.6e6, 0.0),
    (&["W"], Quantity::Power, 1.0, 0.0),
    (&["kW"], Quantity::Power, 1e3, 0.0),
    (&["hp"], Quantity::Power, 745.699_871_582_270_2, 0.0),
    (&["m/s"], Quantity::Speed, 1.0, 0.0),
    (&["m/min"], Quantity::Speed, 1.0 / 60.0, 0.0),
    (&["km/h"], Quantity::Speed, 1.0 / 3.6, 0.0),
];

/// Why two units do not convert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// The unit is not in the table.
    #[error("unknown unit {0:?}")]
    Unknown(String),
    /// The units measure different things.
    #[error("cannot convert {from:?} to {to:?}: they measure different quantities")]
    Incompatible {
        /// Source unit.
        from: String,
        /// Target unit.
        to: String,
    },
}

/// A linear conversion `y = x * scale + offset` into a named unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conversion {
    scale: f64,
    offset: f64,
    to: &'static str,
}

impl Conversion {
    /// The conversion from `from` to `to`.
    ///
    /// # Errors
    ///
    /// [`UnitError`] when a unit is unknown or the two measure different quantities.
    pub fn between(from: &str, to: &str) -> Result<Self, UnitError> {
        let (from_q, from_scale, from_offset, _) = lookup(from)?;
        let (to_q, to_scale, to_offset, to_name) = lookup(to)?;
        if from_q != to_q {
            return Err(UnitError::Incompatible {
                from: from.to_owned(),
                to: to.to_owned(),
            });
        }
        Ok(Self {
            scale: from_scale / to_scale,
            offset: (from_offset - to_offset) / to_scale,
            to: to_name,
        })
    }

    /// Converts `x`.
    pub fn apply(&self, x: f64) -> f64 {
        x * self.scale + self.offset
    }

    /// The canonical name of the target unit.
    pub fn to_unit(&self) -> &'static str {
        self.to
    }
}

/// Whether `unit` is in the table.
pub fn is_known(unit: &str) -> bool {
    lookup(unit).is_ok()
}

fn lookup(unit: &str) -> Result<(Quantity, f64, f64, &'static str), UnitError> {
    UNITS
        .iter()
        .find(|(names, ..)| names.contains(&unit))
        .map(|(names, q, scale, offset)| (*q, *scale, *offset, names[0]))
        .ok_or_else(|| UnitError::Unknown(unit.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(x: f64, from: &str, to: &str) -> f64 {
        Conversion::between(from, to).unwrap().apply(x)
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    }

    #[test]
    fn converts_known_reference_points() {
        close(convert(100.0, "degC", "degF"), 212.0);
        close(convert(32.0, "°F", "degC"), 0.0);
        close(convert(0.0, "degC", "K"), 273.15);
        close(convert(1.0, "bar", "psi"), 14.503_773_773_0);
        close(convert(1.0, "bar", "kPa"), 100.0);
        close(convert(60.0, "l/min", "m3/h"), 3.6);
        close(convert(1.0, "in", "mm"), 25.4);
        close(convert(1.0, "kWh", "J"), 3.6e6);
    }

    #[test]
    fn round_trips_within_a_quantity() {
        for (a, b) in [("degF", "K"), ("psi", "mbar"), ("gpm", "l/s")] {
            close(convert(convert(37.5, a, b), b, a), 37.5);
        }
    }

    #[test]
    fn refuses_unknown_and_mismatched_units() {
        assert_eq!(
            Conversion::between("furlong", "m"),
            Err(UnitError::Unknown("furlong".to_owned()))
        );
        assert!(matches!(
            Conversion::between("bar", "degC"),
            Err(UnitError::Incompatible { .. })
        ));
    }
}
