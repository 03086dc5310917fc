import Foundation
import RitzTensor

/// The Lanczos process with full reorthogonalisation, for extreme eigenvalues of a sparse symmetric
/// matrix (Lanczos 1950; Golub & Van Loan §10.1). Each new vector is orthogonalised twice against
/// all previous ones (classical Gram–Schmidt, "twice is enough", Giraud et al. 2005), so Ritz values
/// do not repeat spuriously. Ritz values of the tridiagonal T_m (LAPACK dstevd) lie inside the
/// spectrum and converge first at both ends; the residual bound of θ_i is |β_m s_{m,i}| (Parlett,
/// ch. 13).
enum GraphLanczos {
    /// Extreme Ritz values after `steps` steps from a fixed start vector.
    ///
    /// - Returns: The Ritz values (ascending) and their residual bounds.
    static func ritzValues(_ a: CSRMatrix, steps: Int) throws -> (values: [Double], bounds: [Double]) {
        let n = a.rows
        guard n > 0 else { return ([], []) }
        let m = Swift.min(steps, n)
        var rng = RandomGenerator(seed: 0x1A2C_205)
        var v = (0..<n).map { _ in rng.normal() }
        let nv = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        v = v.map { $0 / nv }
        var basis = [[Double]]()
        var alpha = [Double](), beta = [Double]()
        for j in 0..<m {
            basis.append(v)
            var w = a.multiply(v)
            for _ in 0..<2 {
                for q in basis {
                    var dot = 0.0
                    for i in 0..<n { dot += q[i] * w[i] }
                    for i in 0..<n { w[i] -= dot * q[i] }
                }
            }
            // α_j = v_jᵀ A v_j (taken before reorthogonalisation removes it).
            let av = a.multiply(v)
            alpha.append(zip(v, av).reduce(0) { $0 + $1.0 * $1.1 })
            let b = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if j == m - 1 || b < 1e-12 * Swift.max(1, Swift.abs(alpha[j])) { beta.append(b); break }
            beta.append(b)
            v = w.map { $0 / b }
        }
        let k = alpha.count
        let (vals, vecs) = try Tensor.eighTridiagonal(alpha, Array(beta.prefix(k - 1)))
        let last = beta.last ?? 0
        let bounds = (0..<k).map { Swift.abs(last * vecs.storage[(k - 1) * k + $0]) }
        return (vals.storage, bounds)
    }

    /// The spectral norm ‖A‖₂ = max |λ| of a symmetric matrix, from the extreme Ritz values
    /// (a lower bound that converges fast; the residual bound is added so the result is ≥ ‖A‖₂
    /// to within rounding when the run has converged).
    static func spectralNorm(_ a: CSRMatrix, steps: Int = 60) throws -> Double {
        let (vals, bounds) = try ritzValues(a, steps: steps)
        guard let lo = vals.first, let hi = vals.last else { return 0 }
        return Swift.max(Swift.abs(lo) + (bounds.first ?? 0), Swift.abs(hi) + (bounds.last ?? 0))
    }
}
