import Foundation
import Testing
import RitzTensor
@testable import RitzAnalysis

/// A named test spectrum for `eigs`.
struct SpectrumCase: CustomTestStringConvertible, Sendable {
    let name: String
    let spectrum: [Double]
    let k: Int
    let which: EigsWhich
    let ncv: Int?
    var testDescription: String { name }

    /// Bulk uniformly spread in [lo, hi] (deterministic, no RNG needed).
    static func bulk(_ count: Int, _ lo: Double, _ hi: Double) -> [Double] {
        (0..<count).map { lo + (hi - lo) * Double($0) / Double(max(count - 1, 1)) }
    }
}

let spectrumCases: [SpectrumCase] = [
    // PyHessian's failure case: the top eigenvalues cluster within 1e-3 relative.
    SpectrumCase(name: "clustered top, LA", spectrum: [10, 9.999, 9.998, 9.997, 9.99] + SpectrumCase.bulk(195, -1, 1),
                 k: 4, which: .largestAlgebraic, ncv: nil),
    SpectrumCase(name: "clustered bottom, SA", spectrum: [-5, -4.9995, -4.999, -4.98] + SpectrumCase.bulk(146, 0, 3),
                 k: 3, which: .smallestAlgebraic, ncv: nil),
    SpectrumCase(name: "indefinite, LM", spectrum: [-8, 7.5, -7, 6.9] + SpectrumCase.bulk(120, -2, 2),
                 k: 4, which: .largestMagnitude, ncv: nil),
    SpectrumCase(name: "many restarts, small ncv", spectrum: [4, 3.99, 3.98, 3.9, 3.8, 3.7] + SpectrumCase.bulk(294, 0, 3.5),
                 k: 6, which: .largestAlgebraic, ncv: 14),
    SpectrumCase(name: "n below ncv, repeated top", spectrum: [2, 2, 2, 1, 0.5, 0.25, 0, -1, -1, -3, 0.1, 0.2],
                 k: 4, which: .largestAlgebraic, ncv: nil),
    SpectrumCase(name: "k = n", spectrum: [3, 1, -2, 5, 0], k: 5, which: .smallestAlgebraic, ncv: nil),
]

@Suite("Curvature: Lanczos, eigs and power iteration against dense LAPACK")
struct CurvatureLanczosTests {
    @Test("eigs matches dense eigh to 1e-8 relative with true residuals", arguments: spectrumCases)
    func eigsMatchesDense(_ c: SpectrumCase) throws {
        let a = try CurvatureReference.symmetric(spectrum: c.spectrum, seed: 7)
        let reference = CurvatureReference.eigh(a).values
        let ordered = reference.sorted { c.which.precedes($0, $1) }
        let H = try LinearOperator(matrix: a)
        let r = try eigs(H, k: c.k, which: c.which, tol: 1e-8, ncv: c.ncv, seed: 3)
        #expect(r.converged)
        #expect(r.values.count == c.k)
        let scale = reference.map(abs).max() ?? 1, n = c.spectrum.count
        for i in 0..<c.k {
            // The requested tolerance: |θ − λ| ≤ ‖Av − θv‖ ≤ 1e-8·|θ| (Weyl), or 1e-8 of ‖A‖·1e-3
            // for eigenvalues near zero, where eigs stops at its 64ε‖T‖ floor instead.
            #expect(abs(r.values[i] - ordered[i]) <= 1e-8 * max(abs(ordered[i]), 1e-3 * scale),
                    "value \(i): \(r.values[i]) vs \(ordered[i])")
            let v = CurvatureReference.column(r.vectors, i)
            let independent = CurvatureReference.residual(a, v, r.values[i])
            // The reported residual is the true one, up to rounding in the product (n·ε·‖A‖).
            #expect(abs(independent - r.residuals[i]) <= backwardTol(n: n, norm: scale))
            #expect(independent <= 1e-8 * max(abs(r.values[i]), 1e-3 * scale))
        }
        // Ritz vectors of a fully reorthogonalised basis: orthonormal to n·ε.
        #expect(CurvatureReference.orthogonalityError(r.vectors) <= backwardTol(n: n, norm: 1))
        #expect(r.matvecs == H.matvecs)
    }

    @Test("residuals from stored products equal recomputed ones and save k products", arguments: spectrumCases)
    func storedProductResiduals(_ c: SpectrumCase) throws {
        let a = try CurvatureReference.symmetric(spectrum: c.spectrum, seed: 7)
        let scale = c.spectrum.map(abs).max() ?? 1, n = c.spectrum.count
        let recomputed = try eigs(try LinearOperator(matrix: a), k: c.k, which: c.which, ncv: c.ncv, seed: 3,
                                  residualCheck: .recompute)
        let stored = try eigs(try LinearOperator(matrix: a), k: c.k, which: c.which, ncv: c.ncv, seed: 3,
                              residualCheck: .storedProducts)
        #expect(stored.converged)
        // Same iteration; BLAS may round differently with different buffer alignment (n·ε·‖A‖).
        for (x, y) in zip(stored.values, recomputed.values) { #expect(abs(x - y) <= backwardTol(n: n, norm: scale)) }
        #expect(stored.matvecs == recomputed.matvecs - c.k)
        for i in 0..<c.k {
            let independent = CurvatureReference.residual(a, CurvatureReference.column(stored.vectors, i), stored.values[i])
            #expect(abs(stored.residuals[i] - independent) <= backwardTol(n: n, norm: scale))
        }
    }

    @Test("the same seed gives the same bytes")
    func deterministic() throws {
        let a = try CurvatureReference.symmetric(spectrum: spectrumCases[0].spectrum, seed: 7)
        let r1 = try eigs(try LinearOperator(matrix: a), k: 4, seed: 11)
        let r2 = try eigs(try LinearOperator(matrix: a), k: 4, seed: 11)
        #expect(r1.values == r2.values)
        #expect(r1.vectors == r2.vectors)
        #expect(r1.residuals == r2.residuals)
    }

    @Test("a warm start from a nearby vector needs fewer products than a cold start")
    func warmStart() throws {
        let spectrum = [10, 9.9, 9.5] + SpectrumCase.bulk(297, -1, 1)
        let a = try CurvatureReference.symmetric(spectrum: spectrum, seed: 5)
        let cold = try eigs(try LinearOperator(matrix: a), k: 1, seed: 1)
        // Perturb the converged vector a little, as a step of training would.
        var rng = RandomGenerator(seed: 9)
        let v = cold.vectors.storage.map { $0 + 1e-3 * rng.normal() }
        let warm = try eigs(try LinearOperator(matrix: a), k: 1, start: Tensor(v))
        #expect(warm.converged && cold.converged)
        // eigs' default tolerance: |θ − λ| ≤ ‖r‖ ≤ 1e-8·|θ| = 1e-7.
        #expect(abs(warm.values[0] - 10) <= 1e-8 * 10)
        #expect(warm.matvecs < cold.matvecs)
    }

    @Test("lanczos: orthonormal basis, VᵀAV = T, and n steps give the whole spectrum")
    func lanczosTridiagonal() throws {
        let spectrum = SpectrumCase.bulk(40, -3, 7)
        let a = try CurvatureReference.symmetric(spectrum: spectrum, seed: 2)
        let H = try LinearOperator(matrix: a)
        let r = try lanczos(H, steps: 25, seed: 4)
        #expect(r.alpha.count == 25 && r.beta.count == 24 && r.matvecs == 25)
        let n = spectrum.count, norm = 7.0   // ‖A‖ = max |spectrum|
        #expect(CurvatureReference.orthogonalityError(r.basis) <= backwardTol(n: n, norm: 1))
        // VᵀAV computed densely equals the tridiagonal T, to the rounding of the products (n·ε·‖A‖).
        let av = try a.matmul(r.basis)
        let t = try r.basis.T.matmul(av)
        for i in 0..<25 {
            for j in 0..<25 {
                let expected = i == j ? r.alpha[i] : (abs(i - j) == 1 ? r.beta[min(i, j)] : 0)
                #expect(abs(t.storage[i * 25 + j] - expected) <= backwardTol(n: n, norm: norm), "T[\(i),\(j)]")
            }
        }
        let full = try lanczos(try LinearOperator(matrix: a), steps: 40, seed: 4)
        let reference = CurvatureReference.eigh(a).values
        // n steps: the Ritz values are the eigenvalues, each within the backward error n·ε·‖A‖.
        for (x, y) in zip(full.ritzValues, reference) { #expect(abs(x - y) <= backwardTol(n: n, norm: norm)) }
    }

    @Test("lanczos continues past an invariant subspace")
    func lanczosBreakdown() throws {
        // A start vector inside a 2-d invariant subspace of diag(1, 2, 3, 4, 5).
        let a = try Tensor(rows: (0..<5).map { i in (0..<5).map { $0 == i ? Double(i + 1) : 0 } })
        let r = try lanczos(try LinearOperator(matrix: a), steps: 5, start: Tensor([1, 1, 0, 0, 0]))
        #expect(r.beta[1] == 0)
        #expect(CurvatureReference.orthogonalityError(r.basis) <= backwardTol(n: 5, norm: 1))
        for (x, y) in zip(r.ritzValues, [1.0, 2, 3, 4, 5]) { #expect(abs(x - y) <= backwardTol(n: 5, norm: 5)) }
    }

    @Test("power iteration: converges on a separated spectrum; on a cluster its residual stays honest")
    func power() throws {
        let separated = try CurvatureReference.symmetric(spectrum: [10, 5] + SpectrumCase.bulk(98, -1, 1), seed: 3)
        let p = try powerIteration(try LinearOperator(matrix: separated), tol: 1e-8, maxiter: 2000)
        #expect(p.converged)
        // The requested tolerance (Weyl: |θ − λ| ≤ ‖r‖ ≤ 1e-8·|θ|); the reported residual is the
        // true one to the rounding of one product, n·ε·‖A‖.
        #expect(abs(p.value - 10) <= 1e-8 * 10)
        #expect(abs(CurvatureReference.residual(separated, p.vector.storage, p.value) - p.residual) <= backwardTol(n: 100, norm: 10))

        let clustered = try CurvatureReference.symmetric(spectrum: spectrumCases[0].spectrum, seed: 7)
        let q = try powerIteration(try LinearOperator(matrix: clustered), tol: 1e-8, maxiter: 200)
        #expect(!q.converged)
        let trueResidual = CurvatureReference.residual(clustered, q.vector.storage, q.value)
        #expect(abs(trueResidual - q.residual) <= backwardTol(n: 200, norm: 10))
        #expect(q.residual > 1e-8 * abs(q.value))
    }

    @Test("dense(op) rebuilds the matrix and op(A) detects symmetry")
    func denseRoundTrip() throws {
        let a = try Tensor(rows: [[1, 2, 3], [4, 5, 6], [7, 8, 10]])
        let H = try LinearOperator(matrix: a)
        #expect(!H.isSymmetric)
        #expect(try H.dense() == a)
        #expect(H.matvecs == 3)
        #expect(throws: TensorError.self) { try eigs(H, k: 1) }
        let scaled = try LinearOperator.tensorFunction(n: 2) { try $0.binary(.mul, Tensor([2, 3])) }
        #expect(try scaled.dense() == Tensor.diag(Tensor([2, 3])))
        let wrong = try LinearOperator.tensorFunction(n: 2) { _ in Tensor([1, 2, 3]) }
        #expect(throws: ShapeError.self) { try wrong.apply(Tensor([1, 2])) }
        let block = try LinearOperator(matrix: try CurvatureReference.symmetric(spectrum: [1, 2, 3, 4], seed: 1))
        let sub = try block.restricted(to: 1..<3).dense()
        let full = try block.dense()
        #expect(sub.storage == [full.storage[5], full.storage[6], full.storage[9], full.storage[10]])
    }

    @Test("bad arguments throw instead of trapping")
    func badArguments() throws {
        let H = try LinearOperator(matrix: try Tensor(rows: [[2, 0], [0, 1]]))
        #expect(throws: TensorError.self) { try eigs(H, k: 0) }
        #expect(throws: TensorError.self) { try eigs(H, k: 3) }
        #expect(throws: TensorError.self) { try eigs(H, k: 1, tol: -1) }
        #expect(throws: ShapeError.self) { try eigs(H, k: 1, start: Tensor([1, 2, 3])) }
        #expect(throws: TensorError.self) { try eigs(H, k: 1, start: Tensor([0, 0])) }
        #expect(throws: ShapeError.self) { try H.apply(Tensor([1, 2, 3])) }
        #expect(throws: TensorError.self) { try lanczos(H, steps: 0) }
        #expect(throws: TensorError.self) { try LinearOperator(n: 0) { (x: [Double]) in x } }
        let bad = try LinearOperator(n: 2) { (_: [Double]) in [1, 2, 3] }
        #expect(throws: ShapeError.self) { try bad.apply(Tensor([1, 2])) }
        let nan = try LinearOperator(n: 2) { (_: [Double]) in [.nan, 0] }
        #expect(throws: LinalgError.self) { try eigs(nan, k: 1) }
    }

    @Test("an installed interrupt check stops eigs")
    func interrupt() throws {
        let a = try CurvatureReference.symmetric(spectrum: spectrumCases[0].spectrum, seed: 7)
        let H = try LinearOperator(matrix: a)
        #expect(throws: CurvatureError.interrupted) {
            try Interruption.withCheck({ H.matvecs >= 5 }) { _ = try eigs(H, k: 4) }
        }
    }
}
