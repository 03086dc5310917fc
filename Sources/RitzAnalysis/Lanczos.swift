import RitzTensor

/// The tridiagonal matrix and orthonormal basis of a Lanczos run.
public struct LanczosResult: Sendable {
    /// Diagonal of the tridiagonal T (length `steps`): α_j = v_jᵀ H v_j.
    public let alpha: [Double]
    /// Off-diagonal of T (length `steps − 1`): β_j = ‖H v_j − α_j v_j − β_{j−1} v_{j−1}‖. A zero
    /// marks an invariant subspace after which the run continued with a fresh random direction.
    public let beta: [Double]
    /// The norm of the last residual, β_steps; `H V = V T + β_steps v_{steps} e_stepsᵀ`.
    public let residualNorm: Double
    /// The Lanczos vectors as the columns of an n×steps tensor.
    public let basis: Tensor
    /// Eigenvalues of T (the Ritz values), ascending.
    public let ritzValues: [Double]
    /// Matrix-vector products used.
    public let matvecs: Int
}

/// Lanczos tridiagonalisation with full reorthogonalisation.
///
/// The three-term recurrence H v_j = β_{j−1} v_{j−1} + α_j v_j + β_j v_{j+1} (Lanczos 1950;
/// Golub & Van Loan, Matrix Computations §10.1) with every new vector orthogonalised against all
/// previous ones by classical Gram–Schmidt applied twice (Parlett, The Symmetric Eigenvalue
/// Problem §6.9). With that, ‖VᵀV − I‖ stays at the level of machine precision and the Ritz values
/// are free of spurious copies. The start vector is a standard normal vector from `seed`, unless
/// `start` is given.
///
/// - Parameters:
///   - H: A symmetric operator.
///   - steps: Number of Lanczos vectors (1…n; larger values are clamped to n).
///   - seed: Seed of the start vector and of directions drawn after a breakdown.
///   - start: An optional start vector of length n (normalised here).
/// - Returns: α, β, the basis, the Ritz values and the matvec count.
/// - Throws: `TensorError.invalidArgument` for a non-symmetric operator, bad `steps` or a zero
///   start vector; errors of the operator.
public func lanczos(_ H: LinearOperator, steps: Int, seed: UInt64 = 0, start: Tensor? = nil) throws -> LanczosResult {
    guard H.isSymmetric else { throw TensorError.invalidArgument("lanczos needs a symmetric operator") }
    guard steps >= 1 else { throw TensorError.invalidArgument("lanczos needs steps >= 1, got \(steps)") }
    let (cells, overflow) = H.n.multipliedReportingOverflow(by: min(steps, H.n) + 1)
    guard !overflow else { throw TensorError.tooLarge(bytes: Int.max, limit: AllocationLimit.bytes) }
    try AllocationLimit.check(elements: 2 * cells)
    var rng = RandomGenerator(seed: seed)
    let v0 = try startVector(n: H.n, start: start, rng: &rng)
    let before = H.matvecs
    let run = try lanczosRecurrence(H, start: v0, steps: min(steps, H.n), rng: &rng)
    let m = run.alpha.count
    var cols = [Double](repeating: 0, count: H.n * m)
    for j in 0..<m {
        for i in 0..<H.n { cols[i * m + j] = run.basis.rows[j * H.n + i] }
    }
    let ritz = try SmallEigen.tridiagonal(run.alpha, run.beta).values
    return LanczosResult(alpha: run.alpha, beta: run.beta, residualNorm: run.lastBeta,
                         basis: try Tensor(shape: [H.n, m], storage: cols),
                         ritzValues: ritz, matvecs: H.matvecs - before)
}

/// The normalised start vector: `start` if given, else a standard normal vector from `rng`.
func startVector(n: Int, start: Tensor?, rng: inout RandomGenerator) throws -> [Double] {
    if let start {
        let s = try start.asFloat()
        guard s.count == n else { throw ShapeError.mismatch(op: "start vector", lhs: [n], rhs: s.shape) }
        let nrm = Blas.norm(s.storage)
        guard nrm > 0, nrm.isFinite else { throw TensorError.invalidArgument("the start vector must be non-zero and finite") }
        return Blas.scaled(s.storage, 1 / nrm)
    }
    var v = (0..<n).map { _ in rng.normal() }
    let nrm = Blas.norm(v)
    if nrm == 0 { v[0] = 1; return v }
    return Blas.scaled(v, 1 / nrm)
}

/// A unit vector orthogonal to the basis, drawn from `rng`; nil when the basis spans ℝⁿ.
func randomOrthogonal(to basis: KrylovBasis, rng: inout RandomGenerator) -> [Double]? {
    guard basis.count < basis.n else { return nil }
    for _ in 0..<8 {
        var w = (0..<basis.n).map { _ in rng.normal() }
        _ = basis.orthogonalize(&w)
        let nrm = Blas.norm(w)
        if nrm > 1e-8 { return Blas.scaled(w, 1 / nrm) }
    }
    return nil
}

/// Raw output of the recurrence: α, β (between consecutive vectors), the basis rows and the
/// final β with its (normalised) residual vector.
struct LanczosRun {
    var alpha: [Double]
    var beta: [Double]
    var basis: KrylovBasis
    var lastBeta: Double
}

/// Runs `steps` steps of Lanczos with full reorthogonalisation from a unit vector.
///
/// A breakdown (β_j ≤ 1e-12·‖T‖, an invariant subspace) continues with a random unit vector
/// orthogonal to the basis and β_j = 0, so the result always has `steps` orthonormal vectors.
func lanczosRecurrence(_ H: LinearOperator, start: [Double], steps: Int,
                       rng: inout RandomGenerator) throws -> LanczosRun {
    var basis = KrylovBasis(n: H.n, capacity: steps + 1)
    basis.append(start)
    var alpha = [Double](), beta = [Double]()
    var anorm = 0.0
    var lastBeta = 0.0
    for j in 0..<steps {
        try Interruption.check()
        var w = try H.apply(vector: basis.vector(j))
        let coeffs = basis.orthogonalize(&w)
        let a = coeffs[j]
        alpha.append(a)
        let b = Blas.norm(w)
        anorm = max(anorm, abs(a) + b + (beta.last ?? 0))
        if j == steps - 1 { lastBeta = b; break }
        if b <= 1e-12 * anorm || b == 0 {
            guard let fresh = randomOrthogonal(to: basis, rng: &rng) else { lastBeta = 0; break }
            beta.append(0)
            basis.append(fresh)
        } else {
            beta.append(b)
            basis.append(Blas.scaled(w, 1 / b))
        }
    }
    return LanczosRun(alpha: alpha, beta: beta, basis: basis, lastBeta: lastBeta)
}
