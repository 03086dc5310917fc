/// NumPy broadcasting: shapes are aligned on the right; a dimension of 1 stretches.
extension Tensor {
    /// The broadcast shape of two shapes, or nil when they are incompatible.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let n = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
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
        guard Tensor.broadcastShape(shape, target) == target else {
            throw ShapeError.mismatch(op: "broadcast", lhs: shape, rhs: target)
        }
        let n = try Tensor.elementCount(target, complex: isComplex)
        let st = Tensor.broadcastStrides(shape, to: target)
        let width = isComplex ? 2 : 1
        var out = [Double](repeating: 0, count: n * width)
        var index = [Int](repeating: 0, count: target.count)
        var src = 0
        for i in 0..<n {
            for w in 0..<width { out[i * width + w] = storage[src * width + w] }
            // odometer increment
            var d = target.count - 1
            while d >= 0 {
                index[d] += 1
                src += st[d]
                if index[d] < target[d] { break }
                src -= st[d] * target[d]
                index[d] = 0
                d -= 1
            }
        }
        return Tensor(unchecked: target, out, dtype: dtype)
    }

    /// Sums a broadcast result back down to `target` shape (the adjoint of broadcasting).
    ///
    /// - Throws: `ShapeError.mismatch` when `target` does not broadcast to this shape.
    public func sumToShape(_ target: [Int]) throws -> Tensor {
        if shape == target { return self }
        guard Tensor.broadcastShape(target, shape) == shape else {
            throw ShapeError.mismatch(op: "sum to shape", lhs: shape, rhs: target)
        }
        var t = self
        // Leading extra dimensions.
        while t.ndim > target.count { t = try t.sum(axis: 0) }
        for i in 0..<target.count where target[i] == 1 && t.shape[i] != 1 {
            t = try t.sum(axis: i, keepDims: true)
        }
        return try t.reshaped(target)
    }
}

/// Runs `f` over two broadcast operands with a fast path for equal shapes and scalars.
///
/// The general case walks the output with an odometer over all but the last dimension and runs
/// the last one as a strided inner loop.
@inline(__always)
func broadcastMap(_ a: Tensor, _ b: Tensor, op: String,
                  _ f: (Double, Double) -> Double) throws -> ([Int], [Double]) {
    let sa = a.storage, sb = b.storage
    if a.shape == b.shape {
        let n = sa.count
        let out = sa.withUnsafeBufferPointer { pa in
            sb.withUnsafeBufferPointer { pb in
                makeStorage(n) { o in
                    let x = pa.baseAddress.unsafelyUnwrapped, y = pb.baseAddress.unsafelyUnwrapped
                    for i in 0..<n { o[i] = f(x[i], y[i]) }
                }
            }
        }
        return (a.shape, out)
    }
    if b.count == 1 && b.ndim <= a.ndim {
        let y = sb[0], n = sa.count
        let out = sa.withUnsafeBufferPointer { pa in
            makeStorage(n) { o in
                let x = pa.baseAddress.unsafelyUnwrapped
                for i in 0..<n { o[i] = f(x[i], y) }
            }
        }
        return (a.shape, out)
    }
    if a.count == 1 && a.ndim <= b.ndim {
        let x = sa[0], n = sb.count
        let out = sb.withUnsafeBufferPointer { pb in
            makeStorage(n) { o in
                let y = pb.baseAddress.unsafelyUnwrapped
                for i in 0..<n { o[i] = f(x, y[i]) }
            }
        }
        return (b.shape, out)
    }
    guard let shape = Tensor.broadcastShape(a.shape, b.shape) else {
        throw ShapeError.mismatch(op: op, lhs: a.shape, rhs: b.shape)
    }
    let n = try Tensor.elementCount(shape)
    if n == 0 { return (shape, []) }
    let stA = Tensor.broadcastStrides(a.shape, to: shape)
    let stB = Tensor.broadcastStrides(b.shape, to: shape)
    let last = shape.count - 1
    let inner = shape[last], ia = stA[last], ib = stB[last]
    let outer = n / inner
    var index = [Int](repeating: 0, count: shape.count)
    let out = sa.withUnsafeBufferPointer { pa in
        sb.withUnsafeBufferPointer { pb in
            makeStorage(n) { o in
                let x = pa.baseAddress.unsafelyUnwrapped, y = pb.baseAddress.unsafelyUnwrapped
                var offA = 0, offB = 0, k = 0
                for _ in 0..<outer {
                    for j in 0..<inner { o[k + j] = f(x[offA + j * ia], y[offB + j * ib]) }
                    k += inner
                    var d = last - 1
                    while d >= 0 {
                        index[d] += 1
                        offA += stA[d]; offB += stB[d]
                        if index[d] < shape[d] { break }
                        offA -= stA[d] * shape[d]; offB -= stB[d] * shape[d]
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
    }
    return (shape, out)
}
