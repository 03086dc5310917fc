import Foundation
import RitzTensor

/// σ_min(zI − A) for many shifts z from one Hessenberg reduction A = QHQᵀ: for each z an LU
/// factorisation of H − zI (O(n²), one subdiagonal), then Lanczos on (H − zI)⁻ᴴ(H − zI)⁻¹, whose
/// largest eigenvalue is 1/σ_min² (inverse Lanczos, as EigTool computes pseudospectra: Wright &
/// Trefethen, "Large-scale computation of pseudospectra using ARPACK and eigs", SISC 2001, §2,
/// there on the Schur form). Each Lanczos step is two O(n²) triangular solves.
///
/// Accuracy: the solves are backward stable (Hessenberg LU with partial pivoting has growth ≤ n),
/// so the σ_min found is that of H − zI + δ with ‖δ‖ ≲ n·u·‖A‖, within ‖δ‖ of the exact value
/// (Weyl), as a dense SVD is; Lanczos (fully reorthogonalised) stops when the Ritz value's
/// error estimate r²/gap (r ≤ 10⁻³θ) or bound r is below 2⁻⁵² of it, or at n steps, where it
/// is exact.
struct ShiftedHessenberg {
    let n: Int
    /// H, row-major, zero below the subdiagonal.
    let h: [Double]

    /// Reduces A once.
    ///
    /// - Parameter a: A real, finite n×n matrix, n ≥ 1.
    /// - Throws: as `Tensor.hessenberg`.
    init(_ a: Tensor) throws {
        n = a.shape[0]
        h = try a.hessenberg().h.storage
    }

    /// The LU factors of H − zI with the row swaps of partial pivoting (each between k and k+1).
    private struct Factors {
        var ure: [Double], uim: [Double]
        var multipliers: [Complex]
        var swapped: [Bool]
    }

    /// Factors H − zI, or nil when it is exactly singular (a zero pivot after pivoting).
    private func factor(_ z: Complex) -> Factors? {
        var ure = h, uim = [Double](repeating: 0, count: n * n)
        for i in 0..<n { ure[i * n + i] -= z.re; uim[i * n + i] = -z.im }
        var multipliers = [Complex](repeating: Complex(0), count: Swift.max(n - 1, 0))
        var swapped = [Bool](repeating: false, count: Swift.max(n - 1, 0))
        for k in 0..<(n - 1) {
            let d = Complex(ure[k * n + k], uim[k * n + k]), s = Complex(ure[(k + 1) * n + k], uim[(k + 1) * n + k])
            if s.magnitude > d.magnitude {
                swapped[k] = true
                for j in k..<n {
                    ure.swapAt(k * n + j, (k + 1) * n + j)
                    uim.swapAt(k * n + j, (k + 1) * n + j)
                }
            }
            let pivot = Complex(ure[k * n + k], uim[k * n + k])
            guard pivot.magnitude > 0 else { return nil }
            let l = Complex(ure[(k + 1) * n + k], uim[(k + 1) * n + k]) / pivot
            multipliers[k] = l
            for j in k..<n {
                let u = Complex(ure[k * n + j], uim[k * n + j])
                ure[(k + 1) * n + j] -= (l * u).re
                uim[(k + 1) * n + j] -= (l * u).im
            }
        }
        guard Complex(ure[n * n - 1], uim[n * n - 1]).magnitude > 0 else { return nil }
        return Factors(ure: ure, uim: uim, multipliers: multipliers, swapped: swapped)
    }

    /// x = (H − zI)⁻¹ b: the row operations, then back substitution with U.
    private func solve(_ f: Factors, _ b: [Complex]) -> [Complex] {
        var x = b
        for k in 0..<(n - 1) {
            if f.swapped[k] { x.swapAt(k, k + 1) }
            x[k + 1] = x[k + 1] - f.multipliers[k] * x[k]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = x[i]
            for j in (i + 1)..<n { s = s - Complex(f.ure[i * n + j], f.uim[i * n + j]) * x[j] }
            x[i] = s / Complex(f.ure[i * n + i], f.uim[i * n + i])
        }
        return x
    }

    /// y = (H − zI)⁻ᴴ c: forward substitution with Uᴴ, then the row operations transposed in
    /// reverse order.
    private func solveAdjoint(_ f: Factors, _ c: [Complex]) -> [Complex] {
        var y = c
        for i in 0..<n {
            var s = y[i]
            for j in 0..<i { s = s - Complex(f.ure[j * n + i], f.uim[j * n + i]).conjugate * y[j] }
            y[i] = s / Complex(f.ure[i * n + i], f.uim[i * n + i]).conjugate
        }
        for k in stride(from: n - 2, through: 0, by: -1) {
            y[k] = y[k] - f.multipliers[k].conjugate * y[k + 1]
            if f.swapped[k] { y.swapAt(k, k + 1) }
        }
        return y
    }

    /// σ_min(zI − A) (0 when H − zI is exactly singular).
    ///
    /// - Parameter z: The shift.
    /// - Returns: The smallest singular value.
    /// - Throws: `LinalgError.notConverged` if the tridiagonal eigensolver fails.
    func smallestSingularValue(at z: Complex) throws -> Double {
        guard let f = factor(z) else { return 0 }
        // A fixed start vector (seeded Gaussian) so that results are reproducible.
        var rng = RandomGenerator(seed: 0x5eed)
        var v = (0..<n).map { _ in Complex(rng.normal(), rng.normal()) }
        let norm0 = Self.norm(v)
        v = v.map { (1 / norm0) * $0 }
        var basis = [v]
        var alpha = [Double](), beta = [Double]()
        var theta = 0.0
        for step in 0..<n {
            var w = solveAdjoint(f, solve(f, basis[step]))
            let a = Self.dot(basis[step], w).re
            alpha.append(a)
            // Full reorthogonalisation, twice (Gram–Schmidt, "twice is enough").
            for _ in 0..<2 { for q in basis {
                let c = Self.dot(q, w)
                for i in 0..<n { w[i] = w[i] - c * q[i] }
            } }
            let b = Self.norm(w)
            let (values, vectors) = try Tensor.eighTridiagonal(alpha, beta)
            let m = alpha.count
            theta = values.storage[m - 1]
            guard theta.isFinite, theta > 0 else { return theta.isFinite ? .infinity : 0 }
            let residual = b * Swift.abs(vectors.storage[(m - 1) * m + m - 1])
            // |θ − λ_max| ≤ r; once r ≤ 10⁻³θ the Ritz values have separated enough that
            // r²/gap, gap from θ to the next Ritz value, estimates the error (Parlett, "The
            // Symmetric Eigenvalue Problem", §11.7).
            let gap = m > 1 ? theta - values.storage[m - 2] : 0
            let bound = gap > 0 && residual <= 1e-3 * theta ? Swift.min(residual, residual * residual / gap) : residual
            if step == n - 1 || bound <= 0x1p-52 * theta || b <= 0x1p-52 * theta { break }
            beta.append(b)
            basis.append(w.map { (1 / b) * $0 })
        }
        return 1 / theta.squareRoot()
    }

    private static func dot(_ a: [Complex], _ b: [Complex]) -> Complex {
        var s = Complex(0)
        for i in a.indices { s = s + a[i].conjugate * b[i] }
        return s
    }

    private static func norm(_ a: [Complex]) -> Double {
        var s = 0.0
        for z in a { s += z.re * z.re + z.im * z.im }
        return s.squareRoot()
    }
}
