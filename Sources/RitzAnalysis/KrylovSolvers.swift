import Foundation
import RitzTensor

/// How `inv(H, method=)` solves (H + δI) x = v.
public enum SolveMethod: String, Sendable, CaseIterable {
    /// Conjugate gradients (Hestenes & Stiefel 1952): symmetric positive definite H + δI.
    case cg
    /// MINRES (Paige & Saunders 1975): any symmetric H + δI, indefinite included.
    case minres
    /// The Neumann series x = α Σ_k (I − α(H + δI))ᵏ v: positive definite H + δI.
    case neumann
    /// K-FAC's exact inverse of a `kfac_op` through its factors' eigendecompositions (no iterations).
    case kfac
}

/// Errors of the linear solvers.
public enum SolveError: Error, Equatable, Sendable, CustomStringConvertible {
    /// CG met a direction p with pᵀ(H + δI)p ≤ 0, so H + δI is not positive definite.
    case negativeCurvature(rayleigh: Double, iteration: Int)
    /// The Neumann series diverges: H + δI has an eigenvalue ≤ 0 (or the contraction factor is ≥ 1).
    case neumannDiverges(smallest: Double, largest: Double)

    public var description: String {
        switch self {
        case let .negativeCurvature(q, k):
            return "cg met negative curvature at iteration \(k): the direction's Rayleigh quotient pᵀ(H + δI)p/pᵀp = \(q) ≤ 0, so H + δI is not positive definite; use method=\"minres\" or a damping larger than \(-q)"
        case let .neumannDiverges(lo, hi):
            return "the Neumann series diverges: H + δI has eigenvalues in about [\(lo), \(hi)] and converges only when all are > 0; use method=\"minres\" or a damping larger than \(-lo)"
        }
    }
}

/// One solve of (H + δI) x = v and its certificate.
public struct SolveReport: Sendable, Equatable {
    /// The method.
    public let method: SolveMethod
    /// Iterations (each one product with H).
    public let iterations: Int
    /// The true relative residual ‖(H + δI)x − v‖/‖v‖, from one more product (0 for v = 0).
    public let residual: Double
    /// The tolerance asked for.
    public let tol: Double
    /// True when `residual ≤ tol`.
    public var converged: Bool { residual <= tol }
}

/// Iterative solvers of (H + δI) x = v with H reached through products only.
///
/// Every solver stops on its own residual estimate, then computes the true residual
/// ‖(H + δI)x − v‖/‖v‖ with one more product, which is what it reports: the recurrences'
/// residuals drift from the true one by rounding, and only the true one certifies x.
public enum KrylovSolvers {
    /// Solves (H + δI) x = v.
    ///
    /// - Parameters:
    ///   - H: A square operator (symmetric for cg and minres).
    ///   - v: The right-hand side, length n.
    ///   - damping: δ, any finite number.
    ///   - method: The solver.
    ///   - tol: Relative residual wanted, > 0.
    ///   - maxiter: Iteration limit, ≥ 1.
    ///   - neumannStep: α for the Neumann series (from ``neumannStep(_:damping:)``), required for `.neumann`.
    ///   - direct: x = (H + δI)⁻¹ v computed in closed form, required for `.kfac`.
    /// - Returns: The solution and its report.
    /// - Throws: `SolveError.negativeCurvature` (cg), `LinalgError.nonFinite` for NaN or infinite entries of v,
    ///   `CurvatureError.interrupted`, errors of the operator.
    public static func solve(_ H: LinearOperator, _ v: [Double], damping: Double, method: SolveMethod, tol: Double,
                             maxiter: Int, neumannStep: Double? = nil,
                             direct: (([Double]) throws -> [Double])? = nil) throws -> (x: [Double], report: SolveReport) {
        try H.requireSquare("a solve")
        guard v.count == H.n else { throw ShapeError.mismatch(op: "@", lhs: [H.n, H.n], rhs: [v.count]) }
        guard tol > 0, tol.isFinite else { throw TensorError.invalidArgument("tol must be a positive number, got \(tol)") }
        guard maxiter >= 1 else { throw TensorError.invalidArgument("maxiter must be at least 1, got \(maxiter)") }
        guard damping.isFinite else { throw TensorError.invalidArgument("damping must be finite, got \(damping)") }
        let A: ([Double]) throws -> [Double] = { x in
            try Interruption.check()
            var y = try H.apply(vector: x)
            if damping != 0 { for i in y.indices { y[i] += damping * x[i] } }
            return y
        }
        guard v.allSatisfy({ $0.isFinite }) else { throw LinalgError.nonFinite(op: "solve") }
        let bnorm = Blas.norm(v)
        guard bnorm > 0 else {
            return ([Double](repeating: 0, count: H.n), SolveReport(method: method, iterations: 0, residual: 0, tol: tol))
        }
        let x: [Double], iterations: Int
        switch method {
        case .cg: (x, iterations) = try cg(A, v, bnorm: bnorm, tol: tol, maxiter: maxiter)
        case .minres: (x, iterations) = try minres(A, v, bnorm: bnorm, tol: tol, maxiter: maxiter)
        case .neumann:
            guard let alpha = neumannStep else { throw TensorError.invalidArgument("the Neumann series needs its step α") }
            (x, iterations) = try neumann(A, v, alpha: alpha, bnorm: bnorm, tol: tol, maxiter: maxiter)
        case .kfac:
            guard let direct else { throw TensorError.invalidArgument("method kfac inverts a kfac_op through its factors") }
            (x, iterations) = (try direct(v), 0)
        }
        let ax = try A(x)
        var r = 0.0
        for i in ax.indices { r += (ax[i] - v[i]) * (ax[i] - v[i]) }
        return (x, SolveReport(method: method, iterations: iterations, residual: r.squareRoot() / bnorm, tol: tol))
    }

    /// Conjugate gradients (Hestenes & Stiefel 1952; Saad, Iterative Methods, alg. 6.18), from x₀ = 0,
    /// stopping when the recurrence residual ‖r_k‖ ≤ tol‖b‖.
    ///
    /// - Throws: `SolveError.negativeCurvature` with pᵀAp/pᵀp when a search direction has pᵀAp ≤ 0.
    static func cg(_ A: ([Double]) throws -> [Double], _ b: [Double], bnorm: Double, tol: Double,
                   maxiter: Int) throws -> ([Double], Int) {
        let n = b.count
        var x = [Double](repeating: 0, count: n), r = b, p = b
        var rr = Blas.dot(r, r)
        var k = 0
        while k < maxiter, rr.squareRoot() > tol * bnorm {
            let ap = try A(p)
            k += 1
            let pap = Blas.dot(p, ap)
            guard pap > 0 else { throw SolveError.negativeCurvature(rayleigh: pap / Blas.dot(p, p), iteration: k) }
            let alpha = rr / pap
            for i in 0..<n { x[i] += alpha * p[i]; r[i] -= alpha * ap[i] }
            let next = Blas.dot(r, r)
            let beta = next / rr
            rr = next
            for i in 0..<n { p[i] = r[i] + beta * p[i] }
        }
        return (x, k)
    }

    /// MINRES without preconditioning (Paige & Saunders 1975), the recurrences of SciPy's
    /// `scipy.sparse.linalg.minres`: Lanczos on A, a QR factorisation of the tridiagonal by Givens
    /// rotations, x updated by the three-term direction recurrence; the residual norm ‖r_k‖ = φ̄_k
    /// decreases monotonically. Stops when φ̄_k ≤ tol‖b‖ or the Krylov space is exhausted (β = 0).
    static func minres(_ A: ([Double]) throws -> [Double], _ b: [Double], bnorm: Double, tol: Double,
                       maxiter: Int) throws -> ([Double], Int) {
        let n = b.count
        var x = [Double](repeating: 0, count: n)
        var r1 = b, r2 = b, y = b
        var beta = bnorm, oldb = 0.0
        var dbar = 0.0, epsln = 0.0, phibar = bnorm
        var cs = -1.0, sn = 0.0
        var w = [Double](repeating: 0, count: n), w2 = w, w1 = w
        var k = 0
        while k < maxiter {
            k += 1
            let s = 1 / beta
            let v = y.map { s * $0 }
            y = try A(v)
            if k >= 2 { for i in 0..<n { y[i] -= (beta / oldb) * r1[i] } }
            let alfa = Blas.dot(v, y)
            for i in 0..<n { y[i] -= (alfa / beta) * r2[i] }
            r1 = r2
            r2 = y
            oldb = beta
            beta = Blas.norm(r2)
            // Apply the previous rotation Q_{k−1}, then make Q_k to annihilate β_{k+1}.
            let oldeps = epsln
            let delta = cs * dbar + sn * alfa
            let gbar = sn * dbar - cs * alfa
            epsln = sn * beta
            dbar = -cs * beta
            let gamma = max((gbar * gbar + beta * beta).squareRoot(), Double.ulpOfOne)
            cs = gbar / gamma
            sn = beta / gamma
            let phi = cs * phibar
            phibar = sn * phibar
            w1 = w2
            w2 = w
            for i in 0..<n { w[i] = (v[i] - oldeps * w1[i] - delta * w2[i]) / gamma; x[i] += phi * w[i] }
            if abs(phibar) <= tol * bnorm || beta <= Double.ulpOfOne * bnorm { break }
        }
        return (x, k)
    }

    /// Richardson's iteration x_{k+1} = x_k + α(b − A x_k) from x₀ = 0, whose iterates are the partial
    /// sums α Σ_{j≤k} (I − αA)ʲ b of the Neumann series of A⁻¹ = α Σ (I − αA)ʲ; stops when the
    /// residual b − A x_k (computed exactly each step) has ‖·‖ ≤ tol‖b‖.
    static func neumann(_ A: ([Double]) throws -> [Double], _ b: [Double], alpha: Double, bnorm: Double, tol: Double,
                        maxiter: Int) throws -> ([Double], Int) {
        let n = b.count
        var x = [Double](repeating: 0, count: n), r = b
        var k = 0
        while k < maxiter, Blas.norm(r) > tol * bnorm {
            for i in 0..<n { x[i] += alpha * r[i] }
            let ax = try A(x)
            k += 1
            for i in 0..<n { r[i] = b[i] - ax[i] }
        }
        return (x, k)
    }

    /// The Neumann step α = 1/λ̂_max and the check that the series converges.
    ///
    /// The series α Σ (I − αA)ᵏ converges iff the spectrum of αA lies in (0, 2). λ̂_max and λ̂_min of
    /// A = H + δI come from `eigs` (thick-restart Lanczos, both ends, tolerance 1e-6 of the residual
    /// norms, seed 0), so α·λ_max ≈ 1 < 2 and the contraction factor is ρ = 1 − λ̂_min/λ̂_max.
    ///
    /// - Parameters:
    ///   - H: A symmetric square operator.
    ///   - damping: δ.
    /// - Returns: α, and the eigenvalue estimates.
    /// - Throws: `SolveError.neumannDiverges` when λ̂_min ≤ 0; errors of `eigs`.
    public static func neumannStep(_ H: LinearOperator, damping: Double) throws -> (alpha: Double, smallest: Double, largest: Double) {
        try H.requireSquare("the Neumann series")
        guard H.isSymmetric else {
            throw TensorError.invalidArgument("the Neumann series needs a symmetric operator to check that it converges (its spectrum from Lanczos)")
        }
        let largest: Double, smallest: Double
        if H.n == 1 {
            let h = try H.apply(vector: [1])[0]
            (largest, smallest) = (h, h)
        } else {
            largest = try eigs(H, k: 1, which: .largestAlgebraic, tol: 1e-6, seed: 0).values.first ?? .nan
            smallest = try eigs(H, k: 1, which: .smallestAlgebraic, tol: 1e-6, seed: 0).values.first ?? .nan
        }
        let lo = smallest + damping, hi = largest + damping
        guard lo > 0, hi > 0, lo.isFinite, hi.isFinite else { throw SolveError.neumannDiverges(smallest: lo, largest: hi) }
        return (1 / hi, lo, hi)
    }
}

/// The reports of an inverse operator's solves: the last one, how many, and the worst residual.
public final class SolveLog: @unchecked Sendable {
    private let lock = NSLock()
    private var last: SolveReport?
    private var count = 0
    private var worst = 0.0
    private var iterations = 0
    private var failed = 0

    func record(_ r: SolveReport) {
        lock.lock(); defer { lock.unlock() }
        last = r
        count += 1
        if !r.converged { failed += 1 }
        worst = max(worst, r.residual)
        iterations += r.iterations
    }

    /// The report of the last solve, nil before the first.
    public var lastReport: SolveReport? { lock.lock(); defer { lock.unlock() }; return last }
    /// The number of solves so far.
    public var solves: Int { lock.lock(); defer { lock.unlock() }; return count }
    /// The largest true relative residual of all solves so far (0 before the first).
    public var worstResidual: Double { lock.lock(); defer { lock.unlock() }; return worst }
    /// The number of solves that did not reach their tolerance.
    public var failures: Int { lock.lock(); defer { lock.unlock() }; return failed }
    /// Iterations summed over all solves.
    public var totalIterations: Int { lock.lock(); defer { lock.unlock() }; return iterations }
}

/// `inv(H, method=, damping=, tol=, maxiter=)`: the operator v ↦ (H + δI)⁻¹ v whose products are
/// solves, each reported (iterations and true residual) to ``log``.
public final class InverseOperator: Sendable {
    /// The operator whose products are solves.
    public let op: LinearOperator
    /// The solver.
    public let method: SolveMethod
    /// δ.
    public let damping: Double
    /// The tolerance of each solve.
    public let tol: Double
    /// The iteration limit of each solve.
    public let maxiter: Int
    /// α = 1/λ̂_max of the Neumann series, nil for the Krylov methods.
    public let neumannStep: Double?
    /// The reports of the solves.
    public let log = SolveLog()

    /// The inverse of H + δI.
    ///
    /// - Parameters:
    ///   - H: A square symmetric operator.
    ///   - method: The solver.
    ///   - damping: δ, finite.
    ///   - tol: Relative residual of each solve, > 0.
    ///   - maxiter: Iterations per solve (nil: 10n, at least 100; for Neumann at least 2·log(tol)/log(1 − λ_min/λ_max) + 10).
    ///   - direct: For `.kfac`, the closed-form (H + δI)⁻¹ v; its products still report the true residual.
    /// - Throws: `TensorError.invalidArgument` for bad settings or a non-symmetric H;
    ///   `SolveError.neumannDiverges`; errors of the operator.
    public init(_ H: LinearOperator, method: SolveMethod, damping: Double = 0, tol: Double = 1e-10, maxiter: Int? = nil,
                direct: (([Double]) throws -> [Double])? = nil) throws {
        try H.requireSquare("inv")
        guard H.isSymmetric else {
            throw TensorError.invalidArgument("inv of an operator needs a symmetric one (cg, minres and the Neumann check rely on it); \(H.label) is not known to be symmetric")
        }
        guard damping.isFinite else { throw TensorError.invalidArgument("damping must be finite, got \(damping)") }
        guard tol > 0, tol.isFinite else { throw TensorError.invalidArgument("tol must be a positive number, got \(tol)") }
        guard method != .kfac || direct != nil else {
            throw TensorError.invalidArgument("method kfac inverts a kfac_op through its factors; \(H.label) has none (use cg, minres or neumann)")
        }
        let step = method == .neumann ? try KrylovSolvers.neumannStep(H, damping: damping) : nil
        let alpha = step?.alpha
        var limit = maxiter ?? max(100, H.n < Int.max / 10 ? 10 * H.n : Int.max)
        if maxiter == nil, let step {
            // The error contracts by ρ = 1 − λ_min/λ_max per term: log(tol)/log(ρ) terms, doubled
            // for the estimates' slack.
            let rho = 1 - step.smallest / step.largest
            let needed = rho > 0 ? 2 * Foundation.log(tol) / Foundation.log(rho) + 10 : 10
            limit = needed < 1e8 ? max(limit, Int(needed.rounded(.up))) : 100_000_000
        }
        guard limit >= 1 else { throw TensorError.invalidArgument("maxiter must be at least 1, got \(limit)") }
        self.method = method
        self.damping = damping
        self.tol = tol
        self.maxiter = limit
        neumannStep = alpha
        let name: String = damping == 0 ? "(\(H.label))⁻¹" : "(\(H.label) + \(damping)·I)⁻¹"
        let log = self.log
        op = try LinearOperator(n: H.n, symmetric: true, label: "\(name) by \(method.rawValue)") { v in
            let (x, report) = try KrylovSolvers.solve(H, v, damping: damping, method: method, tol: tol, maxiter: limit,
                                                      neumannStep: alpha, direct: direct)
            log.record(report)
            return x
        }
    }
}
