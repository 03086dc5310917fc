import RitzTensor

/// Which end of a symmetric spectrum `eigs` looks for.
public enum EigsWhich: String, Sendable, CaseIterable {
    /// Largest algebraic eigenvalues, returned largest first.
    case largestAlgebraic = "LA"
    /// Smallest algebraic eigenvalues, returned smallest first.
    case smallestAlgebraic = "SA"
    /// Largest in magnitude, returned by decreasing |λ|.
    case largestMagnitude = "LM"

    /// True when `a` comes before `b` in the order of this end of the spectrum.
    func precedes(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .largestAlgebraic: return a > b
        case .smallestAlgebraic: return a < b
        case .largestMagnitude: return abs(a) != abs(b) ? abs(a) > abs(b) : a > b
        }
    }
}

/// How `eigs` computes the residuals it reports. The default (``automatic(n:basisVectors:)``)
/// stores the products when their copy is small, and recomputes otherwise.
public enum EigsResidualCheck: String, Sendable, CaseIterable {
    /// One extra product H v per returned pair: ‖H v − θ v‖ from scratch.
    case recompute
    /// From the stored products H v_j of the basis vectors: H v = Σ y_j (H v_j) by linearity, so
    /// ‖Σ y_j H v_j − θ v‖ is the true residual up to rounding, without extra products (the
    /// basis memory doubles). Unlike the Lanczos estimate |β y_m| it does not assume the
    /// recurrence held exactly.
    case storedProducts

    /// Bytes the stored products may take for ``automatic(n:basisVectors:)`` to store them.
    public static let storedProductsBudget = 256 << 20

    /// Stored products when the images of a basis of `basisVectors` vectors of length `n` take
    /// at most ``storedProductsBudget`` bytes and fit the session's memory limit beside the basis
    /// (a model of a million parameters with the default basis: 168 MB), else one product per
    /// pair: k products saved wherever the copy is cheap, no doubled basis where it is not.
    public static func automatic(n: Int, basisVectors: Int) -> EigsResidualCheck {
        let (cells, overflow) = n.multipliedReportingOverflow(by: basisVectors)
        guard !overflow, cells <= storedProductsBudget / 8, (try? AllocationLimit.check(elements: 2 * cells)) != nil else {
            return .recompute
        }
        return .storedProducts
    }
}

/// Eigenpairs of a symmetric operator with their certificates.
public struct EigsResult: Sendable {
    /// Ritz values, ordered from the requested end (largest first for LA, smallest first for SA,
    /// by decreasing magnitude for LM).
    public let values: [Double]
    /// Ritz vectors as the columns of an n×k tensor, unit norm, each with its largest-magnitude
    /// component positive.
    public let vectors: Tensor
    /// True residuals ‖H v_i − θ_i v_i‖₂, from one extra product with H per pair (or from the
    /// stored products, see `EigsResidualCheck`).
    public let residuals: [Double]
    /// The Lanczos estimates |β_m y_{m,i}| the convergence test used.
    public let estimatedResiduals: [Double]
    /// Restart cycles (1 = no restart was needed).
    public let iterations: Int
    /// Matrix-vector products, including the k residual checks of `.recompute`.
    public let matvecs: Int
    /// How the residuals were computed.
    public let residualCheck: EigsResidualCheck
    /// True when every true residual satisfies ‖H v − θ v‖ ≤ max(tol·|θ|, 64ε‖H‖) (the second
    /// term is the rounding floor of a product with H).
    public let converged: Bool
}

/// The k eigenvalues at one end of the spectrum of a symmetric operator, by thick-restart Lanczos.
///
/// Method: Lanczos with full reorthogonalisation (twice-is-enough Gram–Schmidt) builds a basis of
/// `ncv` vectors; the Ritz pairs of the projected matrix T = VᵀHV give the approximations, and
/// the residual of each is estimated as |β_m y_{m,i}| (Parlett, The Symmetric Eigenvalue Problem
/// §13.2). Unless the k wanted ones satisfy ‖r‖ ≤ max(tol·|θ|, 64ε‖T‖), the basis is
/// thick-restarted (Wu & Simon, SIAM J. Matrix Anal. Appl. 22, 2000): the `l = k + (ncv − k)/2`
/// Ritz vectors nearest the wanted end are kept together with the last residual direction, the
/// projected matrix becomes an arrowhead (diag(θ) bordered by β_m y_{m,i}), and Lanczos continues.
/// The first cycle's T is tridiagonal and goes to LAPACK `dstevd`; arrowhead cycles to `dsyevd`.
/// At the end every reported residual is computed from products with H — the stored images H v_j
/// of the basis vectors combined as the Ritz vector combines them, or one new product per pair
/// when storing them would take much memory (`EigsResidualCheck`) — so the certificate does not
/// rest on the recurrence. By the Kato–Temple/Weyl bound, a residual r
/// puts an exact eigenvalue within r of θ (and within r²/gap when the gap is known).
/// Limitation shared by every single-vector Krylov method (ARPACK's included): when n > ncv, an
/// exactly repeated eigenvalue may be reported once, with its other copies missing, because the
/// Krylov space from one start vector contains one vector of each eigenspace.
///
/// - Parameters:
///   - H: A symmetric operator of dimension n.
///   - k: Number of eigenpairs, 1…n.
///   - which: The end of the spectrum.
///   - tol: Relative residual tolerance (default 1e-8).
///   - maxiter: Maximum restart cycles (default max(300, n)).
///   - ncv: Basis size (default min(n, max(2k + 1, 20)), as ARPACK's `eigsh`).
///   - start: Optional start vector (warm start), e.g. a previous Ritz vector.
///   - seed: Seed of the start vector when `start` is nil.
///   - residualCheck: How the reported residuals are computed (default: stored products when
///     they are small, else one extra product each; `EigsResidualCheck.automatic`).
/// - Returns: Values, vectors, true residuals, iterations, matvecs and the convergence flag.
///   Non-convergence is reported through `converged`, not thrown.
/// - Throws: `TensorError.invalidArgument` for bad arguments or a non-symmetric operator;
///   errors of the operator; `CurvatureError.interrupted`.
public func eigs(_ H: LinearOperator, k: Int = 6, which: EigsWhich = .largestAlgebraic, tol: Double = 1e-8,
                 maxiter: Int? = nil, ncv: Int? = nil, start: Tensor? = nil, seed: UInt64 = 0,
                 residualCheck: EigsResidualCheck? = nil) throws -> EigsResult {
    let n = H.n
    guard H.isSymmetric else { throw TensorError.invalidArgument("eigs needs a symmetric operator") }
    guard k >= 1, k <= n else { throw TensorError.invalidArgument("eigs needs 1 <= k <= n = \(n), got k = \(k)") }
    guard tol > 0, tol.isFinite else { throw TensorError.invalidArgument("eigs needs a positive tolerance, got \(tol)") }
    if let ncv, ncv <= k, ncv < n {
        throw TensorError.invalidArgument("eigs needs ncv > k (or ncv = n), got ncv = \(ncv), k = \(k)")
    }
    let maxCycles = maxiter ?? max(300, n)
    guard maxCycles >= 1 else { throw TensorError.invalidArgument("eigs needs maxiter >= 1") }
    let m = min(n, max(ncv ?? max(2 * k + 1, 20), k + 1))
    let residualCheck = residualCheck ?? .automatic(n: n, basisVectors: m + 1)
    // The basis (and, with stored products, their images) must fit the allocation limit.
    let (cells, overflow) = n.multipliedReportingOverflow(by: (m + 1) * (residualCheck == .storedProducts ? 2 : 1))
    guard !overflow else { throw TensorError.tooLarge(bytes: Int.max, limit: AllocationLimit.bytes) }
    try AllocationLimit.check(elements: cells)
    let before = H.matvecs
    var rng = RandomGenerator(seed: seed)
    let v0 = try startVector(n: n, start: start, rng: &rng)
    
    var basis = KrylovBasis(n: n, capacity: m + 1)
    basis.append(v0)
    // Rows H v_j of the basis vectors, kept for `.storedProducts`.
    let storing = residualCheck == .storedProducts
    var products = KrylovBasis(n: n, capacity: storing ? m + 1 : 1)
    var T = [Double](repeating: 0, count: m * m)
    var kept = 0
    var anorm = 0.0
    var cycles = 0

    /// Residual floor: below 64·ε·‖H‖ a residual is rounding, not approximation error.
    func bound(_ theta: Double) -> Double { max(tol * abs(theta), 64 * Double.ulpOfOne * anorm) }

    /// Ritz pairs of the leading size×size block of T, with their estimated residuals
    /// |β y_{size−1, i}| and the indices ordered from the wanted end.
    func ritzPairs(size: Int, beta: Double) throws -> (theta: [Double], y: [Double], estimates: [Double], order: [Int]) {
        let theta: [Double], y: [Double]
        if kept == 0 {
            let d = (0..<size).map { T[$0 * m + $0] }
            let e = (0..<max(size - 1, 0)).map { T[$0 * m + $0 + 1] }
            (theta, y) = try SmallEigen.tridiagonal(d, e)
        } else {
            var sub = [Double](repeating: 0, count: size * size)
            for r in 0..<size { for c in 0..<size { sub[r * size + c] = T[r * m + c] } }
            (theta, y) = try SmallEigen.symmetric(sub, m: size)
        }
        let estimates = (0..<size).map { abs(beta * y[(size - 1) * size + $0]) }
        let order = Array(0..<size).sorted { which.precedes(theta[$0], theta[$1]) || (theta[$0] == theta[$1] && $0 < $1) }
        return (theta, y, estimates, order)
    }

    /// Ritz vectors of the k wanted pairs, with residuals from the stored products or one new
    /// product each.
    func finish(_ p: (theta: [Double], y: [Double], estimates: [Double], order: [Int]), size: Int) throws -> EigsResult {
        let idx = Array(p.order.prefix(k))
        var sel = [Double](repeating: 0, count: size * idx.count)
        for r in 0..<size { for (c, i) in idx.enumerated() { sel[r * idx.count + c] = p.y[r * size + i] } }
        let u = basis.combine(sel, rowsY: size, cols: idx.count)
        let hu = storing ? products.combine(sel, rowsY: size, cols: idx.count) : []
        var values = [Double](), trueRes = [Double](), cols = [Double](repeating: 0, count: n * idx.count)
        for (c, i) in idx.enumerated() {
            var vec = Array(u[(c * n)..<((c + 1) * n)])
            let nrm = Blas.norm(vec)
            var scale = nrm > 0 ? 1 / nrm : 1
            if let big = vec.indices.max(by: { abs(vec[$0]) < abs(vec[$1]) }), vec[big] < 0 { scale = -scale }
            vec = Blas.scaled(vec, scale)
            let hv: [Double]
            if storing {
                hv = Blas.scaled(Array(hu[(c * n)..<((c + 1) * n)]), scale)
            } else {
                try Interruption.check()
                hv = try H.apply(vector: vec)
            }
            values.append(p.theta[i])
            // True residual ‖H v − θ v‖₂ from products with H.
            trueRes.append(Blas.residual(hv, p.theta[i], vec))
            for r in 0..<n { cols[r * idx.count + c] = vec[r] }
        }
        let converged = idx.count == k && zip(values, trueRes).allSatisfy { $1 <= bound($0) }
        return EigsResult(values: values, vectors: try Tensor(shape: [n, idx.count], storage: cols),
                          residuals: trueRes, estimatedResiduals: idx.map { p.estimates[$0] },
                          iterations: cycles, matvecs: H.matvecs - before, residualCheck: residualCheck,
                          converged: converged)
    }

    // Convergence is tested after every step while the projected problem is small (so a warm
    // start stops as soon as its pair is accurate), every ⌈m/16⌉ steps for large bases. When the
    // basis can hold all of ℝⁿ (m = n) it is always completed: a single Krylov sequence holds
    // only one copy of an exactly repeated eigenvalue, and the random directions drawn after its
    // breakdowns are what bring in the other copies.
    let checkStride = m == n ? Int.max : (m <= 64 ? 1 : (m + 15) / 16)
    while true {
        cycles += 1
        var j = basis.count - 1
        while true {
            try Interruption.check()
            var w = try H.apply(vector: basis.vector(j))
            if storing { products.append(w) }
            let coeffs = basis.orthogonalize(&w)
            T[j * m + j] = coeffs[j]
            let b = Blas.norm(w)
            var rowSum = b
            for i in 0...j { rowSum += abs(T[i * m + j]) }
            anorm = max(anorm, rowSum)
            let broke = b <= 1e-12 * anorm || b == 0
            let size = j + 1
            let beta = broke ? 0 : b
            let last = size == m
            var pairs: (theta: [Double], y: [Double], estimates: [Double], order: [Int])?
            if size >= k && (last || (size - kept) % checkStride == 0) {
                let p = try ritzPairs(size: size, beta: beta)
                if p.order.prefix(k).allSatisfy({ p.estimates[$0] <= bound(p.theta[$0]) }) {
                    return try finish(p, size: size)
                }
                pairs = p
            }
            let fresh: [Double]? = broke ? randomOrthogonal(to: basis, rng: &rng) : Blas.scaled(w, 1 / b)
            guard let next = fresh else {
                // The basis spans ℝⁿ: the Ritz pairs are exact.
                return try finish(try pairs ?? ritzPairs(size: size, beta: 0), size: size)
            }
            if last {
                let p = try pairs ?? ritzPairs(size: size, beta: beta)
                if cycles >= maxCycles { return try finish(p, size: size) }
                // Thick restart: keep l Ritz vectors nearest the wanted end and the residual direction.
                let l = min(m - 1, k + (m - k) / 2)
                let keep = Array(p.order.prefix(l))
                var sel = [Double](repeating: 0, count: size * l)
                for r in 0..<size { for (c, i) in keep.enumerated() { sel[r * l + c] = p.y[r * size + i] } }
                let u = basis.combine(sel, rowsY: size, cols: l)
                var vectors = (0..<l).map { Array(u[($0 * n)..<(($0 + 1) * n)]) }
                vectors.append(next)
                basis.reset(vectors)
                if storing {
                    // H(VY) = (HV)Y: the kept Ritz vectors' products, without new products.
                    let hu = products.combine(sel, rowsY: size, cols: l)
                    products.reset((0..<l).map { Array(hu[($0 * n)..<(($0 + 1) * n)]) })
                }
                T = [Double](repeating: 0, count: m * m)
                for (c, i) in keep.enumerated() {
                    T[c * m + c] = p.theta[i]
                    let s = beta * p.y[(size - 1) * size + i]
                    T[c * m + l] = s
                    T[l * m + c] = s
                }
                kept = l
                break
            }
            T[j * m + j + 1] = beta
            T[(j + 1) * m + j] = beta
            basis.append(next)
            j += 1
        }
    }
}
