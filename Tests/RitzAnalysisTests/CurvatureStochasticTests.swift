import Foundation
import Testing
import RitzTensor
@testable import RitzAnalysis

/// A seed for the stochastic estimators, named for the test table.
struct SeedCase: CustomTestStringConvertible, Sendable {
    let seed: UInt64
    var testDescription: String { "seed \(seed)" }
}

let stochasticSeeds = [1, 2, 3, 17, 123].map { SeedCase(seed: UInt64($0)) }

/// Trace and Frobenius norm squared (= tr(A²) for symmetric A) by plain loops.
func exactTraces(_ a: Tensor) -> (trace: Double, traceSquared: Double) {
    let n = a.shape[0]
    var t = 0.0, f = 0.0
    for i in 0..<n { t += a.storage[i * n + i] }
    for x in a.storage { f += x * x }
    return (t, f)
}

@Suite("Curvature: SLQ densities and Hutchinson estimators against exact traces")
struct CurvatureStochasticTests {
    static let spectrum = [6.0, 5.0, 4.5] + SpectrumCase.bulk(117, -0.5, 1.5)

    @Test("SLQ moments match tr(H)/n and tr(H²)/n within 4 probe standard errors", arguments: stochasticSeeds)
    func slqMoments(_ s: SeedCase) throws {
        let a = try CurvatureReference.symmetric(spectrum: Self.spectrum, seed: 21)
        let n = Double(a.shape[0])
        let exact = exactTraces(a)
        let r = try slq(try LinearOperator(matrix: a), steps: 30, probes: 40, seed: s.seed)
        #expect(r.matvecs == 30 * 40)
        for (p, target) in [(1, exact.trace / n), (2, exact.traceSquared / n)] {
            let samples = (0..<40).map { r.moment(p, probe: $0) }
            let (mean, se) = meanAndStandardError(samples)
            #expect(abs(mean - target) <= 4 * se, "moment \(p): \(mean) vs \(target) (se \(se))")
        }
        // Weights are the squared first components of T's orthonormal eigenvectors: they sum to 1
        // within the orthogonality of dstevd's vectors, steps·ε.
        for w in r.weights { #expect(abs(w.reduce(0, +) - 1) <= backwardTol(n: 30, norm: 1)) }
    }

    @Test("SLQ density is non-negative, integrates to 1 and has the nodes' mean")
    func slqDensity() throws {
        let a = try CurvatureReference.symmetric(spectrum: Self.spectrum, seed: 21)
        let r = try slq(try LinearOperator(matrix: a), steps: 40, probes: 5, seed: 8)
        #expect(r.x.count == 10000 && r.density.count == 10000)
        #expect(r.density.allSatisfy { $0 >= 0 })
        var integral = 0.0, first = 0.0
        for i in 1..<r.x.count {
            let dx = r.x[i] - r.x[i - 1]
            integral += 0.5 * (r.density[i] + r.density[i - 1]) * dx
            first += 0.5 * (r.x[i] * r.density[i] + r.x[i - 1] * r.density[i - 1]) * dx
        }
        // The density is normalised by this trapezoid rule, so only the rounding of the 10⁴-term
        // sum remains: bins·ε (threshold 1: a sequential sum's error bound is n·ε itself).
        #expect(abs(integral - 1) <= backwardTol(n: r.x.count, norm: 1, threshold: 1))
        let nodeMean = (0..<5).map { r.moment(1, probe: $0) }.reduce(0, +) / 5
        // Quadrature, not rounding: the trapezoid rule's O(dx²·σ⁻²) error on Gaussian bumps of
        // width σ ≈ 3e-3 sampled at dx ≈ 7e-4 and their truncation at the grid ends, below 1e-6.
        #expect(abs(first - nodeMean) <= 1e-6)
        // PyHessian's kernel: variance 1e-5·max(1, range of the nodes widened by 0.01 each side).
        let lo = r.nodes.flatMap { $0 }.min() ?? 0, hi = r.nodes.flatMap { $0 }.max() ?? 0
        let sigma = (1e-5 * max(1, hi - lo + 0.02)).squareRoot()
        // The same formula: a few roundings of σ.
        #expect(abs(r.sigma - sigma) <= 4 * Double.ulpOfOne * sigma)
        #expect(r.x.first ?? 0 < lo && r.x.last ?? 0 > hi)
    }

    @Test("SLQ with n steps puts its nodes on the eigenvalues")
    func slqExactNodes() throws {
        let spectrum = [3.0, 2, 1, 0.5, -1, -2.5, 4, 0.1]
        let a = try CurvatureReference.symmetric(spectrum: spectrum, seed: 4)
        let r = try slq(try LinearOperator(matrix: a), steps: 8, probes: 3, bins: 500, seed: 2)
        for (nodes, weights) in zip(r.nodes, r.weights) {
            // A node of non-negligible weight (above 1e-10) is a Ritz value of the complete Krylov
            // space: an eigenvalue within the backward error n·ε·‖A‖.
            for (t, w) in zip(nodes, weights) where w > 1e-10 {
                #expect(spectrum.contains { abs($0 - t) <= backwardTol(n: spectrum.count, norm: 4) }, "node \(t)")
            }
        }
    }

    @Test("Hutchinson lands within 4 standard errors of the trace", arguments: stochasticSeeds)
    func hutchinsonTrace(_ s: SeedCase) throws {
        let a = try CurvatureReference.symmetric(spectrum: Self.spectrum, seed: 22)
        let exact = exactTraces(a).trace
        let r = try hutchinson(try LinearOperator(matrix: a), probes: 100, seed: s.seed)
        #expect(r.matvecs == 100 && r.samples.count == 100)
        #expect(r.stderr > 0)
        #expect(abs(r.trace - exact) <= 4 * r.stderr, "\(r.trace) vs \(exact) (se \(r.stderr))")
    }

    @Test("Hutchinson is exact, with zero standard error, for a diagonal matrix")
    func hutchinsonDiagonalExact() throws {
        let d = [1.5, -2, 3, 0.25]
        let a = try Tensor.diag(Tensor(d))
        let r = try hutchinson(try LinearOperator(matrix: a), probes: 7, seed: 1)
        // zᵀDz = Σ d_i for every ±1 probe, summed exactly here (d holds short binary fractions).
        #expect(r.trace == 2.75 && r.stderr == 0)
        let g = try hutchinsonDiag(try LinearOperator(matrix: a), probes: 3, seed: 1)
        #expect(g.diagonal.storage == d)
        #expect(g.stderr.storage.allSatisfy { $0 == 0 })
    }

    @Test("hutchinson_diag lands within 4 standard errors of every diagonal entry", arguments: stochasticSeeds)
    func hutchinsonDiagonal(_ s: SeedCase) throws {
        let a = try CurvatureReference.symmetric(spectrum: SpectrumCase.bulk(30, -1, 2), seed: 23)
        let r = try hutchinsonDiag(try LinearOperator(matrix: a), probes: 400, seed: s.seed)
        for i in 0..<30 {
            let exact = a.storage[i * 30 + i]
            // Four standard errors, plus rounding (n·ε·‖A‖) for an entry whose probes all agree.
            #expect(abs(r.diagonal.storage[i] - exact) <= 4 * r.stderr.storage[i] + backwardTol(n: 30, norm: 2), "entry \(i)")
        }
    }

    @Test("bad arguments throw")
    func badArguments() throws {
        let H = try LinearOperator(matrix: try Tensor.eye(3))
        #expect(throws: TensorError.self) { try slq(H, steps: 0) }
        #expect(throws: TensorError.self) { try slq(H, probes: 0) }
        #expect(throws: TensorError.self) { try slq(H, sigma: -1) }
        #expect(throws: TensorError.self) { try slq(H, bins: 1) }
        #expect(throws: TensorError.self) { try hutchinson(H, probes: 0) }
        #expect(throws: TensorError.self) { try hutchinsonDiag(H, probes: 0) }
        // One probe has no spread, so no standard error: refused rather than NaN.
        #expect(throws: TensorError.self) { try hutchinson(H, probes: 1) }
        #expect(throws: TensorError.self) { try hutchinsonDiag(H, probes: 1) }
        #expect(try hutchinson(H, probes: 2).stderr.isFinite)
        // A huge kernel width is refused or handled, never a trap.
        if let wide = try? slq(H, steps: 2, probes: 1, sigma: 1e300, bins: 50) {
            #expect(wide.density.allSatisfy { $0.isFinite && $0 >= 0 })
        }
        #expect(throws: TensorError.self) { try eigs(try LinearOperator(n: 1 << 40) { $0 }, k: 1) }
    }
}
