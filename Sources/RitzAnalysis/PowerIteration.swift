import RitzTensor

/// The dominant eigenpair found by power iteration, with an honest residual.
public struct PowerIterationResult: Sendable {
    /// The Rayleigh quotient θ = vᵀHv of the final unit vector.
    public let value: Double
    /// The final unit vector (length n).
    public let vector: Tensor
    /// ‖H v − θ v‖₂ for the returned v and θ, from the product H v itself.
    public let residual: Double
    /// Iterations performed (one product each).
    public let iterations: Int
    /// Matrix-vector products.
    public let matvecs: Int
    /// True when residual ≤ tol·|θ|.
    public let converged: Bool
}

/// Power iteration v ← Hv/‖Hv‖ for the eigenvalue of largest magnitude.
///
/// Each step computes w = H v for the current unit vector v, the Rayleigh quotient θ = vᵀw and the
/// residual ‖w − θv‖; it stops when ‖w − θv‖ ≤ tol·|θ|. Because the residual belongs to the very
/// (θ, v) that is returned, it is a true certificate: some eigenvalue lies within it of θ. (A
/// relative-change test on θ, as some libraries use, stops early when the top eigenvalues cluster;
/// this test does not.) Convergence is linear with rate |λ₂/λ₁|, so prefer `eigs` for clusters.
///
/// - Parameters:
///   - H: A symmetric operator.
///   - tol: Relative residual tolerance.
///   - maxiter: Maximum iterations.
///   - start: Optional start vector; otherwise a normal vector from `seed`.
///   - seed: Seed of the start vector.
/// - Returns: The value, vector, residual, iterations, matvecs and convergence flag.
/// - Throws: `TensorError.invalidArgument` for bad arguments; errors of the operator.
public func powerIteration(_ H: LinearOperator, tol: Double = 1e-8, maxiter: Int = 1000,
                           start: Tensor? = nil, seed: UInt64 = 0) throws -> PowerIterationResult {
    guard tol > 0, tol.isFinite else { throw TensorError.invalidArgument("power_iter needs a positive tolerance") }
    guard maxiter >= 1 else { throw TensorError.invalidArgument("power_iter needs maxiter >= 1") }
    var rng = RandomGenerator(seed: seed)
    var v = try startVector(n: H.n, start: start, rng: &rng)
    let before = H.matvecs
    var theta = 0.0, residual = Double.infinity
    var iterations = 0
    while iterations < maxiter {
        try Interruption.check()
        let w = try H.apply(vector: v)
        iterations += 1
        theta = Blas.dot(v, w)
        residual = Blas.residual(w, theta, v)
        if residual <= tol * abs(theta) { break }
        let nrm = Blas.norm(w)
        if nrm == 0 { break }  // v is in the null space: θ = 0 is exact (residual 0)
        if iterations == maxiter { break }
        v = Blas.scaled(w, 1 / nrm)
    }
    return PowerIterationResult(value: theta, vector: Tensor(v), residual: residual, iterations: iterations,
                                matvecs: H.matvecs - before, converged: residual <= tol * abs(theta))
}
