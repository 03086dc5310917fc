import CKernels

/// NumPy broadcasting: shapes are aligned on the right; a dimension of 1 stretches.
extension Tensor {
    /// The broadcast shape of two shapes, or nil when they are incompatible.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        // Most often one shape is the result (equal shapes, a bias against a batch): it is handed
        // back as it is, with no array made for the result.
        if broadcasts(b, into: a) { return a }
        if broadcasts(a, into: b) { return b }
        let n = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Whether `shape` broadcasts to `target` itself (broadcastShape(shape, target) == target):
    /// no more axes, and each of its axes (aligned from the last) 1 or `target`'s.
    public static func broadcasts(_ shape: [Int], into target: [Int]) -> Bool {
        guard shape.count <= target.count else { return false }
        let offset = target.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 && shape[i] != target[offset + i] { return false }
        return true
    }

    /// Strides (in elements) that read a tensor of `shape` as if it had `target` shape:
    /// broadcast dimensions get stride 0.
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = rowMajorStrides(shape)
        let offset = target.count - shape.count
        return (0..<target.count).map { i in
            i < offset ? 0 : (shape[i - offset] == 1 && target[i] != 1 ? 0 : own[i - offset])
        }
    }

    /// Copies this tensor out to `target` shape (which must be a broadcast of its shape).
    ///
    /// - Throws: `ShapeError.mismatch` when the shapes are incompatible.
    public func broadcast(to target: [Int]) throws -> Tensor {
        if shape == target { return self }
        guard Tensor.broadcasts(shape, into: target) else {
            throw ShapeError.mismatch(op: "broadcast", lhs: shape, rhs: target)
        }
        let n = try Tensor.elementCount(target, complex: isComplex)
        if n == 0 { return Tensor(unchecked: target, [], dtype: dtype) }
        let width = isComplex ? 2 : 1
        let walk = BroadcastWalk(from: shape, to: target)
        let inner = walk.inner
        let out = try storage.withUnsafeBufferPointer { src in
            try makeStorage(n * width) { o in
                let x = src.baseAddress.unsafelyUnwrapped
                Parallel.forEachPiece(walk.rows, minimum: Swift.max(1, Parallel.minimumElements / (inner * width))) { rows in
                    for row in rows {
                        let from = walk.offset(row: row) * width, to = row * inner * width
                        if walk.innerStride == 1 || inner == 1 {
                            (o + to).update(from: x + from, count: inner * width)
                        } else if width == 1 {
                            let c = x[from], dst = o + to
                            for j in 0..<inner { dst[j] = c }
                        } else {
                            let (re, im) = (x[from], x[from + 1]), dst = o + to
                            for j in 0..<inner { dst[2 * j] = re; dst[2 * j + 1] = im }
                        }
                    }
                }
            }
        }
        return Tensor(unchecked: target, out, dtype: dtype)
    }

    /// Sums a broadcast result back down to `target` shape (the adjoint of broadcasting).
    ///
    /// - Throws: `ShapeError.mismatch` when `target` does not broadcast to this shape.
    public func sumToShape(_ target: [Int]) throws -> Tensor {
        if shape == target { return self }
        guard Tensor.broadcasts(target, into: shape) else {
            throw ShapeError.mismatch(op: "sum to shape", lhs: shape, rhs: target)
        }
        if let leading = sumLeadingRows(to: target) { return leading }
        var t = self
        // Leading extra dimensions.
        while t.ndim > target.count { t = try t.sum(axis: 0) }
        for i in 0..<target.count where target[i] == 1 && t.shape[i] != 1 {
            t = try t.sum(axis: i, keepDims: true)
        }
        return try t.reshaped(target)
    }
}

extension Tensor {
    /// The common case of `sumToShape` where only leading axes are summed away (a bias
    /// gradient): whole rows are added in order, contiguously. Large inputs are summed as two
    /// halves of rows, one per `Parallel` piece, whose sums are then added; the halves depend only
    /// on the shape, so the bytes do not depend on the thread count. Rounding error at most
    /// (rows/2 + 1)·ε relative to the sum of magnitudes. Nil when the case does not apply.
    func sumLeadingRows(to target: [Int]) -> Tensor? {
        guard dtype == .float64, target.count <= shape.count, Array(shape.suffix(target.count)) == target,
              target.allSatisfy({ $0 > 0 }) else { return nil }
        let inner = target.reduce(1, *)
        let rows = count / inner
        guard rows > 1 else { return nil }
        let parts = count >= Parallel.minimumElements ? 2 : 1
        /// Part w's rows summed into `into` (zeroed first): rows·w/parts ..< rows·(w+1)/parts.
        func partSums(_ w: Int, into d: UnsafeMutablePointer<Double>) {
            d.initialize(repeating: 0, count: inner)
            storage.withUnsafeBufferPointer { src in
                guard let s = src.baseAddress else { return }
                let first = rows * w / parts
                addColumnSums(s + first * inner, rows: rows * (w + 1) / parts - first, width: inner, into: d)
            }
        }
        // Two parts: the first's sums go straight into the result, the second's into pooled
        // scratch, then the second is added to the first; on a repeated step both come from the pool.
        let sums = parts == 1
            ? try? makeStorage(inner) { total in partSums(0, into: total) }
            : try? StoragePool.withScratch(inner) { extra in
                try makeStorage(inner) { total in
                    Parallel.forEachPiece(2, minimum: 2) { pieces in
                        for w in pieces { partSums(w, into: w == 0 ? total : extra) }
                    }
                    for j in 0..<inner { total[j] += extra[j] }
                }
            }
        return sums.map { Tensor(unchecked: target, $0) }
    }
}

/// Runs `f` over two broadcast operands with a fast path for equal shapes and scalars.
///
/// `+ − * /` on that path, and a row added to every row, run in vector kernels with the plain
/// loop's bytes. The general case walks the output one last-axis row at a time, as a strided
/// inner loop. Large outputs are split over `Parallel` pieces.
@inline(__always)
func broadcastMap<F: BinaryFunction>(_ a: Tensor, _ b: Tensor, op: String, _ f: F) throws -> ([Int], [Double]) {
    let sa = a.storage, sb = b.storage
    let bScalar = b.count == 1 && b.ndim <= a.ndim
    if a.shape == b.shape || bScalar || (a.count == 1 && a.ndim <= b.ndim) {
        let mode = a.shape == b.shape ? 0 : (bScalar ? 1 : 2)
        let shape = mode == 2 ? b.shape : a.shape
        let n = mode == 2 ? sb.count : sa.count
        let kernel = arithmeticKernel(F.self)
        let out = try sa.withUnsafeBufferPointer { pa in
            try sb.withUnsafeBufferPointer { pb in
                try makeStorage(n) { o in
                    let x = pa.baseAddress.unsafelyUnwrapped, y = pb.baseAddress.unsafelyUnwrapped
                    Parallel.forEachPiece(n) { r in
                        if let kernel {
                            let s = r.lowerBound
                            let (form, a, b) = mode == 0 ? (CK_BINARY_ARRAYS, x + s, y + s)
                                : mode == 1 ? (CK_BINARY_RIGHT_NUMBER, x + s, y) : (CK_BINARY_LEFT_NUMBER, x, y + s)
                            ck_binary_map(kernel, form, a, b, o + s, r.count)
                            return
                        }
                        switch mode {
                        case 0: for i in r { o[i] = f(x[i], y[i]) }
                        case 1: let c = y[0]; for i in r { o[i] = f(x[i], c) }
                        default: let c = x[0]; for i in r { o[i] = f(c, y[i]) }
                        }
                    }
                }
            }
        }
        return (shape, out)
    }
    guard let shape = Tensor.broadcastShape(a.shape, b.shape) else {
        throw ShapeError.mismatch(op: op, lhs: a.shape, rhs: b.shape)
    }
    let n = try Tensor.elementCount(shape)
    if n == 0 { return (shape, []) }
    if F.self == Add.self, let out = try addRowBroadcast(a, b, shape: shape, count: n) { return (shape, out) }
    let walkA = BroadcastWalk(from: a.shape, to: shape), walkB = BroadcastWalk(from: b.shape, to: shape)
    let inner = walkA.inner, ia = walkA.innerStride, ib = walkB.innerStride
    let out = try sa.withUnsafeBufferPointer { pa in
        try sb.withUnsafeBufferPointer { pb in
            try makeStorage(n) { o in
                let x = pa.baseAddress.unsafelyUnwrapped, y = pb.baseAddress.unsafelyUnwrapped
                Parallel.forEachPiece(walkA.rows, minimum: Swift.max(1, Parallel.minimumElements / inner)) { rows in
                    if let sA = walkA.rowStride, let sB = walkB.rowStride, inner < 64, sA == 0 || sB == 0 {
                        // Short rows and an operand repeated down the rows (a bias): a block of
                        // rows at a time, the repeated operand spread into a small block once,
                        // the other read in place (or spread when it is itself broadcast), then
                        // one flat loop that vectorises across the whole block.
                        let blockRows = Swift.max(1, 256 / inner)
                        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * blockRows * inner) { scratch in
                            guard let bufA = scratch.baseAddress else { return }
                            let bufB = bufA + blockRows * inner
                            let full = Swift.min(blockRows, rows.count)
                            let fixedA = sA == 0 ? broadcastBlock(x, row: 0, rows: full, rowStride: 0, innerStride: ia, inner: inner, into: bufA) : nil
                            let fixedB = sB == 0 ? broadcastBlock(y, row: 0, rows: full, rowStride: 0, innerStride: ib, inner: inner, into: bufB) : nil
                            var row = rows.lowerBound
                            while row < rows.upperBound {
                                let count = Swift.min(blockRows, rows.upperBound - row)
                                let pa = fixedA ?? broadcastBlock(x, row: row, rows: count, rowStride: sA, innerStride: ia, inner: inner, into: bufA)
                                let pb = fixedB ?? broadcastBlock(y, row: row, rows: count, rowStride: sB, innerStride: ib, inner: inner, into: bufB)
                                let dst = o + row * inner
                                for i in 0..<(count * inner) { dst[i] = f(pa[i], pb[i]) }
                                row += count
                            }
                        }
                        return
                    }
                    // Rebased pointers keep index arithmetic out of the inner loops, so they
                    // vectorise (a checked `k + j` per element would not).
                    for row in rows {
                        let xa = x + walkA.offset(row: row), yb = y + walkB.offset(row: row), dst = o + row * inner
                        switch (ia, ib) {
                        case (1, 1): for j in 0..<inner { dst[j] = f(xa[j], yb[j]) }
                        case (1, 0): let c = yb[0]; for j in 0..<inner { dst[j] = f(xa[j], c) }
                        case (0, 1): let c = xa[0]; for j in 0..<inner { dst[j] = f(c, yb[j]) }
                        default: let (c, d) = (xa[0], yb[0]); for j in 0..<inner { dst[j] = f(c, d) }
                        }
                    }
                }
            }
        }
    }
    return (shape, out)
}

/// The vector kernel (`ck_binary_map`) of `+ − * /`, whose bytes are the plain loop's; nil for
/// the other functions.
@inline(__always)
private func arithmeticKernel<F: BinaryFunction>(_ f: F.Type) -> Int32? {
    if f == Add.self { return CK_BINARY_ADD }
    if f == Subtract.self { return CK_BINARY_SUBTRACT }
    if f == Multiply.self { return CK_BINARY_MULTIPLY }
    if f == Divide.self { return CK_BINARY_DIVIDE }
    return nil
}

/// a + b where one operand is the result's shape and the other one row of it (a bias `[w]` or
/// `[1, w]` added to `[…, w]`), in the vector kernel of ``addRowVector(_:rows:width:_:into:)``:
/// each element one addition, as the general loop, which this only outruns. Nil for other shapes.
private func addRowBroadcast(_ a: Tensor, _ b: Tensor, shape: [Int], count n: Int) throws -> [Double]? {
    let (matrix, row) = a.shape == shape ? (a, b) : (b, a)
    guard matrix.shape == shape, let width = shape.last, width > 0, row.count == width,
          row.shape.last == width else { return nil }
    let rows = n / width
    return try matrix.storage.withUnsafeBufferPointer { pm in
        try row.storage.withUnsafeBufferPointer { pv in
            try makeStorage(n) { o in
                guard let m = pm.baseAddress, let v = pv.baseAddress else { return }
                Parallel.forEachPiece(rows, minimum: Swift.max(1, Parallel.minimumElements / width)) { r in
                    let start = r.lowerBound * width
                    addRowVector(m + start, rows: r.count, width: width, v, into: o + start)
                }
            }
        }
    }
}

/// `rows` consecutive rows of a broadcast matrix operand as one contiguous run: the operand's own
/// storage when its rows are contiguous, otherwise the rows spread into `buffer`.
@inline(__always)
private func broadcastBlock(_ x: UnsafePointer<Double>, row: Int, rows: Int, rowStride: Int, innerStride: Int,
                            inner: Int, into buffer: UnsafeMutablePointer<Double>) -> UnsafePointer<Double> {
    if innerStride == 1 && rowStride == inner { return x + row * inner }
    for r in 0..<rows {
        let from = x + (row + r) * rowStride, to = buffer + r * inner
        if innerStride == 1 {
            for j in 0..<inner { to[j] = from[j] }
        } else {
            let c = from[0]
            for j in 0..<inner { to[j] = c }
        }
    }
    return UnsafePointer(buffer)
}

/// Reads a tensor of one shape as if broadcast to a larger one, a last-axis row at a time: the
/// element offset where each output row starts and the stride (0 or 1) along the row.
struct BroadcastWalk {
    /// Length of the last axis of the target (1 for a 0-d target).
    let inner: Int
    /// Number of last-axis rows in the target.
    let rows: Int
    /// Source stride along the last axis.
    let innerStride: Int
    /// For a target with at most two axes, the source offset step from one row to the next.
    let rowStride: Int?
    private let outerShape: [Int]
    private let outerStrides: [Int]

    init(from source: [Int], to target: [Int]) {
        let strides = Tensor.broadcastStrides(source, to: target)
        inner = target.last ?? 1
        innerStride = strides.last ?? 0
        outerShape = Array(target.dropLast())
        outerStrides = Array(strides.dropLast())
        rows = outerShape.reduce(1, *)
        rowStride = outerShape.count <= 1 ? (outerStrides.first ?? 0) : nil
    }

    /// Source offset of the first element of output row `row` (row-major over the outer axes).
    @inline(__always)
    func offset(row: Int) -> Int {
        if let rowStride { return row * rowStride }  // a matrix: no division
        var rest = row, off = 0, d = outerShape.count - 1
        while d >= 0 {
            let extent = outerShape[d]
            off += (rest % extent) * outerStrides[d]
            rest /= extent
            d -= 1
        }
        return off
    }
}

/// sums[j] += Σ_r a[r·width + j], each column's rows added in order, so the sums are a plain
/// loop's; many columns at a time in vector registers (`ck_add_column_sums`: 64 with AVX-512,
/// 32 with AVX2), so one row's additions to different columns overlap.
///
/// - Parameters:
///   - a: `rows` rows of `width` values.
///   - rows: Rows to add.
///   - width: Values per row.
///   - sums: `width` running sums.
public func addColumnSums(_ a: UnsafePointer<Double>, rows: Int, width: Int, into sums: UnsafeMutablePointer<Double>) {
    ck_add_column_sums(a, rows, width, sums)
}

/// a[r·width + j] += v[j] for `rows` rows of `width` values: a bias added to every row, in a C
/// kernel (`ck_add_row_vector`) whose vector builds give a plain loop's bytes.
///
/// - Parameters:
///   - a: `rows` rows of `width` values, updated in place.
///   - rows: Rows to update.
///   - width: Values per row.
///   - v: The `width` values added to each row.
public func addRowVector(_ a: UnsafeMutablePointer<Double>, rows: Int, width: Int, _ v: UnsafePointer<Double>) {
    ck_add_row_vector(a, v, a, rows, width)
}

/// out[r·width + j] = a[r·width + j] + v[j]: ``addRowVector(_:rows:width:_:)`` writing a new block.
///
/// - Parameters:
///   - a: `rows` rows of `width` values.
///   - rows: Rows to add to.
///   - width: Values per row.
///   - v: The `width` values added to each row.
///   - out: `rows` rows of `width` values, written.
public func addRowVector(_ a: UnsafePointer<Double>, rows: Int, width: Int, _ v: UnsafePointer<Double>,
                         into out: UnsafeMutablePointer<Double>) {
    ck_add_row_vector(a, v, out, rows, width)
}
