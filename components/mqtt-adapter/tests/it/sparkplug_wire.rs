//! A minimal, independent protobuf writer for Sparkplug B payloads (the adapter decodes with
//! prost; the tests encode by hand, so a shared misunderstanding of the schema cannot hide).

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(field: u32, wire: u8, out: &mut Vec<u8>) {
    varint(u64::from(field) << 3 | u64::from(wire), out);
}

fn bytes_field(field: u32, data: &[u8], out: &mut Vec<u8>) {
    key(field, 2, out);
    varint(data.len() as u64, out);
    out.extend_from_slice(data);
}

/// A metric value as it goes on the wire.
pub enum V {
    Int(u32),
    Long(u64),
    Float(f32),
    Double(f64),
    Bool(bool),
    Str(&'static str),
}

/// One metric: optional name and alias, a Sparkplug data type, a value.
pub fn metric(name: Option<&str>, alias: Option<u64>, datatype: u32, value: V) -> Vec<u8> {
    let mut m = Vec::new();
    if let Some(n) = name {
        bytes_field(1, n.as_bytes(), &mut m);
    }
    if let Some(a) = alias {
        key(2, 0, &mut m);
        varint(a, &mut m);
    }
    key(4, 0, &mut m);
    varint(u64::from(datatype), &mut m);
    match value {
        V::Int(v) => {
            key(10, 0, &mut m);
            varint(u64::from(v), &mut m);
        }
        V::Long(v) => {
            key(11, 0, &mut m);
            varint(v, &mut m);
        }
        V::Float(x) => {
            key(12, 5, &mut m);
            m.extend_from_slice(&x.to_le_bytes());
        }
        V::Double(x) => {
            key(13, 1, &mut m);
            m.extend_from_slice(&x.to_le_bytes());
        }
        V::Bool(b) => {
            key(14, 0, &mut m);
            varint(u64::from(b), &mut m);
        }
        V::Str(s) => bytes_field(15, s.as_bytes(), &mut m),
    }
    m
}

/// A payload: timestamp, metrics, sequence number.
pub fn payload(timestamp: u64, metrics: &[Vec<u8>], seq: u64) -> Vec<u8> {
    let mut p = Vec::new();
    key(1, 0, &mut p);
    varint(timestamp, &mut p);
    for m in metrics {
        bytes_field(2, m, &mut p);
    }
    key(3, 0, &mut p);
    varint(seq, &mut p);
    p
}
