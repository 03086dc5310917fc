import RitzTensor

/// The algebra of sparse matrices in the language: transpose, sums, scaling and products with
/// dense vectors and matrices, all exact up to the rounding of each sum.
extension CSRMatrix {
    /// Aᵀ (a counting sort by column, so each row of the result is sorted).
    public func transposed() -> CSRMatrix {
        var ptr = [Int](repeating: 0, count: cols + 1)
        for c in colIdx { ptr[c + 1] += 1 }
        for j in 0..<cols { ptr[j + 1] += ptr[j] }
        var fill = ptr
        var cIdx = [Int](repeating: 0, count: nnz), vals = [Double](repeating: 0, count: nnz)
        for i in 0..<rows {
            for k in rowPtr[i]..<rowPtr[i + 1] {
                let j = colIdx[k]
                cIdx[fill[j]] = i; vals[fill[j]] = values[k]; fill[j] += 1
            }
        }
        return CSRMatrix(rows: cols, cols: rows, rowPtr: ptr, colIdx: cIdx, values: vals)
    }

    /// A + βB for a matrix of the same shape (the union of the patterns; entries that cancel stay stored).
    ///
    /// - Throws: `ShapeError.mismatch` for different shapes.
    public func adding(_ other: CSRMatrix, scaledBy beta: Double = 1) throws -> CSRMatrix {
        guard rows == other.rows, cols == other.cols else {
            throw ShapeError.mismatch(op: beta < 0 ? "-" : "+", lhs: [rows, cols], rhs: [other.rows, other.cols])
        }
        var ptr = [0], cIdx = [Int](), vals = [Double]()
        cIdx.reserveCapacity(nnz + other.nnz); vals.reserveCapacity(nnz + other.nnz)
        for i in 0..<rows {
            var p = rowPtr[i], q = other.rowPtr[i]
            let pe = rowPtr[i + 1], qe = other.rowPtr[i + 1]
            while p < pe || q < qe {
                if q >= qe || (p < pe && colIdx[p] < other.colIdx[q]) {
                    cIdx.append(colIdx[p]); vals.append(values[p]); p += 1
                } else if p >= pe || other.colIdx[q] < colIdx[p] {
                    cIdx.append(other.colIdx[q]); vals.append(beta * other.values[q]); q += 1
                } else {
                    cIdx.append(colIdx[p]); vals.append(values[p] + beta * other.values[q]); p += 1; q += 1
                }
            }
            ptr.append(cIdx.count)
        }
        return CSRMatrix(rows: rows, cols: cols, rowPtr: ptr, colIdx: cIdx, values: vals)
    }

    /// cA.
    public func scaled(by c: Double) -> CSRMatrix {
        CSRMatrix(rows: rows, cols: cols, rowPtr: rowPtr, colIdx: colIdx, values: values.map { $0 * c })
    }

    /// True when A = Aᵀ entry for entry (same pattern and values, to a relative `tol` of the largest entry).
    public func isSymmetric(tol: Double = 0) -> Bool {
        guard rows == cols else { return false }
        let t = transposed()
        guard t.rowPtr == rowPtr, t.colIdx == colIdx else { return false }
        let scale = values.reduce(0) { Swift.max($0, Swift.abs($1)) }
        return zip(values, t.values).allSatisfy { Swift.abs($0 - $1) <= tol * scale }
    }

    /// A·X for a dense vector (length `cols`) or matrix (`cols` × w).
    ///
    /// - Returns: A vector of length `rows` or a `rows` × w matrix.
    /// - Throws: `ShapeError.mismatch` when the inner dimensions differ, `ShapeError.wrongRank`
    ///   for a tensor that is not a real vector or matrix.
    public func multiply(_ x: Tensor) throws -> Tensor {
        guard !x.isComplex, x.ndim == 1 || x.ndim == 2 else {
            throw ShapeError.wrongRank(op: "@", expected: "a real vector or matrix", got: x.shape)
        }
        guard x.shape[0] == cols else { throw ShapeError.mismatch(op: "@", lhs: [rows, cols], rhs: x.shape) }
        let xs = try x.asFloat().storage
        if x.ndim == 1 { return Tensor(multiply(xs)) }
        let width = x.shape[1]
        try AllocationLimit.check(elements: rows * width)
        return try Tensor(shape: [rows, width], storage: multiply(block: xs, width: width))
    }
}
