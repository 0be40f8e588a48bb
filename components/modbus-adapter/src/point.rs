//! A validated data point: where it lives on the device and how its raw words become a value.

/// One of the four Modbus data tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Read/write single bits (function 1).
    Coil,
    /// Read-only single bits (function 2).
    DiscreteInput,
    /// Read/write 16-bit registers (function 3).
    Holding,
    /// Read-only 16-bit registers (function 4).
    Input,
}

impl Table {
    /// Parses the configuration name (`coil`, `discreteInput`, `holding`, `input`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "coil" => Some(Self::Coil),
            "discreteInput" => Some(Self::DiscreteInput),
            "holding" => Some(Self::Holding),
            "input" => Some(Self::Input),
            _ => None,
        }
    }

    /// Whether the table holds single bits rather than 16-bit registers.
    pub fn is_bits(self) -> bool {
        matches!(self, Self::Coil | Self::DiscreteInput)
    }

    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Coil => "coil",
            Self::DiscreteInput => "discreteInput",
            Self::Holding => "holding",
            Self::Input => "input",
        }
    }
}

/// How the bytes of a multi-register value are ordered on the wire. `A` is the most significant
/// byte of the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ByteOrder {
    /// Big endian: high word first, high byte first in each word (the Modbus convention).
    #[default]
    Abcd,
    /// Little endian: low word first, low byte first.
    Dcba,
    /// High word first, bytes swapped inside each word.
    Badc,
    /// Low word first, high byte first in each word ("word swap").
    Cdab,
}

impl ByteOrder {
    /// Parses `ABCD`, `DCBA`, `BADC` or `CDAB` (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "ABCD" => Some(Self::Abcd),
            "DCBA" => Some(Self::Dcba),
            "BADC" => Some(Self::Badc),
            "CDAB" => Some(Self::Cdab),
            _ => None,
        }
    }

    /// Whether the bytes inside each register are swapped.
    pub fn swaps_bytes(self) -> bool {
        matches!(self, Self::Dcba | Self::Badc)
    }

    /// Whether the registers come low word first.
    pub fn swaps_words(self) -> bool {
        matches!(self, Self::Dcba | Self::Cdab)
    }
}

/// The type of a point's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// A coil or discrete input.
    Bool,
    /// One bit (0 = least significant) of a holding or input register.
    Bit(u8),
    /// Unsigned 8-bit integer in the high (`true`, first on the wire) or low byte of a register.
    U8 {
        /// Which byte.
        high: bool,
    },
    /// Signed 8-bit integer in the high or low byte of a register.
    I8 {
        /// Which byte.
        high: bool,
    },
    /// Unsigned 16-bit integer.
    U16,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 32-bit integer.
    U32,
    /// Signed 32-bit integer.
    I32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 64-bit integer.
    I64,
    /// IEEE 754 half precision.
    F16,
    /// IEEE 754 single precision.
    F32,
    /// IEEE 754 double precision.
    F64,
    /// A fixed-length string of this many registers (two characters each).
    Text(u16),
}

impl DataType {
    /// How many addresses (registers or bits) the point occupies.
    pub fn width(self) -> u16 {
        match self {
            Self::Bool
            | Self::Bit(_)
            | Self::U8 { .. }
            | Self::I8 { .. }
            | Self::U16
            | Self::I16
            | Self::F16 => 1,
            Self::U32 | Self::I32 | Self::F32 => 2,
            Self::U64 | Self::I64 | Self::F64 => 4,
            Self::Text(len) => len,
        }
    }

    /// The bits of its register a sub-register point uses (`None`: the whole range). Two points
    /// on one register overlap only if their masks share a bit.
    pub fn register_mask(self) -> Option<u16> {
        match self {
            Self::Bit(b) => Some(1 << b),
            Self::U8 { high: true } | Self::I8 { high: true } => Some(0xFF00),
            Self::U8 { high: false } | Self::I8 { high: false } => Some(0x00FF),
            _ => None,
        }
    }

    /// Whether the type belongs in a bit table (coils, discrete inputs).
    pub fn is_bit_table_type(self) -> bool {
        matches!(self, Self::Bool)
    }
}

/// Which poll interval a point follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum PollGroup {
    /// `pollIntervalMs`.
    #[default]
    Fast,
    /// `slowPollIntervalMs`.
    Slow,
}

impl PollGroup {
    /// Parses `fast` or `slow`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "fast" => Some(Self::Fast),
            "slow" => Some(Self::Slow),
            _ => None,
        }
    }

    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fast => "fast",
            Self::Slow => "slow",
        }
    }
}

/// A linear conversion `raw * scale + offset`; when present the value is published as a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scaling {
    /// Multiplier.
    pub scale: f64,
    /// Added after scaling.
    pub offset: f64,
}

/// A validated point.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Point id (the key in `points`).
    pub id: String,
    /// Data table.
    pub table: Table,
    /// First address (0-based).
    pub address: u16,
    /// Value type.
    pub data_type: DataType,
    /// Byte and word order of multi-byte values.
    pub byte_order: ByteOrder,
    /// Optional linear conversion.
    pub scaling: Option<Scaling>,
    /// Engineering unit.
    pub unit: Option<String>,
    /// Poll group.
    pub group: PollGroup,
    /// Whether writes through the command topic are allowed.
    pub writable: bool,
    /// Unit id (slave address) the point is read from.
    pub unit_id: u8,
}

impl Point {
    /// One past the last address the point occupies (may be 65536).
    pub fn end(&self) -> u32 {
        u32::from(self.address) + u32::from(self.data_type.width())
    }
}
