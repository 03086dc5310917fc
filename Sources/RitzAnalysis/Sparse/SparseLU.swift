import CSuiteSparse
import RitzTensor

/// A sparse LU factorisation P A Q = L U by UMFPACK (multifrontal, with a fill-reducing column
/// ordering and threshold partial pivoting; Davis, ACM TOMS 30, 2004), made once and used for
/// many solves. For square matrices that need not be symmetric or definite.
public final class SparseLU {
    /// Dimension.
    public let n: Int
    // The CSR arrays of A, read by UMFPACK as the compressed columns of Aᵀ (solves use sys = Aᵀ,
    // which then solves A x = b).
    private let rowPtr: [Int], colIdx: [Int], values: [Double]
    private var numeric: UnsafeMutableRawPointer?

    /// Factors a square sparse matrix.
    ///
    /// - Parameter a: n×n CSR matrix.
    /// - Throws: `SparseSolverError.shape` for a non-square matrix, `LinalgError.singular` when
    ///   UMFPACK finds it singular, `LinalgError.nonFinite`, `SparseSolverError.libraryFailure`.
    public init(_ a: CSRMatrix) throws {
        guard a.rows == a.cols else { throw SparseSolverError.shape("an LU factorisation needs a square matrix, got \(a.rows)×\(a.cols)") }
        guard a.values.allSatisfy({ $0.isFinite }) else { throw LinalgError.nonFinite(op: "sparse LU") }
        n = a.rows; rowPtr = a.rowPtr; colIdx = a.colIdx; values = a.values
        try AllocationLimit.check(bytes: a.nnz &* 64)
        var symbolic: UnsafeMutableRawPointer?
        var info = [Double](repeating: 0, count: Int(UMFPACK_INFO))
        let s1 = umfpack_dl_symbolic(n, n, rowPtr, colIdx, values, &symbolic, nil, &info)
        guard s1 == UMFPACK_OK else { throw SparseSolverError.libraryFailure("UMFPACK's symbolic analysis failed (status \(s1))") }
        defer { umfpack_dl_free_symbolic(&symbolic) }
        var num: UnsafeMutableRawPointer?
        let s2 = umfpack_dl_numeric(rowPtr, colIdx, values, symbolic, &num, nil, &info)
        numeric = num
        if s2 == UMFPACK_WARNING_singular_matrix { throw LinalgError.singular(info: 0) }
        guard s2 == UMFPACK_OK else {
            throw SparseSolverError.libraryFailure(s2 == UMFPACK_ERROR_out_of_memory ? "UMFPACK ran out of memory" : "UMFPACK's factorisation failed (status \(s2))")
        }
    }

    deinit { if numeric != nil { umfpack_dl_free_numeric(&numeric) } }

    /// Solves A x = b.
    ///
    /// - Parameter b: n values.
    /// - Returns: x.
    /// - Throws: `SparseSolverError` for a wrong length or a failed solve.
    public func solve(_ b: [Double]) throws -> [Double] {
        guard b.count == n else { throw SparseSolverError.shape("a solve with an n = \(n) factor needs \(n) values, got \(b.count)") }
        var x = [Double](repeating: 0, count: n)
        var info = [Double](repeating: 0, count: Int(UMFPACK_INFO))
        let status = umfpack_dl_solve(Int(UMFPACK_At), rowPtr, colIdx, values, &x, b, numeric, nil, &info)
        guard status == UMFPACK_OK else { throw SparseSolverError.libraryFailure("UMFPACK's solve failed (status \(status))") }
        return x
    }
}
