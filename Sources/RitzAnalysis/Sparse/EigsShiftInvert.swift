import RitzTensor

/// A symmetric matrix given explicitly, for shift-invert.
public enum ExplicitMatrix {
    case dense(Tensor)
    case sparse(CSRMatrix)

    var n: Int {
        switch self {
        case let .dense(t): return t.shape.first ?? 0
        case let .sparse(m): return m.rows
        }
    }

    /// A x.
    func multiply(_ x: [Double]) throws -> [Double] {
        switch self {
        case let .dense(t): return try t.matmul(Tensor(x)).storage
        case let .sparse(m): return m.multiply(x)
        }
    }
}

/// The result of `eigs(A, k, sigma=)`.
public struct ShiftInvertEigs: Sendable {
    /// Eigenvalues nearest σ, nearest first.
    public let values: [Double]
    /// Unit eigenvectors as the columns of an n×k tensor, largest-magnitude component positive.
    public let vectors: Tensor
    /// ‖Av − λv‖ computed with A itself.
    public let residuals: [Double]
    /// Restart cycles of the Lanczos run on (A − σI)⁻¹.
    public let iterations: Int
    /// Solves with the factorisation.
    public let solves: Int
    /// True when every residual ≤ tol·‖A − σI‖∞ + 64ε‖A‖∞: the Lanczos test ‖(A − σI)⁻¹v − θv‖ ≤ tol·|θ|
    /// carried over to A by (A − σI)(θv + r) = v, ‖Av − λv‖ ≤ ‖A − σI‖·‖r‖/|θ|.
    public let converged: Bool
    /// "dense LU (LAPACK)", "sparse Cholesky (CHOLMOD)" or "sparse LU (UMFPACK)".
    public let method: String
}

/// The k eigenpairs of a symmetric matrix nearest σ, by thick-restart Lanczos (`eigs`) on
/// (A − σI)⁻¹, whose largest-magnitude eigenvalues θ = 1/(λ − σ) are the λ nearest σ.
///
/// The factorisation: dense A by LU (LAPACK dgetrf, once); sparse A by CHOLMOD's Cholesky of
/// A − σI when that is positive definite (σ below the spectrum), else UMFPACK's sparse LU.
/// Each λ is the Rayleigh quotient vᵀAv of the returned unit vector and its residual
/// ‖Av − λv‖ is computed with A, so an eigenvalue of A lies within it (Weyl).
///
/// - Parameters:
///   - a: A symmetric matrix (dense or sparse).
///   - k: Pairs wanted, 1 ≤ k ≤ n.
///   - sigma: The shift σ (not an eigenvalue).
///   - tol: Relative tolerance of the Lanczos run and of `converged`.
///   - maxiter: Restart cap (default as `eigs`).
///   - ncv: Basis size (default as `eigs`).
///   - seed: Seed of the start vector.
/// - Returns: Pairs nearest σ first.
/// - Throws: `TensorError.invalidArgument` for a non-symmetric matrix or bad k; `LinalgError.singular`
///   when σ is an eigenvalue to working precision; solver errors; `CurvatureError.interrupted`.
public func eigsShiftInvert(_ a: ExplicitMatrix, k: Int, sigma: Double, tol: Double = 1e-8, maxiter: Int? = nil,
                            ncv: Int? = nil, seed: UInt64 = 0) throws -> ShiftInvertEigs {
    guard sigma.isFinite else { throw TensorError.invalidArgument("eigs: sigma must be finite, got \(sigma)") }
    let n = a.n
    let solve: ([Double]) throws -> [Double]
    let method: String
    let scale: Double
    switch a {
    case let .dense(t):
        guard t.ndim == 2, t.shape[0] == t.shape[1], !t.isComplex else {
            throw TensorError.invalidArgument("eigs with sigma= needs a real square matrix, got shape \(t.shape)")
        }
        let values = try t.asFloat().storage
        scale = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + Swift.abs(values[i * n + $1]) } }.max() ?? 0
        for i in 0..<n { for j in 0..<i where Swift.abs(values[i * n + j] - values[j * n + i]) > 1e-12 * scale {
            throw TensorError.invalidArgument("eigs with sigma= needs a symmetric matrix: A[\(i), \(j)] ≠ A[\(j), \(i)]")
        } }
        var shifted = values
        for i in 0..<n { shifted[i * n + i] -= sigma }
        let lu = try LUFactorization(try Tensor(shape: [n, n], storage: shifted))
        if lu.rcond < Double.ulpOfOne { throw LinalgError.singular(info: 0) }
        solve = lu.solve
        method = "dense LU (LAPACK)"
    case let .sparse(m):
        guard m.rows == m.cols else { throw TensorError.invalidArgument("eigs with sigma= needs a square matrix, got \(m.rows)×\(m.cols)") }
        guard m.isSymmetric(tol: 1e-12) else { throw TensorError.invalidArgument("eigs with sigma= needs a symmetric matrix (S = S.T)") }
        scale = m.maxAbsRowSum
        let cholesky = try SparseCholesky(m)
        do {
            try cholesky.factorize(shift: -sigma)
            solve = { try cholesky.solve($0, width: 1) }
            method = "sparse Cholesky (CHOLMOD)"
        } catch LinalgError.notPositiveDefinite {
            let identity = CSRMatrix(rows: n, cols: n, rowPtr: Array(0...n), colIdx: Array(0..<n),
                                     values: [Double](repeating: -sigma, count: n))
            let lu = try SparseLU(try m.adding(identity))
            solve = lu.solve
            method = "sparse LU (UMFPACK)"
        }
    }
    let inverse = try LinearOperator(n: n, symmetric: true, label: "(A − σI)⁻¹") { x in try solve(x) }
    let r = try eigs(inverse, k: k, which: .largestMagnitude, tol: tol, maxiter: maxiter, ncv: ncv, seed: seed)
    var values = [Double](), residuals = [Double]()
    let cols = r.vectors.shape.count == 2 ? r.vectors.shape[1] : 0
    for c in 0..<cols {
        let v = (0..<n).map { r.vectors.storage[$0 * cols + c] }
        let av = try a.multiply(v)
        let lambda = Blas.dot(v, av)                               // Rayleigh quotient vᵀAv
        values.append(lambda)
        residuals.append(Blas.residual(av, lambda, v))
    }
    let bound = tol * (scale + Swift.abs(sigma)) + 64 * Double.ulpOfOne * scale
    let converged = cols == k && residuals.allSatisfy { $0 <= bound }
    return ShiftInvertEigs(values: values, vectors: r.vectors, residuals: residuals, iterations: r.iterations,
                           solves: r.matvecs, converged: converged, method: method)
}
