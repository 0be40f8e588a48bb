//! First-order lag: how temperatures and motor speed follow their target.

/// A value that approaches its target with time constant `tau_s`.
#[derive(Debug, Clone, Copy)]
pub struct Lag {
    value: f64,
    tau_s: f64,
}

impl Lag {
    /// Starts at `value`.
    pub fn new(value: f64, tau_s: f64) -> Self {
        Self { value, tau_s }
    }

    /// Moves towards `target` over `dt_s` seconds (exact solution of dx/dt = (target - x) / tau).
    pub fn step(&mut self, target: f64, dt_s: f64) -> f64 {
        let k = 1.0 - (-dt_s / self.tau_s).exp();
        self.value += (target - self.value) * k;
        self.value
    }
}
