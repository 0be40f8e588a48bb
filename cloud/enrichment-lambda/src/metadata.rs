//! Device metadata as kept in the `device-metadata` table (key `deviceId` + `pointId`).
//!
//! One item per device with `pointId = "#device"`: `factoryId` (required), `lineId`,
//! `machineType`. One optional item per data point with `pointId = <point>`: `unit` (the unit
//! written to the lake), `sourceUnit` (the unit the gateway must send), `scale` and `offset`
//! (`lake value = value * scale + offset`), `min` and `max` (the valid range, in lake units).

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// `pointId` of the device's own item.
pub const DEVICE_ITEM: &str = "#device";

/// What the lake needs to know about one device.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceMeta {
    /// The factory the device is in.
    pub factory_id: String,
    /// The production line, if recorded.
    pub line_id: Option<String>,
    /// What kind of machine it is (`centrifugal-pump`).
    pub machine_type: Option<String>,
    /// Per-point conversion and range.
    pub points: HashMap<String, PointMeta>,
}

/// Conversion and valid range of one data point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointMeta {
    /// Unit written to the lake.
    pub unit: Option<String>,
    /// Unit the reading must arrive in, when a conversion is configured.
    pub source_unit: Option<String>,
    /// Multiplier of the conversion.
    pub scale: f64,
    /// Addend of the conversion.
    pub offset: f64,
    /// Smallest valid value, in lake units.
    pub min: Option<f64>,
    /// Largest valid value, in lake units.
    pub max: Option<f64>,
}

impl Default for PointMeta {
    fn default() -> Self {
        Self {
            unit: None,
            source_unit: None,
            scale: 1.0,
            offset: 0.0,
            min: None,
            max: None,
        }
    }
}

impl PointMeta {
    /// Whether the value changes on the way to the lake.
    pub fn converts(&self) -> bool {
        self.scale != 1.0 || self.offset != 0.0
    }
}

/// Why a device's items do not make usable metadata.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// The device has point items but no `#device` item, or that item has no `factoryId`.
    #[error("device metadata has no {DEVICE_ITEM} item with a factoryId")]
    NoFactory,
    /// A number attribute holds something else.
    #[error("attribute {attribute} of point {point} is not a number")]
    NotANumber {
        /// The point item.
        point: String,
        /// The attribute.
        attribute: &'static str,
    },
}

type Item = HashMap<String, AttributeValue>;

fn string(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn number(item: &Item, point: &str, name: &'static str) -> Result<Option<f64>, MetadataError> {
    let bad = || MetadataError::NotANumber {
        point: point.to_owned(),
        attribute: name,
    };
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::N(n) | AttributeValue::S(n)) => n
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Some)
            .ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

/// The metadata in a device's items (the result of a query on its `deviceId`); `Ok(None)`
/// when there are none: the device is unknown.
///
/// # Errors
///
/// [`MetadataError`] when the items exist but do not make usable metadata.
pub fn from_items(items: &[Item]) -> Result<Option<DeviceMeta>, MetadataError> {
    if items.is_empty() {
        return Ok(None);
    }
    let mut meta = DeviceMeta::default();
    let mut has_factory = false;
    for item in items {
        let Some(point) = string(item, "pointId") else {
            continue;
        };
        if point == DEVICE_ITEM {
            if let Some(factory) = string(item, "factoryId") {
                meta.factory_id = factory;
                has_factory = true;
            }
            meta.line_id = string(item, "lineId");
            meta.machine_type = string(item, "machineType");
            continue;
        }
        let p = PointMeta {
            unit: string(item, "unit"),
            source_unit: string(item, "sourceUnit"),
            scale: number(item, &point, "scale")?.unwrap_or(1.0),
            offset: number(item, &point, "offset")?.unwrap_or(0.0),
            min: number(item, &point, "min")?,
            max: number(item, &point, "max")?,
        };
        meta.points.insert(point, p);
    }
    if !has_factory {
        return Err(MetadataError::NoFactory);
    }
    Ok(Some(meta))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }
    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }
    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.into())
    }

    #[test]
    fn device_and_point_items_make_one_record() {
        let items = [
            item(&[
                ("deviceId", s("pump-1")),
                ("pointId", s("#device")),
                ("factoryId", s("factory-1")),
                ("machineType", s("centrifugal-pump")),
            ]),
            item(&[
                ("deviceId", s("pump-1")),
                ("pointId", s("temp")),
                ("unit", s("degC")),
                ("sourceUnit", s("degF")),
                ("scale", n("0.5555555555555556")),
                ("offset", n("-17.77777777777778")),
                ("min", n("-20")),
                ("max", n("150")),
            ]),
        ];
        let meta = from_items(&items).unwrap().unwrap();
        assert_eq!(meta.factory_id, "factory-1");
        assert_eq!(meta.machine_type.as_deref(), Some("centrifugal-pump"));
        assert_eq!(meta.line_id, None);
        let temp = &meta.points["temp"];
        assert!(temp.converts());
        assert_eq!((temp.min, temp.max), (Some(-20.0), Some(150.0)));
    }

    #[test]
    fn no_items_is_an_unknown_device_and_no_factory_is_an_error() {
        assert_eq!(from_items(&[]).unwrap(), None);
        let points_only = [item(&[("pointId", s("temp")), ("max", n("1"))])];
        assert_eq!(from_items(&points_only), Err(MetadataError::NoFactory));
        let bad_number = [
            item(&[("pointId", s("#device")), ("factoryId", s("f"))]),
            item(&[("pointId", s("temp")), ("max", s("hot"))]),
        ];
        assert!(matches!(
            from_items(&bad_number),
            Err(MetadataError::NotANumber {
                attribute: "max",
                ..
            })
        ));
    }
}
