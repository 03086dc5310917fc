/// Rearranging elements: triangles, rolls, flips, repeats, tiles and grids, as NumPy's.
extension Tensor {
    /// Keeps the elements of the last two axes with `column − row ≤ k` (`lower`) or `≥ k`
    /// (upper) and zeros the rest, as `numpy.tril` / `numpy.triu`.
    ///
    /// - Parameters:
    ///   - k: The diagonal: 0 the main one, positive above it, negative below.
    ///   - lower: True for tril, false for triu.
    /// - Returns: A tensor of the same shape and dtype.
    /// - Throws: `ShapeError.invalid` for fewer than two dimensions.
    public func triangle(k: Int, lower: Bool) throws -> Tensor {
        guard ndim >= 2 else {
            throw ShapeError.invalid("\(lower ? "tril" : "triu") needs a matrix (2 or more dimensions), got shape \(formatShape(shape))")
        }
        let rows = shape[ndim - 2], cols = shape[ndim - 1]
        let width = isComplex ? 2 : 1
        var out = storage
        for idx in 0..<count {
            let c = idx % Swift.max(cols, 1), r = (idx / Swift.max(cols, 1)) % Swift.max(rows, 1)
            // Compare c − r with k without overflow: both are small, k is clamped.
            let d = c - r, kk = Swift.max(Swift.min(k, cols + 1), -rows - 1)
            if lower ? d > kk : d < kk {
                for w in 0..<width { out[idx * width + w] = 0 }
            }
        }
        return Tensor(unchecked: shape, out, dtype: dtype)
    }

    /// The source position along an axis of length `n` for output position `i` after rolling by
    /// `shift`: element i of the result is element (i − shift) mod n.
    @inline(__always)
    private static func rolledSource(_ i: Int, _ shift: Int, _ n: Int) -> Int {
        let s = shift % n
        return ((i - s) % n + n) % n
    }

    /// Elements shifted by `shift` along `axis` with wrap-around (`numpy.roll`); the flattened
    /// tensor is rolled and reshaped back when `axis` is nil.
    ///
    /// - Throws: `ShapeError.badAxis`.
    public func rolled(_ shift: Int, axis: Int?) throws -> Tensor {
        guard let axis else { return try flattened().rolled(shift, axis: 0).reshaped(shape) }
        let ax = try normalizedAxis(axis)
        let (outer, n, inner) = axisSplit(ax)
        guard n > 0 else { return self }
        return gather(outer: outer, n: n, inner: inner) { Tensor.rolledSource($0, shift, n) }
    }

    /// Elements in reverse order along `axis` (every axis when nil), as `numpy.flip`.
    ///
    /// - Throws: `ShapeError.badAxis`.
    public func flipped(axis: Int?) throws -> Tensor {
        guard let axis else {
            var t = self
            for a in 0..<ndim { t = try t.flipped(axis: a) }
            return t
        }
        let ax = try normalizedAxis(axis)
        let (outer, n, inner) = axisSplit(ax)
        return gather(outer: outer, n: n, inner: inner) { n - 1 - $0 }
    }

    /// A tensor of the same shape whose element (o, k, i) around an axis is this tensor's
    /// (o, source(k), i).
    private func gather(outer: Int, n: Int, inner: Int, _ source: (Int) -> Int) -> Tensor {
        let width = isComplex ? 2 : 1
        var out = storage
        for o in 0..<outer {
            for k in 0..<n {
                let from = (o * n + source(k)) * inner * width, to = (o * n + k) * inner * width
                for j in 0..<(inner * width) { out[to + j] = storage[from + j] }
            }
        }
        return Tensor(unchecked: shape, out, dtype: dtype)
    }

    /// Each element repeated `repeats` times along `axis` (of the flattened tensor when nil),
    /// as `numpy.repeat` with a scalar count.
    ///
    /// - Throws: `TensorError.invalidArgument` for a negative count, `ShapeError.badAxis`,
    ///   `TensorError.tooLarge` above the allocation limit.
    public func repeated(_ repeats: Int, axis: Int?) throws -> Tensor {
        guard repeats >= 0 else { throw TensorError.invalidArgument("repeat needs a count ≥ 0, got \(repeats)") }
        guard let axis else { return try flattened().repeated(repeats, axis: 0) }
        let ax = try normalizedAxis(axis)
        let (outer, n, inner) = axisSplit(ax)
        var outShape = shape
        let (len, overflow) = n.multipliedReportingOverflow(by: repeats)
        guard !overflow else { throw TensorError.tooLarge(bytes: Int.max, limit: AllocationLimit.bytes) }
        outShape[ax] = len
        let total = try Tensor.elementCount(outShape, complex: isComplex)
        let width = isComplex ? 2 : 1
        var out = [Double]()
        out.reserveCapacity(total * width)
        for o in 0..<outer {
            for k in 0..<n {
                let from = (o * n + k) * inner * width
                for _ in 0..<repeats { out += storage[from..<(from + inner * width)] }
            }
        }
        return Tensor(unchecked: outShape, out, dtype: dtype)
    }

    /// The tensor repeated `reps[i]` times along each axis (`numpy.tile`): the shorter of the
    /// shape and `reps` is padded with leading ones.
    ///
    /// - Throws: `TensorError.invalidArgument` for a negative count, `TensorError.tooLarge`.
    public func tiled(_ reps: [Int]) throws -> Tensor {
        guard reps.allSatisfy({ $0 >= 0 }) else { throw TensorError.invalidArgument("tile needs counts ≥ 0, got \(reps)") }
        let d = Swift.max(ndim, reps.count)
        let inShape = [Int](repeating: 1, count: d - ndim) + shape
        let r = [Int](repeating: 1, count: d - reps.count) + reps
        var outShape = [Int](repeating: 0, count: d)
        for i in 0..<d {
            let (p, overflow) = inShape[i].multipliedReportingOverflow(by: r[i])
            guard !overflow else { throw TensorError.tooLarge(bytes: Int.max, limit: AllocationLimit.bytes) }
            outShape[i] = p
        }
        let total = try Tensor.elementCount(outShape, complex: isComplex)
        let width = isComplex ? 2 : 1
        let inStrides = Tensor.rowMajorStrides(inShape)
        var out = [Double](repeating: 0, count: total * width)
        var index = [Int](repeating: 0, count: d)
        for flat in 0..<total {
            var rem = flat, src = 0
            for i in stride(from: d - 1, through: 0, by: -1) {
                index[i] = rem % outShape[i]
                rem /= outShape[i]
                src += (index[i] % inShape[i]) * inStrides[i]
            }
            for w in 0..<width { out[flat * width + w] = storage[src * width + w] }
        }
        return Tensor(unchecked: outShape, out, dtype: dtype)
    }

    /// Coordinate matrices of two 1-d tensors with "xy" indexing (`numpy.meshgrid(x, y)`): both
    /// of shape (len y, len x), X repeating x along rows and Y repeating y along columns.
    ///
    /// - Throws: `ShapeError.invalid` unless both are 1-d (0-d counts as length 1).
    public static func meshgrid(_ x: Tensor, _ y: Tensor) throws -> (x: Tensor, y: Tensor) {
        guard x.ndim <= 1, y.ndim <= 1 else {
            throw ShapeError.invalid("meshgrid needs 1-d tensors, got shapes \(formatShape(x.shape)) and \(formatShape(y.shape))")
        }
        let xs = try x.reshaped([1, x.count]).broadcast(to: [y.count, x.count])
        let ys = try y.reshaped([y.count, 1]).broadcast(to: [y.count, x.count])
        return (xs, ys)
    }
}
