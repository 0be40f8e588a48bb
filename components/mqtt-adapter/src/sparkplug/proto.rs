//! The parts of the Sparkplug B protobuf `Payload` we read, declared with prost's derive (no
//! protoc at build time). Fields we do not declare (datasets, templates, properties) are skipped
//! by the decoder.

/// `org.eclipse.tahu.protobuf.Payload`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Payload {
    /// Milliseconds since the epoch.
    #[prost(uint64, optional, tag = "1")]
    pub timestamp: Option<u64>,
    /// The metrics.
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    /// Sequence number 0..=255.
    #[prost(uint64, optional, tag = "3")]
    pub seq: Option<u64>,
}

/// `Payload.Metric`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    /// Name (always in BIRTH messages; DATA messages may send only the alias).
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// Alias declared in BIRTH.
    #[prost(uint64, optional, tag = "2")]
    pub alias: Option<u64>,
    /// Milliseconds since the epoch.
    #[prost(uint64, optional, tag = "3")]
    pub timestamp: Option<u64>,
    /// Sparkplug data type (1 Int8 … 12 String, 13 DateTime, 14 Text).
    #[prost(uint32, optional, tag = "4")]
    pub datatype: Option<u32>,
    /// The value is null.
    #[prost(bool, optional, tag = "7")]
    pub is_null: Option<bool>,
    /// The value.
    #[prost(oneof = "metric::Value", tags = "10, 11, 12, 13, 14, 15")]
    pub value: Option<metric::Value>,
}

/// The value union of a metric.
pub mod metric {
    /// `Metric.value`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// Int8, Int16, Int32, UInt8, UInt16 (two's complement in 32 bits).
        #[prost(uint32, tag = "10")]
        IntValue(u32),
        /// Int64, UInt32, UInt64, DateTime.
        #[prost(uint64, tag = "11")]
        LongValue(u64),
        /// Float.
        #[prost(float, tag = "12")]
        FloatValue(f32),
        /// Double.
        #[prost(double, tag = "13")]
        DoubleValue(f64),
        /// Boolean.
        #[prost(bool, tag = "14")]
        BooleanValue(bool),
        /// String, Text.
        #[prost(string, tag = "15")]
        StringValue(String),
    }
}
