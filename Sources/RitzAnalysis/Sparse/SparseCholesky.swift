import CSuiteSparse
import RitzTensor

/// Errors of the sparse direct solvers.
public enum SparseSolverError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The factorisation needs more memory than the session may use (bytes needed, limit).
    case factorTooLarge(bytes: Int, limit: Int)
    /// The library ran out of memory or reported an internal failure.
    case libraryFailure(String)
    /// A matrix that is not square, or a right-hand side of the wrong length.
    case shape(String)

    public var description: String {
        switch self {
        case let .factorTooLarge(bytes, limit):
            return "the sparse factor needs \(bytes / 1_048_576) MiB, over the \(limit / 1_048_576) MiB the session may use"
        case let .libraryFailure(s): return s
        case let .shape(s): return s
        }
    }
}

/// A supernodal sparse Cholesky factorisation A + sI = L Lᵀ (after CHOLMOD's fill-reducing
/// permutation) of a symmetric matrix, factored once and solved many times.
///
/// Made in two steps so the size of the factor is known before any numeric work: `init` runs
/// CHOLMOD's symbolic analysis (`cholmod_l_analyze`: AMD, and METIS nested dissection when it
/// predicts less fill, Chen, Davis, Hager and Rajamanickam, ACM TOMS 35, 2008), which gives the
/// exact number of stored values of the supernodal factor; `factorize(shift:)` then runs the
/// numeric factorisation of A + sI (`cholmod_l_factorize_p` with β = s), which may be repeated
/// with another shift on the same analysis. Only the upper triangle of A is read.
///
/// Accuracy: the supernodal Cholesky is backward stable, (A + sI + δ) = L̂ L̂ᵀ with
/// ‖δ‖ ≤ c·ε‖A + sI‖, so a solve has relative error ≲ c·ε·κ(A + sI).
public final class SparseCholesky {
    /// Dimension.
    public let n: Int
    /// Stored values of the factor L (from the symbolic analysis, before the numeric work).
    public let factorEntries: Int
    /// Bytes the numeric factor will take: values, supernode indices and CHOLMOD's workspace.
    public let factorBytes: Int
    /// The shift s of the last successful factorisation of A + sI (nil before one).
    public private(set) var shift: Double?
    /// The ordering CHOLMOD chose ("AMD", "METIS", …).
    public let ordering: String

    private let common: UnsafeMutablePointer<cholmod_common>
    private var matrix: UnsafeMutablePointer<cholmod_sparse>?
    private var factor: UnsafeMutablePointer<cholmod_factor>?

    /// Runs the symbolic analysis of the symmetric matrix `a`.
    ///
    /// - Parameter a: A square CSR matrix, symmetric (its upper triangle is used).
    /// - Throws: `SparseSolverError.shape` for a non-square matrix, `.libraryFailure` when
    ///   CHOLMOD cannot allocate or analyse; `LinalgError.nonFinite` for NaN or infinite entries.
    public init(_ a: CSRMatrix) throws {
        guard a.rows == a.cols else { throw SparseSolverError.shape("a Cholesky factorisation needs a square matrix, got \(a.rows)×\(a.cols)") }
        guard a.values.allSatisfy({ $0.isFinite }) else { throw LinalgError.nonFinite(op: "sparse Cholesky") }
        n = a.rows
        common = UnsafeMutablePointer<cholmod_common>.allocate(capacity: 1)
        cholmod_l_start(common)
        common.pointee.print = 0
        common.pointee.supernodal = CHOLMOD_SUPERNODAL
        // The input as CHOLMOD's compressed-column form. A symmetric CSR matrix's row i is its
        // column i, so the arrays are copied as they are and stype = 1 reads entries with
        // row ≤ column, i.e. CSR entries (i, j) with j ≤ i.
        guard let m = cholmod_l_allocate_sparse(a.rows, a.cols, a.nnz, 1, 1, 1, CHOLMOD_REAL, common) else {
            cholmod_l_finish(common); common.deallocate()
            throw SparseSolverError.libraryFailure("CHOLMOD could not allocate a \(a.rows)×\(a.cols) matrix with \(a.nnz) entries")
        }
        matrix = m
        let p = m.pointee.p.assumingMemoryBound(to: Int.self)
        let i = m.pointee.i.assumingMemoryBound(to: Int.self)
        let x = m.pointee.x.assumingMemoryBound(to: Double.self)
        for r in 0...a.rows { p[r] = a.rowPtr[r] }
        for t in 0..<a.nnz { i[t] = a.colIdx[t]; x[t] = a.values[t] }
        guard let f = cholmod_l_analyze(m, common) else {
            var mm: UnsafeMutablePointer<cholmod_sparse>? = m
            cholmod_l_free_sparse(&mm, common)
            cholmod_l_finish(common); common.deallocate()
            throw SparseSolverError.libraryFailure("CHOLMOD's symbolic analysis failed (status \(common.pointee.status))")
        }
        factor = f
        let values = f.pointee.is_super != 0 ? Int(f.pointee.xsize) : Int(common.pointee.lnz)
        factorEntries = values
        // Values and integer supernode structure, 8 bytes each, plus the largest dense update
        // (maxcsize) and the per-column arrays.
        let (v8, o1) = values.multipliedReportingOverflow(by: 8)
        let extra = (Int(f.pointee.ssize) + Int(f.pointee.maxcsize) + 6 * n) &* 8
        factorBytes = o1 ? Int.max : v8 &+ extra
        let method = Int(common.pointee.selected)
        let methods = common.pointee.method
        let ordering = withUnsafeBytes(of: methods) { raw -> String in
            let table = raw.bindMemory(to: cholmod_method_struct.self)
            return table.indices.contains(method) ? Self.orderingName(table[method].ordering) : "natural"
        }
        self.ordering = ordering
    }

    deinit {
        var f = factor, m = matrix
        if f != nil { cholmod_l_free_factor(&f, common) }
        if m != nil { cholmod_l_free_sparse(&m, common) }
        cholmod_l_finish(common)
        common.deallocate()
    }

    private static func orderingName(_ code: Int32) -> String {
        switch code {
        case CHOLMOD_NATURAL: return "natural"
        case CHOLMOD_AMD: return "AMD"
        case CHOLMOD_METIS: return "METIS"
        case CHOLMOD_NESDIS: return "NESDIS"
        case CHOLMOD_COLAMD: return "COLAMD"
        default: return "given"
        }
    }

    /// Factors A + sI numerically.
    ///
    /// - Parameter shift: s, added to the diagonal.
    /// - Throws: `LinalgError.notPositiveDefinite(info:)` with the failing column (1-based)
    ///   when A + sI is not positive definite to working precision; `SparseSolverError` when the
    ///   factor does not fit the memory limit or CHOLMOD fails.
    public func factorize(shift s: Double) throws {
        guard s.isFinite else { throw LinalgError.nonFinite(op: "sparse Cholesky shift") }
        try AllocationLimit.check(bytes: factorBytes)
        guard let m = matrix, let f = factor else { throw SparseSolverError.libraryFailure("CHOLMOD factor was freed") }
        var beta = (s, 0.0)
        let ok = withUnsafeMutablePointer(to: &beta) { b in
            b.withMemoryRebound(to: Double.self, capacity: 2) { cholmod_l_factorize_p(m, $0, nil, 0, f, common) }
        }
        let status = common.pointee.status
        if status == CHOLMOD_NOT_POSDEF || (ok != 0 && Int(f.pointee.minor) < n) {
            shift = nil
            throw LinalgError.notPositiveDefinite(info: Int(f.pointee.minor) + 1)
        }
        guard ok != 0, status >= CHOLMOD_OK else {
            shift = nil
            throw SparseSolverError.libraryFailure(status == CHOLMOD_OUT_OF_MEMORY
                ? "CHOLMOD ran out of memory factoring a \(n)×\(n) matrix" : "CHOLMOD's factorisation failed (status \(status))")
        }
        shift = s
    }

    /// Solves (A + sI) X = B for a block of right-hand sides.
    ///
    /// - Parameters:
    ///   - b: B column-major, n × `width` (each right-hand side contiguous).
    ///   - width: Number of right-hand sides.
    /// - Returns: X column-major, n × `width`.
    /// - Throws: `SparseSolverError` before a factorisation or for a wrong size, or when CHOLMOD fails.
    public func solve(_ b: [Double], width: Int) throws -> [Double] {
        guard shift != nil, let f = factor else { throw SparseSolverError.libraryFailure("solve before a successful factorisation") }
        guard width >= 0, b.count == n * width else {
            throw SparseSolverError.shape("a solve with an n = \(n) factor needs n × \(width) = \(n * width) values, got \(b.count)")
        }
        guard width > 0 else { return [] }
        guard let rhs = cholmod_l_allocate_dense(n, width, n, CHOLMOD_REAL, common) else {
            throw SparseSolverError.libraryFailure("CHOLMOD could not allocate \(n)×\(width) right-hand sides")
        }
        var rhsRef: UnsafeMutablePointer<cholmod_dense>? = rhs
        defer { cholmod_l_free_dense(&rhsRef, common) }
        let bx = rhs.pointee.x.assumingMemoryBound(to: Double.self)
        b.withUnsafeBufferPointer { src in
            guard let s = src.baseAddress else { return }
            bx.update(from: s, count: n * width)
        }
        guard let sol = cholmod_l_solve(CHOLMOD_A, f, rhs, common) else {
            throw SparseSolverError.libraryFailure("CHOLMOD's solve failed (status \(common.pointee.status))")
        }
        var solRef: UnsafeMutablePointer<cholmod_dense>? = sol
        defer { cholmod_l_free_dense(&solRef, common) }
        let sx = sol.pointee.x.assumingMemoryBound(to: Double.self)
        return Array(UnsafeBufferPointer(start: sx, count: n * width))
    }
}
