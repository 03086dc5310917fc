import CLAPACK
import Foundation
import RitzTensor
@testable import RitzAnalysis

/// Independent references for the curvature tests: dense LAPACK and explicit matrix products.
enum CurvatureReference {
    /// All eigenvalues (ascending) and eigenvectors (columns, row-major n×n) of a dense symmetric
    /// matrix by LAPACK `dsyev` (QR iteration; a different driver from the `dsyevd` and `dstevd`
    /// the Krylov code uses for its small projected matrices).
    static func eigh(_ a: Tensor) -> (values: [Double], vectors: [Double]) {
        let n = a.shape[0]
        var z = a.storage
        var w = [Double](repeating: 0, count: n)
        let info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(n), &z, Int32(n), &w)
        precondition(info == 0, "dsyev failed with info \(info)")
        return (w, z)
    }

    /// A dense symmetric matrix Q diag(λ) Qᵀ with Q a product of `reflections` random Householder
    /// reflections I − 2uuᵀ (so Q is dense and exactly orthogonal up to rounding).
    static func symmetric(spectrum: [Double], seed: UInt64, reflections: Int = 4) throws -> Tensor {
        let n = spectrum.count
        var rng = RandomGenerator(seed: seed)
        var q = [Double](repeating: 0, count: n * n)
        for i in 0..<n { q[i * n + i] = 1 }
        for _ in 0..<reflections {
            var u = (0..<n).map { _ in rng.normal() }
            let nrm = sqrt(u.reduce(0) { $0 + $1 * $1 })
            u = u.map { $0 / nrm }
            // Q ← Q (I − 2uuᵀ)
            for r in 0..<n {
                var s = 0.0
                for c in 0..<n { s += q[r * n + c] * u[c] }
                for c in 0..<n { q[r * n + c] -= 2 * s * u[c] }
            }
        }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for k in 0..<n { s += q[i * n + k] * spectrum[k] * q[j * n + k] }
                a[i * n + j] = s
                a[j * n + i] = s
            }
        }
        return try Tensor(shape: [n, n], storage: a)
    }

    /// ‖A v − θ v‖₂ by a plain loop (not BLAS, not the operator).
    static func residual(_ a: Tensor, _ v: [Double], _ theta: Double) -> Double {
        let n = v.count
        var s = 0.0
        for i in 0..<n {
            var row = 0.0
            for j in 0..<n { row += a.storage[i * n + j] * v[j] }
            let r = row - theta * v[i]
            s += r * r
        }
        return sqrt(s)
    }

    /// Column `c` of a row-major matrix tensor.
    static func column(_ t: Tensor, _ c: Int) -> [Double] {
        let (rows, cols) = (t.shape[0], t.shape[1])
        return (0..<rows).map { t.storage[$0 * cols + c] }
    }

    /// max |(VᵀV − I)_ij| for the columns of V.
    static func orthogonalityError(_ v: Tensor) -> Double {
        let k = v.shape[1]
        var worst = 0.0
        for a in 0..<k {
            let x = column(v, a)
            for b in 0..<k {
                let y = column(v, b)
                var s = 0.0
                for i in 0..<x.count { s += x[i] * y[i] }
                worst = max(worst, abs(s - (a == b ? 1 : 0)))
            }
        }
        return worst
    }
}
