//! Seeded noise sources. Every step draws the same number of values whatever the faults, so two
//! runs with one seed stay aligned and differ only where a fault acts.

/// A seeded source of uniform and Gaussian noise.
#[derive(Debug, Clone)]
pub struct Noise {
    rng: fastrand::Rng,
}

impl Noise {
    /// A source that yields the same sequence for the same `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        self.rng.f64()
    }

    /// Gaussian with mean 0 and standard deviation `sigma` (Box–Muller).
    pub fn gauss(&mut self, sigma: f64) -> f64 {
        let u1 = self.rng.f64().max(f64::MIN_POSITIVE);
        let u2 = self.rng.f64();
        sigma * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}
