import Foundation
import RitzTensor

/// Smallest eigenpairs of a large sparse symmetric matrix (a graph Laplacian).
///
/// Method: Chebyshev-filtered subspace iteration (Zhou, Saad, Tiago and Chelikowsky, J. Comput.
/// Phys. 219, 2006; Zhou and Saad, SIAM J. Matrix Anal. Appl. 29, 2007). A block of p > k vectors
/// is multiplied by the degree-m Chebyshev polynomial that is bounded by 1 on the unwanted
/// interval [a, b] and grows fast below a, then fully re-orthonormalised (Householder QR, and
/// projected off the deflated vectors) and rotated by Rayleigh–Ritz. b is a Gershgorin bound of
/// the spectrum, a the largest Ritz value of the block, refreshed every iteration. Because it is
/// a block method it captures eigenvalues of multiplicity up to p − k (the 100×100 grid has many
/// double eigenvalues, which a single-vector Lanczos run misses), and the start block is fixed
/// (xoshiro256** with a fixed seed), so results are deterministic.
///
/// Promise: every returned pair has ‖A v − θ v‖₂ ≤ tol, so each θ lies within tol of an
/// eigenvalue of A (Weyl/Bauer–Fike for symmetric A); the pairs are the k smallest when the
/// filter has separated them, which the final Ritz values of the p-block confirm.
enum GraphEigensolver {
    struct Result {
        var values: [Double]
        /// n×k row-major (column j the vector of values[j]).
        var vectors: [Double]
        var residuals: [Double]
        var iterations: Int
        var matvecs: Int
        var converged: Bool
    }

    /// The `k` smallest eigenpairs of the symmetric `a`, orthogonal to the orthonormal `deflate` vectors.
    ///
    /// - Parameters:
    ///   - a: Symmetric n×n CSR matrix.
    ///   - k: Pairs wanted, k ≥ 1.
    ///   - deflate: Orthonormal vectors (each of length n) whose span is excluded (known eigenvectors).
    ///   - tol: Residual tolerance ‖Av − θv‖.
    ///   - degree: Chebyshev degree per iteration.
    ///   - maxIterations: Iteration cap.
    static func smallest(_ a: CSRMatrix, k: Int, deflate: [[Double]] = [], tol: Double = 1e-8,
                         degree: Int = 40, maxIterations: Int = 400) throws -> Result {
        let n = a.rows
        let avail = n - deflate.count
        let k = Swift.min(k, avail)
        guard k >= 1 else { return Result(values: [], vectors: [], residuals: [], iterations: 0, matvecs: 0, converged: true) }
        let p = Swift.min(avail, k + Swift.max(6, k / 2))
        let upper = a.maxAbsRowSum                                // Gershgorin bound on |λ|
        var rng = RandomGenerator(seed: 0x5EED_1A9C)
        var x = (0..<(n * p)).map { _ in rng.normal() }
        var matvecs = 0

        func project(_ y: inout [Double]) {
            for u in deflate {
                for c in 0..<p {
                    var dot = 0.0
                    for i in 0..<n { dot += u[i] * y[i * p + c] }
                    for i in 0..<n { y[i * p + c] -= dot * u[i] }
                }
            }
        }
        func orthonormalise(_ y: [Double]) throws -> [Double] {
            var z = y
            project(&z)
            var q = try Tensor(shape: [n, p], storage: z).qr().q.storage
            project(&q)                                            // once more: full re-orthogonalisation
            return try Tensor(shape: [n, p], storage: q).qr().q.storage
        }
        // Rayleigh–Ritz: X ← X W, θ = eig(Xᵀ A X).
        func rayleighRitz(_ q: [Double]) throws -> (x: [Double], ax: [Double], theta: [Double]) {
            let ax = a.multiply(block: q, width: p); matvecs += p
            let qt = try Tensor(shape: [n, p], storage: q), axt = try Tensor(shape: [n, p], storage: ax)
            var hs = try qt.T.matmul(axt).storage
            // Symmetrise against rounding before eigh.
            for i in 0..<p { for j in 0..<i { let s = (hs[i * p + j] + hs[j * p + i]) / 2; hs[i * p + j] = s; hs[j * p + i] = s } }
            let (vals, w) = try Tensor(shape: [p, p], storage: hs).eigh()
            return (try qt.matmul(w).storage, try axt.matmul(w).storage, vals.storage)
        }

        var state = try rayleighRitz(try orthonormalise(x))
        var iterations = 0
        var residuals = [Double](repeating: .infinity, count: p)
        while true {
            for c in 0..<p {
                var acc = 0.0
                for i in 0..<n { let r = state.ax[i * p + c] - state.theta[c] * state.x[i * p + c]; acc += r * r }
                residuals[c] = acc.squareRoot()
            }
            if (0..<k).allSatisfy({ residuals[$0] <= tol }) || iterations >= maxIterations { break }
            try Interruption.check()
            iterations += 1
            // Chebyshev filter on [lo, hi] (Zhou–Saad Algorithm 3.2, scaled to avoid overflow).
            let hi = Swift.max(upper, (state.theta.last ?? 0) + 1e-12)
            let lo = state.theta.last ?? 0
            let low = Swift.min(state.theta.first ?? 0, lo - 1e-3 * (hi - lo))
            let e = (hi - lo) / 2, c = (hi + lo) / 2
            guard e > 0 else { break }
            var sigma = e / (low - c)
            let sigma1 = sigma
            x = state.x
            var y = a.multiply(block: x, width: p); matvecs += p
            for i in 0..<(n * p) { y[i] = (y[i] - c * x[i]) * sigma1 / e }
            for _ in 2...Swift.max(degree, 2) {
                let sigma2 = 1 / (2 / sigma1 - sigma)
                var ynew = a.multiply(block: y, width: p); matvecs += p
                let f = 2 * sigma2 / e, g = sigma * sigma2
                for i in 0..<(n * p) { ynew[i] = f * (ynew[i] - c * y[i]) - g * x[i] }
                x = y; y = ynew; sigma = sigma2
            }
            state = try rayleighRitz(try orthonormalise(y))
        }
        var vectors = [Double](repeating: 0, count: n * k)
        for i in 0..<n { for j in 0..<k { vectors[i * k + j] = state.x[i * p + j] } }
        let ok = (0..<k).allSatisfy { residuals[$0] <= tol }
        return Result(values: Array(state.theta[0..<k]), vectors: vectors, residuals: Array(residuals[0..<k]),
                      iterations: iterations, matvecs: matvecs, converged: ok)
    }
}
