import Foundation
import Testing
import RitzTensor
@testable import RitzAnalysis

/// Operator algebra against dense matrices, the solvers of `inv` against LAPACK solves of the
/// damped matrix, and the trace and norm estimators over many seeds on fixed matrices.
@Suite struct OperatorAlgebraTests {
    static func random(_ rows: Int, _ cols: Int, seed: UInt64) throws -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return try Tensor.randn([rows, cols], using: &rng)
    }

    static func maxDiff(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.storage, b.storage).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Sums, multiples, shifts, compositions and transposes agree with the same dense arithmetic
    /// to a few ulps of the entries' size (each entry is one short inner product: n·ε·‖·‖ bounds it).
    @Test func algebraMatchesDenseArithmetic() throws {
        let a = try Self.random(5, 5, seed: 1), b = try Self.random(5, 5, seed: 2)
        let s = try CurvatureReference.symmetric(spectrum: [3, 1, -2, 0.5, 4], seed: 3)
        let A = try LinearOperator(matrix: a), B = try LinearOperator(matrix: b), S = try LinearOperator(matrix: s)
        let tol = backwardTol(n: 5, norm: 50)
        #expect(Self.maxDiff(try LinearOperator.sum(A, B).dense(), try a.binary(.add, b)) <= tol)
        #expect(Self.maxDiff(try LinearOperator.difference(A, B).dense(), try a.binary(.sub, b)) <= tol)
        #expect(Self.maxDiff(try LinearOperator.scaled(A, by: -2.5).dense(), try a.binary(.mul, Tensor(-2.5))) <= tol)
        let shifted = try LinearOperator.shifted(S, by: 0.75).dense()
        #expect(Self.maxDiff(shifted, try s.binary(.add, try Tensor.eye(5).binary(.mul, Tensor(0.75)))) <= tol)
        #expect(Self.maxDiff(try LinearOperator.composition(A, B).dense(), try a.matmul(b)) <= tol)
        #expect(Self.maxDiff(try A.transposed().dense(), try a.transposed()) <= tol)
        // (A B)ᵀ = Bᵀ Aᵀ from the operands' transposes.
        #expect(Self.maxDiff(try LinearOperator.composition(A, B).transposed().dense(), try a.matmul(b).transposed()) <= tol)
        // Symmetry: S + S, cS, S + cI and AᵀA are symmetric; A B and S A are not.
        #expect(try LinearOperator.sum(S, S).isSymmetric && LinearOperator.scaled(S, by: 2).isSymmetric)
        #expect(try LinearOperator.shifted(S, by: 1).isSymmetric)
        #expect(try LinearOperator.composition(A.transposed(), A).isSymmetric)
        #expect(try LinearOperator.composition(A, A.transposed()).isSymmetric)
        #expect(try LinearOperator.composition(S, S).isSymmetric)
        #expect(try !LinearOperator.composition(A, B).isSymmetric)
        #expect(try !LinearOperator.composition(S, A).isSymmetric)
        #expect(try !LinearOperator.sum(S, A).isSymmetric)
    }

    /// Rectangular operators compose by their inner dimension; mismatches are shape errors.
    @Test func rectangularShapes() throws {
        let j = try Self.random(7, 4, seed: 5)
        let J = try LinearOperator(rows: 7, cols: 4, label: "J", transpose: { x in try j.transposed().matmul(Tensor(x)).storage }) {
            x in try j.matmul(Tensor(x)).storage
        }
        let JtJ = try LinearOperator.composition(J.transposed(), J)
        #expect(JtJ.n == 4 && JtJ.rows == 4 && JtJ.isSymmetric)
        #expect(Self.maxDiff(try JtJ.dense(), try j.transposed().matmul(j)) <= backwardTol(n: 7, norm: 50))
        #expect(throws: ShapeError.self) { try LinearOperator.composition(J, J) }
        #expect(throws: ShapeError.self) { try LinearOperator.sum(J, JtJ) }
        #expect(throws: ShapeError.self) { try LinearOperator.shifted(J, by: 1) }
        #expect(throws: ShapeError.self) { try J.apply(vector: [1, 2, 3]) }
    }
}

@Suite struct SolverTests {
    /// A 12×12 symmetric matrix with the given spectrum, its damped dense form and a right-hand side.
    static func problem(_ spectrum: [Double], damping: Double) throws -> (H: LinearOperator, damped: Tensor, b: Tensor) {
        let a = try CurvatureReference.symmetric(spectrum: spectrum, seed: 7)
        let n = spectrum.count
        let damped = try a.binary(.add, try Tensor.eye(n).binary(.mul, Tensor(damping)))
        var rng = RandomGenerator(seed: 8)
        return (try LinearOperator(matrix: a), damped, try Tensor.randn([n], using: &rng))
    }

    static let positive: [Double] = (1...12).map { Double($0) }
    static let indefinite: [Double] = [-6, -3, -1, -0.5, 0.7, 1, 2, 3, 4, 5, 8, 10]

    /// Each method's x against LAPACK's solve of the damped matrix (dgesv). The true residual
    /// r = (H + δI)x − b it reports is at most tol·‖b‖, so ‖x − x*‖ ≤ ‖r‖/σ_min with σ_min the
    /// smallest |eigenvalue| of H + δI; LAPACK's own error adds n·ε·κ‖x*‖.
    @Test(arguments: [(SolveMethod.cg, positive, 0.5), (.minres, positive, 0.5), (.neumann, positive, 0.5),
                      (.minres, indefinite, 0.2)])
    func solvesMatchLAPACK(method: SolveMethod, spectrum: [Double], damping: Double) throws {
        let (H, damped, b) = try Self.problem(spectrum, damping: damping)
        let tol = 1e-10
        let inverse = try InverseOperator(H, method: method, damping: damping, tol: tol)
        let x = try inverse.op.apply(b)
        let report = try #require(inverse.log.lastReport)
        #expect(report.converged && report.residual <= tol, "\(method): residual \(report.residual)")
        let (reference, _) = try Tensor.solveEstimatingCondition(damped, b)
        let sigmaMin = spectrum.map { abs($0 + damping) }.min() ?? 1
        let sigmaMax = spectrum.map { abs($0 + damping) }.max() ?? 1
        let bound = report.residual * Blas.norm(b.storage) / sigmaMin
            + backwardTol(n: 12, norm: Blas.norm(reference.storage) * sigmaMax / sigmaMin)
        let error = Blas.norm(zip(x.storage, reference.storage).map { $0 - $1 })
        #expect(error <= bound * 1.01, "\(method): ‖x − x*‖ = \(error), bound \(bound)")
        // The reported residual is the true one: recompute it from the dense matrix.
        let r = try damped.matmul(x).binary(.sub, b)
        #expect(abs(Blas.norm(r.storage) / Blas.norm(b.storage) - report.residual) <= 1e-12)
    }

    /// dense(inv(H)) is the inverse of the damped matrix (columns are solves).
    @Test func denseInverse() throws {
        let (H, damped, _) = try Self.problem(Self.positive, damping: 0.1)
        let inverse = try InverseOperator(H, method: .cg, damping: 0.1, tol: 1e-12)
        let dense = try inverse.op.dense()
        let identity = try damped.matmul(dense)
        #expect(OperatorAlgebraTests.maxDiff(identity, try Tensor.eye(12)) <= 1e-10)
        #expect(inverse.log.solves == 12 && inverse.log.failures == 0)
    }

    /// CG stops at the first direction of negative curvature and reports its Rayleigh quotient:
    /// on diag(1, −2) with b = (1, 1) the first direction is b, so the quotient is (1 − 2)/2.
    @Test func cgReportsNegativeCurvature() throws {
        let H = try LinearOperator(matrix: try Tensor(shape: [2, 2], storage: [1, 0, 0, -2]))
        #expect(throws: SolveError.negativeCurvature(rayleigh: -0.5, iteration: 1)) {
            _ = try KrylovSolvers.solve(H, [1, 1], damping: 0, method: .cg, tol: 1e-10, maxiter: 10)
        }
        // Damping 0.25 still leaves −1.75 on the diagonal: (1.25 − 1.75)/2.
        #expect(throws: SolveError.negativeCurvature(rayleigh: -0.25, iteration: 1)) {
            _ = try KrylovSolvers.solve(H, [1, 1], damping: 0.25, method: .cg, tol: 1e-10, maxiter: 10)
        }
    }

    /// The Neumann series refuses an indefinite H + δI (its smallest eigenvalue, −6 + 0.2, from Lanczos).
    @Test func neumannRefusesIndefinite() throws {
        let (H, _, _) = try Self.problem(Self.indefinite, damping: 0)
        do {
            _ = try InverseOperator(H, method: .neumann, damping: 0.2)
            Issue.record("expected divergence")
        } catch let SolveError.neumannDiverges(lo, hi) {
            #expect(abs(lo - (-5.8)) <= 1e-5 && abs(hi - 10.2) <= 1e-5)
        }
    }

    /// A solve cut short by maxiter says so: its true residual is above tol.
    @Test func unconvergedSolveIsReported() throws {
        let (H, _, b) = try Self.problem(Self.positive, damping: 0)
        let inverse = try InverseOperator(H, method: .cg, tol: 1e-12, maxiter: 2)
        _ = try inverse.op.apply(b)
        let report = try #require(inverse.log.lastReport)
        #expect(report.iterations == 2 && !report.converged && report.residual > 1e-12)
        #expect(inverse.log.failures == 1)
    }
}

@Suite struct TraceEstimatorTests {
    /// A fixed 40×40 symmetric matrix with a decaying spectrum (the case Hutch++ is made for).
    static func matrix() throws -> (H: LinearOperator, trace: Double, frobenius2: Double) {
        let spectrum = (0..<40).map { 10 * pow(0.8, Double($0)) - 0.3 }
        let a = try CurvatureReference.symmetric(spectrum: spectrum, seed: 11)
        return (try LinearOperator(matrix: a), spectrum.reduce(0, +), spectrum.reduce(0) { $0 + $1 * $1 })
    }

    /// Over 300 seeds: the mean estimate is within 4 standard errors of the mean of the true value
    /// (unbiasedness; 4σ makes a false alarm a 1-in-15000 event), and the per-run error bars are
    /// honest: |estimate − truth| ≤ 2·stderr in at least 80% of runs (nominally 95% for a normal
    /// estimate; the error bars come from few samples, t-distributed, so coverage is a little lower).
    @Test(arguments: ["hutchpp", "xtrace", "frobenius"])
    func unbiasedWithHonestErrorBars(estimator: String) throws {
        let (H, trace, f2) = try Self.matrix()
        var estimates: [Double] = [], covered = 0
        let runs = 300
        for seed in 0..<runs {
            let (value, se, truth): (Double, Double, Double)
            switch estimator {
            case "hutchpp":
                let r = try hutchpp(H, matvecs: 24, seed: UInt64(seed))
                #expect(r.matvecs == 24)
                (value, se, truth) = (r.trace, r.error, trace)
            case "xtrace":
                let r = try xtrace(H, matvecs: 24, seed: UInt64(seed))
                #expect(r.matvecs == 24)
                (value, se, truth) = (r.trace, r.error, trace)
            default:
                let r = try frobenius(H, probes: 10, seed: UInt64(seed))
                (value, se, truth) = (r.squared, r.squaredStderr, f2)
            }
            estimates.append(value)
            if abs(value - truth) <= 2 * se { covered += 1 }
        }
        let truth = estimator == "frobenius" ? f2 : trace
        let (mean, seOfMean) = meanAndStandardError(estimates)
        #expect(abs(mean - truth) <= 4 * seOfMean, "\(estimator): mean \(mean) vs \(truth) ± \(seOfMean)")
        #expect(Double(covered) / Double(runs) >= 0.8, "\(estimator): coverage \(covered)/\(runs)")
    }

    /// XTrace's downdated formula equals its definition: for each i, Hutch++ with the basis of
    /// HΩ without column i (orthonormalised by LAPACK's QR) and probe ω_i.
    @Test func xtraceMatchesLeaveOneOutDefinition() throws {
        let spectrum = (0..<15).map { 3 * pow(0.7, Double($0)) - 0.2 }
        let a = try CurvatureReference.symmetric(spectrum: spectrum, seed: 4)
        let H = try LinearOperator(matrix: a)
        var rng = RandomGenerator(seed: 3)
        let k = 6
        let omega = (0..<k).map { _ in (0..<15).map { _ in rng.rademacher() } }
        let (samples, rank) = try xtraceSamples(H, omega: omega)
        #expect(rank == k)
        for i in 0..<k {
            let others = (0..<k).filter { $0 != i }
            var y = [Double]()
            for r in 0..<15 { for j in others { y.append(try a.matmul(Tensor(omega[j])).storage[r]) } }
            let q = try Tensor(shape: [15, k - 1], storage: y).qr().q
            let qt = try q.transposed()
            let block = try qt.matmul(a).matmul(q)
            let traceBlock = (0..<(k - 1)).reduce(0.0) { $0 + block.storage[$1 * (k - 1) + $1] }
            let w = Tensor(omega[i])
            let g = try w.binary(.sub, try q.matmul(try qt.matmul(w)))
            let expected = traceBlock + Blas.dot(g.storage, try a.matmul(g).storage)
            #expect(abs(samples[i] - expected) <= 1e-10 * max(1, abs(expected)), "t_\(i): \(samples[i]) vs \(expected)")
        }
    }

    /// Hutch++ is exact for a matrix of rank below matvecs/3: the basis captures it all.
    @Test func hutchppExactOnLowRank() throws {
        let spectrum = [5.0, -2, 1] + [Double](repeating: 0, count: 17)
        let H = try LinearOperator(matrix: try CurvatureReference.symmetric(spectrum: spectrum, seed: 2))
        let r = try hutchpp(H, matvecs: 12, seed: 1)
        #expect(abs(r.trace - 4) <= 1e-10 && r.error <= 1e-10 && r.rank == 3)
        let x = try xtrace(H, matvecs: 12, seed: 1)
        #expect(abs(x.trace - 4) <= 1e-10)
    }
}
