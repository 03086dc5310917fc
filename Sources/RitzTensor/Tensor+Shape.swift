import CKernels

/// Shape manipulation: reshape (no copy), transpose, concatenate, stack.
extension Tensor {
    /// The same elements with a new shape; one dimension may be −1 and is inferred. No copy.
    ///
    /// - Throws: `ShapeError.badReshape` when the element counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        let unknown = target.indices.filter { target[$0] == -1 }
        guard unknown.count <= 1 else { throw ShapeError.invalid("reshape can infer only one dimension (-1)") }
        for d in target where d < -1 { throw ShapeError.negativeDimension(d) }
        if let u = unknown.first {
            target[u] = 1
            let known = try Tensor.shapeProduct(target)
            guard known > 0, count % known == 0 else { throw ShapeError.badReshape(from: shape, to: newShape) }
            target[u] = count / known
        }
        guard try Tensor.shapeProduct(target) == count else { throw ShapeError.badReshape(from: shape, to: newShape) }
        return Tensor(sharing: self, shape: target, dtype: dtype)
    }

    /// A 1-d view of all elements. No copy.
    public func flattened() -> Tensor { Tensor(sharing: self, shape: [count], dtype: dtype) }

    /// Axes permuted by `perm` (reversed when nil, as NumPy's `transpose`). Copies.
    ///
    /// - Throws: `ShapeError.invalid` when `perm` is not a permutation of the axes.
    public func transposed(_ perm: [Int]? = nil) throws -> Tensor {
        // `.T` of a matrix (every `x @ w.T`) needs no permutation built.
        if perm == nil, ndim <= 2 { return ndim < 2 ? self : try transposed2D() }
        let p = try (perm ?? Array((0..<ndim).reversed())).map { try normalizedAxis($0) }
        guard p.count == ndim, Tensor.isPermutation(p) else {
            throw ShapeError.invalid("transpose needs a permutation of \(ndim) axes, got \(perm ?? [])")
        }
        if ndim < 2 { return self }
        let newShape = p.map { shape[$0] }
        let oldStrides = strides
        if ndim == 2 && p == [1, 0] { return try transposed2D() }
        let srcStrides = p.map { oldStrides[$0] }
        let n = count, w = isComplex ? 2 : 1
        if p[ndim - 1] == ndim - 1 { return try transposedRuns(newShape, srcStrides, width: w) }
        if w == 1, Array(p.dropLast(2)) == Array(0..<(ndim - 2)), p[ndim - 2] == ndim - 1 { return try transposedLastTwo() }
        var out = [Double](repeating: 0, count: n * w)
        var index = [Int](repeating: 0, count: ndim)
        var src = 0
        for i in 0..<n {
            for k in 0..<w { out[i * w + k] = storage[src * w + k] }
            var d = ndim - 1
            while d >= 0 {
                index[d] += 1; src += srcStrides[d]
                if index[d] < newShape[d] { break }
                src -= srcStrides[d] * newShape[d]; index[d] = 0; d -= 1
            }
        }
        return Tensor(unchecked: newShape, out, dtype: dtype)
    }

    /// True when `p` (axes in `0..<p.count`) names each axis once.
    static func isPermutation(_ p: [Int]) -> Bool {
        guard p.count <= 64 else { return Set(p).count == p.count }
        var seen: UInt64 = 0
        for axis in p {
            guard axis >= 0, axis < p.count else { return false }
            seen |= 1 << UInt64(axis)
        }
        return seen.nonzeroBitCount == p.count
    }

    /// The last two axes swapped, the leading ones kept (a stack of matrices each transposed,
    /// as attention's kᵀ per head): one pointer pass per matrix.
    private func transposedLastTwo() throws -> Tensor {
        let (rows, cols) = (shape[ndim - 2], shape[ndim - 1])
        let size = rows * cols
        let stack = size == 0 ? 0 : count / size
        let out = try storage.withUnsafeBufferPointer { buffer in
            try makeStorage(count) { dst in
                guard let src = buffer.baseAddress else { return }
                for b in 0..<stack {
                    let (from, to) = (src + b * size, dst + b * size)
                    for i in 0..<rows { for j in 0..<cols { to[j * rows + i] = from[i * cols + j] } }
                }
            }
        }
        var newShape = shape
        newShape.swapAt(ndim - 2, ndim - 1)
        return Tensor(unchecked: newShape, out, dtype: dtype)
    }

    /// A permutation that keeps the last axis last: contiguous runs of the last axis copied whole
    /// (head and channel permutations such as [O, N, P] → [N, O, P]).
    private func transposedRuns(_ newShape: [Int], _ srcStrides: [Int], width w: Int) throws -> Tensor {
        let outer = newShape.dropLast().reduce(1, *), run = newShape[ndim - 1] * w
        let out = try storage.withUnsafeBufferPointer { buffer in
            try makeStorage(outer * run) { dst in
                guard let src = buffer.baseAddress, run > 0 else { return }
                var index = [Int](repeating: 0, count: ndim - 1)
                var from = 0
                for i in 0..<outer {
                    (dst + i * run).initialize(from: src + from * w, count: run)
                    var d = ndim - 2
                    while d >= 0 {
                        index[d] += 1; from += srcStrides[d]
                        if index[d] < newShape[d] { break }
                        from -= srcStrides[d] * newShape[d]; index[d] = 0; d -= 1
                    }
                }
            }
        }
        return Tensor(unchecked: newShape, out, dtype: dtype)
    }

    /// Matrix transpose in cache-friendly blocks (real values by `ck_transpose`, in registers).
    private func transposed2D() throws -> Tensor {
        let (r, c) = (shape[0], shape[1])
        let w = isComplex ? 2 : 1
        let block = 32
        let out = try storage.withUnsafeBufferPointer { buffer in
            try makeStorage(r * c * w) { dst in
                guard let src = buffer.baseAddress else { return }
                if w == 1 {
                    ck_transpose(r, c, src, c, dst, r)
                    return
                }
                for i0 in stride(from: 0, to: r, by: block) {
                    for j0 in stride(from: 0, to: c, by: block) {
                        let (i1, j1) = (Swift.min(i0 + block, r), Swift.min(j0 + block, c))
                        for i in i0..<i1 {
                            for j in j0..<j1 {
                                dst[2 * (j * r + i)] = src[2 * (i * c + j)]
                                dst[2 * (j * r + i) + 1] = src[2 * (i * c + j) + 1]
                            }
                        }
                    }
                }
            }
        }
        return Tensor(unchecked: [c, r], out, dtype: dtype)
    }

    /// NumPy's `.T`: reverses the axes (a 1-d tensor is unchanged).
    public var T: Tensor { (try? transposed()) ?? self }

    /// Joins tensors along an existing axis; the result keeps the parts' dtype when they share
    /// one, else it is complex128 if any is complex and float64 otherwise.
    ///
    /// - Throws: `ShapeError` when the list is empty or the other dimensions differ.
    public static func concat(_ parts: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = parts.first else { throw ShapeError.invalid("concat needs at least one tensor") }
        let complex = parts.contains { $0.isComplex }
        let items = try parts.map { complex ? $0.asComplex() : try $0.asFloat() }
        guard first.ndim > 0 else { throw ShapeError.invalid("concat cannot join 0-d tensors; use stack") }
        let ax = try first.normalizedAxis(axis)
        var outShape = first.shape
        outShape[ax] = 0
        for t in items {
            guard t.ndim == first.ndim,
                  (0..<t.ndim).allSatisfy({ $0 == ax || t.shape[$0] == first.shape[$0] }) else {
                throw ShapeError.mismatch(op: "concat", lhs: first.shape, rhs: t.shape)
            }
            outShape[ax] += t.shape[ax]
        }
        let n = try elementCount(outShape, complex: complex)
        let w = complex ? 2 : 1
        let outer = first.shape[..<ax].reduce(1, *)
        let inner = first.shape[(ax + 1)...].reduce(1, *) * w
        var out = [Double]()
        out.reserveCapacity(n * w)
        for o in 0..<outer {
            for t in items {
                let len = t.shape[ax] * inner
                out.append(contentsOf: t.storage[(o * len)..<((o + 1) * len)])
            }
        }
        // Parts of one dtype keep it (int64 shapes join into int64); mixed ones are float64.
        let common = parts.allSatisfy { $0.dtype == first.dtype } ? first.dtype : .float64
        return Tensor(unchecked: outShape, out, dtype: complex ? .complex128 : common)
    }

    /// Joins equal-shaped tensors along a new axis.
    public static func stack(_ parts: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = parts.first else { throw ShapeError.invalid("stack needs at least one tensor") }
        for t in parts where t.shape != first.shape {
            throw ShapeError.mismatch(op: "stack", lhs: first.shape, rhs: t.shape)
        }
        let a = axis < 0 ? axis + first.ndim + 1 : axis
        guard a >= 0 && a <= first.ndim else { throw ShapeError.badAxis(axis: axis, ndim: first.ndim + 1) }
        var expanded = first.shape
        expanded.insert(1, at: a)
        return try concat(parts.map { try $0.reshaped(expanded) }, axis: a)
    }
}

extension Tensor {
    /// Pieces of `flat` as tensors: each its `count` values from `offset` on, in its `shape`
    /// (row-major), their storage from the pool (``makeStorage(_:_:)``), where it returns when
    /// they are let go. A flat parameter vector, or a direction in it, cut into its blocks.
    ///
    /// - Parameters:
    ///   - flat: The values.
    ///   - blocks: Each piece's first position in `flat` and its shape.
    /// - Returns: One tensor per block.
    /// - Throws: `ShapeError.mismatch` when a piece runs outside `flat`; `TensorError` for a
    ///   shape over the memory limit.
    public static func pieces(of flat: [Double], blocks: [(offset: Int, shape: [Int])]) throws -> [Tensor] {
        try flat.withUnsafeBufferPointer { source in
            try blocks.map { offset, shape in
                let count = try Tensor.elementCount(shape)
                guard offset >= 0, offset <= flat.count, count <= flat.count - offset else {
                    throw ShapeError.mismatch(op: "pieces", lhs: [flat.count], rhs: [offset, count])
                }
                return try Tensor(shape: shape, storage: try makeStorage(count) { out in
                    guard let base = source.baseAddress else { return }
                    out.update(from: base + offset, count: count)
                })
            }
        }
    }
}
