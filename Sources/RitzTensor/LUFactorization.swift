import CLAPACK

/// An LU factorisation with partial pivoting, PA = LU (LAPACK dgetrf), made once and used for
/// many solves (dgetrs), with dgecon's reciprocal condition estimate.
///
/// Backward stable: each solve satisfies (A + δA) x̂ = b with ‖δA‖ ≤ c·n·ε‖A‖ (growth factor
/// permitting), so the relative forward error is ≲ c·n·ε/rcond.
public struct LUFactorization: Sendable {
    /// The order n.
    public let n: Int
    /// dgecon's estimate of 1/(‖A‖₁‖A⁻¹‖₁).
    public let rcond: Double
    private let lu: [Double]                  // column-major L and U
    private let ipiv: [Int32]

    /// Factors a square matrix.
    ///
    /// - Parameter a: n×n real matrix.
    /// - Throws: `ShapeError`/`LinalgError.notSquare` for a non-square matrix,
    ///   `LinalgError.singular` for an exactly zero pivot, `LinalgError.nonFinite` for NaN or ∞.
    public init(_ a: Tensor) throws {
        n = try a.squareMatrix("lu")
        let values = a.storageAsFloat
        guard values.allSatisfy({ $0.isFinite }) else { throw LinalgError.nonFinite(op: "lu") }
        var buffer = transposeBuffer(values, rows: n, cols: n)
        (ipiv, rcond) = n == 0 ? ([], 1) : try Tensor.factorLU(&buffer, n: n, conditionNorm: "1", routine: "dgetrf")
        lu = buffer
    }

    /// Solves A x = b.
    ///
    /// - Parameter b: n values.
    /// - Returns: x.
    /// - Throws: `ShapeError.mismatch` for a wrong length; `LinalgError` from dgetrs.
    public func solve(_ b: [Double]) throws -> [Double] {
        guard b.count == n else { throw ShapeError.mismatch(op: "solve", lhs: [n, n], rhs: [b.count]) }
        guard n > 0 else { return [] }
        var x = b
        let info = LAPACKE_dgetrs(LAPACK_COL_MAJOR, lapackChar("N"), lapackInt(n), 1, lu, lapackInt(n), ipiv, &x, lapackInt(n))
        try checkInfo(info, routine: "dgetrs") { LinalgError.singular(info: Int($0)) }
        return x
    }
}
