//! Eigen-decomposition of a small symmetric matrix (cyclic Jacobi), for the on-device PCA fit.

/// Eigenvalues (descending) and eigenvectors (columns, same order) of the symmetric `n x n`
/// matrix `a` (row-major). Accurate to rounding for the 8-20 features a model has.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        let scale: f64 = (0..n).map(|i| m[i * n + i] * m[i * n + i]).sum();
        if off <= 1e-30 * scale.max(1e-300) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                rotate(&mut m, &mut v, n, p, q);
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j * n + j].total_cmp(&m[i * n + i]));
    let values = order.iter().map(|&i| m[i * n + i]).collect();
    let mut vectors = vec![0.0; n * n];
    for (col, &src) in order.iter().enumerate() {
        for row in 0..n {
            vectors[row * n + col] = v[row * n + src];
        }
    }
    (values, vectors)
}

/// One Jacobi rotation zeroing `m[p][q]`.
fn rotate(m: &mut [f64], v: &mut [f64], n: usize, p: usize, q: usize) {
    let apq = m[p * n + q];
    if apq.abs() < 1e-300 {
        return;
    }
    let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let t = if theta == 0.0 { 1.0 } else { t };
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for k in 0..n {
        let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
        m[k * n + p] = c * mkp - s * mkq;
        m[k * n + q] = s * mkp + c * mkq;
    }
    for k in 0..n {
        let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
        m[p * n + k] = c * mpk - s * mqk;
        m[q * n + k] = s * mpk + c * mqk;
    }
    for k in 0..n {
        let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
        v[k * n + p] = c * vkp - s * vkq;
        v[k * n + q] = s * vkp + c * vkq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_decomposition() {
        // A = V diag(5, 2, 0.5) V^T with V a rotation.
        let a = [3.5, 1.5, 0.0, 1.5, 3.5, 0.0, 0.0, 0.0, 0.5];
        let (values, vectors) = symmetric_eigen(&a, 3);
        for (got, want) in values.iter().zip([5.0, 2.0, 0.5]) {
            assert!((got - want).abs() < 1e-12, "{values:?}");
        }
        // A v = lambda v for every column.
        for col in 0..3 {
            for row in 0..3 {
                let av: f64 = (0..3).map(|k| a[row * 3 + k] * vectors[k * 3 + col]).sum();
                assert!((av - values[col] * vectors[row * 3 + col]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn vectors_are_orthonormal_for_a_random_covariance() {
        let n = 8;
        let mut seed = 7u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let x: Vec<f64> = (0..n * 50).map(|_| rnd()).collect();
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..50).map(|r| x[r * n + i] * x[r * n + j]).sum::<f64>() / 49.0;
            }
        }
        let (values, v) = symmetric_eigen(&a, n);
        assert!(values.windows(2).all(|w| w[0] >= w[1]));
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..n).map(|k| v[k * n + i] * v[k * n + j]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-10);
            }
        }
    }
}
