import RitzTensor

/// A sparse matrix in compressed sparse row form (row pointers, column indices, values).
///
/// Rows hold their column indices in ascending order with no duplicates.
public struct CSRMatrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    /// `rowPtr[i] ..< rowPtr[i + 1]` indexes row i's entries; `rows + 1` values.
    public let rowPtr: [Int]
    /// Column of each stored entry.
    public let colIdx: [Int]
    /// Value of each stored entry.
    public let values: [Double]

    /// Number of stored entries.
    public var nnz: Int { values.count }

    /// Builds a matrix from (row, col, value) triplets; duplicates are summed.
    ///
    /// - Parameters:
    ///   - rows: Row count.
    ///   - cols: Column count.
    ///   - triplets: Entries; indices must lie inside the matrix.
    /// - Throws: `ShapeError.indexOutOfRange` for an index outside the matrix; memory-limit
    ///   errors when the row pointers (or those of the transpose) would not fit.
    public init(rows: Int, cols: Int, triplets: [(Int, Int, Double)]) throws {
        guard rows >= 0, cols >= 0 else { throw ShapeError.negativeDimension(Swift.min(rows, cols)) }
        // The row pointers of A and of Aᵀ, one Int per row and per column.
        let (dims, overflow) = rows.addingReportingOverflow(cols)
        guard !overflow else { throw TensorError.tooLarge(bytes: Int.max, limit: AllocationLimit.bytes) }
        try AllocationLimit.check(elements: dims &+ 2)
        var count = [Int](repeating: 0, count: rows + 1)
        for (i, j, _) in triplets {
            guard i >= 0, i < rows else { throw ShapeError.indexOutOfRange(index: i, axis: 0, size: rows) }
            guard j >= 0, j < cols else { throw ShapeError.indexOutOfRange(index: j, axis: 1, size: cols) }
            count[i + 1] += 1
        }
        for i in 0..<rows { count[i + 1] += count[i] }
        var fill = count
        var cIdx = [Int](repeating: 0, count: triplets.count)
        var vals = [Double](repeating: 0, count: triplets.count)
        for (i, j, v) in triplets {
            cIdx[fill[i]] = j; vals[fill[i]] = v; fill[i] += 1
        }
        // Sort each row by column and merge duplicates.
        var ptr = [0], outC = [Int](), outV = [Double]()
        outC.reserveCapacity(triplets.count); outV.reserveCapacity(triplets.count)
        for i in 0..<rows {
            let lo = count[i], hi = count[i + 1]
            let order = (lo..<hi).sorted { cIdx[$0] < cIdx[$1] || (cIdx[$0] == cIdx[$1] && $0 < $1) }
            var last = -1
            for k in order {
                if cIdx[k] == last { outV[outV.count - 1] += vals[k] } else {
                    outC.append(cIdx[k]); outV.append(vals[k]); last = cIdx[k]
                }
            }
            ptr.append(outC.count)
        }
        self.rows = rows; self.cols = cols; rowPtr = ptr; colIdx = outC; values = outV
    }

    /// Wraps already-valid arrays (internal; callers guarantee sorted, in-range columns).
    init(rows: Int, cols: Int, rowPtr: [Int], colIdx: [Int], values: [Double]) {
        self.rows = rows; self.cols = cols; self.rowPtr = rowPtr; self.colIdx = colIdx; self.values = values
    }

    /// The entries of a dense row-major matrix that are not zero.
    ///
    /// - Throws: `ShapeError.wrongRank` unless `dense` is a real matrix.
    public init(dense: Tensor) throws {
        guard dense.ndim == 2, !dense.isComplex else {
            throw ShapeError.wrongRank(op: "sparse", expected: "a real matrix", got: dense.shape)
        }
        let r = dense.shape[0], c = dense.shape[1], s = dense.storage
        var ptr = [0], cIdx = [Int](), vals = [Double]()
        for i in 0..<r {
            for j in 0..<c where s[i * c + j] != 0 { cIdx.append(j); vals.append(s[i * c + j]) }
            ptr.append(cIdx.count)
        }
        self.init(rows: r, cols: c, rowPtr: ptr, colIdx: cIdx, values: vals)
    }

    /// The dense row-major matrix.
    ///
    /// - Throws: `TensorError.tooLarge` over the allocation limit.
    public func dense() throws -> Tensor {
        let total = try Tensor.elementCount([rows, cols])
        var out = [Double](repeating: 0, count: total)
        for i in 0..<rows { for k in rowPtr[i]..<rowPtr[i + 1] { out[i * cols + colIdx[k]] += values[k] } }
        return try Tensor(shape: [rows, cols], storage: out)
    }

    /// y = A·x for a vector of length `cols`.
    public func multiply(_ x: [Double]) -> [Double] {
        precondition(x.count == cols, "CSR matvec length")
        var y = [Double](repeating: 0, count: rows)
        rowPtr.withUnsafeBufferPointer { rp in
            colIdx.withUnsafeBufferPointer { ci in
                values.withUnsafeBufferPointer { va in
                    x.withUnsafeBufferPointer { xp in
                        for i in 0..<rows {
                            var acc = 0.0
                            for k in rp[i]..<rp[i + 1] { acc += va[k] * xp[ci[k]] }
                            y[i] = acc
                        }
                    }
                }
            }
        }
        return y
    }

    /// Y = A·X for a block X stored row-major as `cols × width` (so each row of X is contiguous).
    ///
    /// - Returns: Y row-major, `rows × width`.
    public func multiply(block x: [Double], width: Int) -> [Double] {
        precondition(x.count == cols * width, "CSR block matvec size")
        var y = [Double](repeating: 0, count: rows * width)
        rowPtr.withUnsafeBufferPointer { rp in
            colIdx.withUnsafeBufferPointer { ci in
                values.withUnsafeBufferPointer { va in
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer { yp in
                            guard let xb = xp.baseAddress, let yb = yp.baseAddress else { return }
                            for i in 0..<rows {
                                let out = yb + i * width
                                for k in rp[i]..<rp[i + 1] {
                                    let a = va[k], src = xb + ci[k] * width
                                    for c in 0..<width { out[c] += a * src[c] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// The submatrix on the given rows and columns (both lists of indices, in the given order).
    func submatrix(_ index: [Int]) -> CSRMatrix {
        var position = [Int](repeating: -1, count: cols)
        for (p, i) in index.enumerated() { position[i] = p }
        var ptr = [0], cIdx = [Int](), vals = [Double]()
        for i in index {
            var row = [(Int, Double)]()
            for k in rowPtr[i]..<rowPtr[i + 1] where position[colIdx[k]] >= 0 { row.append((position[colIdx[k]], values[k])) }
            row.sort { $0.0 < $1.0 }
            for (c, v) in row { cIdx.append(c); vals.append(v) }
            ptr.append(cIdx.count)
        }
        return CSRMatrix(rows: index.count, cols: index.count, rowPtr: ptr, colIdx: cIdx, values: vals)
    }

    /// The largest absolute row sum, ‖A‖_∞ (an upper bound of the spectral radius, Gershgorin).
    public var maxAbsRowSum: Double {
        var best = 0.0
        for i in 0..<rows {
            var s = 0.0
            for k in rowPtr[i]..<rowPtr[i + 1] { s += Swift.abs(values[k]) }
            best = Swift.max(best, s)
        }
        return best
    }
}
