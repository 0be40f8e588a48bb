//! IEEE 754 binary16 ("half") ⇄ f64, for `f16` points; no crate needed for two small functions.

/// Largest finite half value.
pub const MAX: f64 = 65_504.0;

/// binary16 bits → f64 (exact: every half value is an f64).
pub fn to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exponent = i32::from((h >> 10) & 0x1f);
    let fraction = f64::from(h & 0x3ff);
    match exponent {
        0 => sign * fraction * 2f64.powi(-24),
        31 if fraction == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        e => sign * (1.0 + fraction / 1024.0) * 2f64.powi(e - 15),
    }
}

/// f64 → the nearest binary16 bits (ties to even); `None` if `x` is not finite or beyond ±65504.
pub fn from_f64(x: f64) -> Option<u16> {
    if !x.is_finite() || x.abs() > MAX {
        return None;
    }
    let sign: u16 = if x.is_sign_negative() { 0x8000 } else { 0 };
    let a = x.abs();
    if a < 2f64.powi(-14) {
        // Subnormal (or zero): a multiple of 2^-24. Rounding up to 1024 gives the smallest
        // normal, whose bits are exactly 0x0400, so no special case is needed.
        let m = (a * 2f64.powi(24)).round_ties_even() as u16;
        return Some(sign | m);
    }
    // `a` is a normal f64 here, so its exponent field is the binary exponent.
    let mut e = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let mut m = ((a / 2f64.powi(e) - 1.0) * 1024.0).round_ties_even() as u16;
    if m == 1024 {
        e += 1;
        m = 0;
    }
    if e > 15 {
        return None;
    }
    Some(sign | (((e + 15) as u16) << 10) | m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(from_f64(21.5), Some(0x4D60));
        assert_eq!(from_f64(1.0), Some(0x3C00));
        assert_eq!(from_f64(-2.0), Some(0xC000));
        assert_eq!(from_f64(MAX), Some(0x7BFF));
        assert_eq!(from_f64(2f64.powi(-24)), Some(0x0001));
        assert_eq!(from_f64(0.0), Some(0));
        assert_eq!(from_f64(70_000.0), None);
        assert_eq!(from_f64(f64::NAN), None);
        assert_eq!(to_f64(0x4D60), 21.5);
        assert_eq!(to_f64(0x7C00), f64::INFINITY);
    }

    #[test]
    fn every_finite_half_round_trips() {
        for bits in 0..=u16::MAX {
            let x = to_f64(bits);
            if x.is_finite() {
                let back = from_f64(x).expect("finite halves encode");
                // ±0 are the only two encodings of one value.
                assert!(back == bits || x == 0.0, "{bits:#06x} → {x} → {back:#06x}");
            }
        }
    }

    #[test]
    fn values_between_halves_round_to_the_nearest() {
        // 1 + 1/2048 is halfway between 1.0 and the next half: ties go to even (1.0).
        assert_eq!(from_f64(1.0 + 1.0 / 2048.0), Some(0x3C00));
        assert_eq!(from_f64(1.0 + 1.5 / 2048.0), Some(0x3C01));
        // Just below 2.0 rounds up into the next binade.
        assert_eq!(from_f64(1.9999), Some(0x4000));
    }
}
