import Foundation

/// NumPy's total order for sorting: NaN after every number (numpy.sort's documented order).
@inline(__always)
func orderedBefore(_ a: Double, _ b: Double) -> Bool {
    if a.isNaN { return false }
    if b.isNaN { return true }
    return a < b
}

/// Sorting, order statistics and searching, with NumPy's semantics.
extension Tensor {
    /// Applies `body` to every line along `axis` (contiguous copies), writing `width` outputs per
    /// line; the outputs take the place of the axis.
    ///
    /// - Parameters:
    ///   - axis: The axis the lines run along (already normalised).
    ///   - width: How many values `body` writes per line.
    ///   - body: Maps one line to its `width` values.
    /// - Returns: The outputs in row-major order with `shape[axis]` replaced by `width`.
    func mapLines(axis: Int, width: Int, _ body: ([Double]) -> [Double]) -> (shape: [Int], storage: [Double]) {
        let (outer, n, inner) = axisSplit(axis)
        var outShape = shape
        outShape[axis] = width
        var out = [Double](repeating: 0, count: outer * width * inner)
        var line = [Double](repeating: 0, count: n)
        for o in 0..<outer {
            for i in 0..<inner {
                for k in 0..<n { line[k] = storage[(o * n + k) * inner + i] }
                let r = body(line)
                for k in 0..<width { out[(o * width + k) * inner + i] = r[k] }
            }
        }
        return (outShape, out)
    }

    /// Refuses complex tensors, which have no order.
    private func requireReal(_ op: String) throws {
        if isComplex { throw TensorError.unsupportedDType(op: op, dtype: .complex128) }
    }

    /// The elements sorted ascending along `axis` (flattened first when nil), NaN last, as
    /// `numpy.sort`.
    ///
    /// - Parameter axis: The axis; nil sorts the flattened tensor.
    /// - Returns: A tensor of the same dtype.
    /// - Throws: `ShapeError.badAxis`, `TensorError.unsupportedDType` for complex tensors.
    public func sorted(axis: Int? = -1) throws -> Tensor {
        try requireReal("sort")
        guard let axis else { return try flattened().sorted(axis: 0) }
        if ndim == 0 { return self }
        let ax = try normalizedAxis(axis)
        let (s, out) = mapLines(axis: ax, width: shape[ax]) { $0.sorted(by: orderedBefore) }
        return Tensor(unchecked: s, out, dtype: dtype)
    }

    /// The indices that sort each line along `axis` (flattened when nil), stable: equal
    /// elements keep their order, as `numpy.argsort(kind="stable")`; NaN last.
    ///
    /// - Parameter axis: The axis; nil sorts the flattened tensor.
    /// - Returns: An int64 tensor.
    /// - Throws: `ShapeError.badAxis`, `TensorError.unsupportedDType` for complex tensors.
    public func argsorted(axis: Int? = -1) throws -> Tensor {
        try requireReal("argsort")
        guard let axis else { return try flattened().argsorted(axis: 0) }
        if ndim == 0 { return Tensor(unchecked: [], [0], dtype: .int64) }
        let ax = try normalizedAxis(axis)
        let (s, out) = mapLines(axis: ax, width: shape[ax]) { line in
            Tensor.stableOrder(line).map(Double.init)
        }
        return Tensor(unchecked: s, out, dtype: .int64)
    }

    /// The permutation that sorts `values` stably (ties by position), NaN last.
    static func stableOrder(_ values: [Double]) -> [Int] {
        values.indices.sorted { i, j in
            let a = values[i], b = values[j]
            if orderedBefore(a, b) { return true }
            if orderedBefore(b, a) { return false }
            return i < j
        }
    }

    /// The sorted distinct elements of the flattened tensor, with the flat index of each one's
    /// first occurrence and how often it occurs (`numpy.unique` with `return_index` and
    /// `return_counts`; all NaNs count as one value, placed last, as NumPy's `equal_nan=True`).
    ///
    /// - Returns: `values` (same dtype), `index` and `counts` (int64).
    /// - Throws: `TensorError.unsupportedDType` for complex tensors.
    public func unique() throws -> (values: Tensor, index: Tensor, counts: Tensor) {
        try requireReal("unique")
        let order = Tensor.stableOrder(storage)
        var values: [Double] = [], first: [Int] = [], counts: [Int] = []
        for i in order {
            let x = storage[i]
            if let last = values.last, last == x || (last.isNaN && x.isNaN) {
                counts[counts.count - 1] += 1
            } else {
                values.append(x); first.append(i); counts.append(1)
            }
        }
        return (Tensor(unchecked: [values.count], values, dtype: dtype), Tensor(integers: first), Tensor(integers: counts))
    }

    /// For each element of `values`, the index where it would be inserted into this sorted 1-d
    /// tensor to keep it sorted (`numpy.searchsorted`): before equal elements for `right == false`
    /// (side="left"), after them otherwise. NaN sorts last.
    ///
    /// - Parameters:
    ///   - values: The values to place; the result has their shape.
    ///   - right: True for side="right".
    /// - Returns: An int64 tensor.
    /// - Throws: `ShapeError.invalid` when this tensor is not 1-d, `TensorError.unsupportedDType` for complex.
    public func searchSorted(_ values: Tensor, right: Bool = false) throws -> Tensor {
        try requireReal("searchsorted"); try values.requireReal("searchsorted")
        guard ndim == 1 else { throw ShapeError.invalid("searchsorted needs a sorted 1-d tensor, got shape \(formatShape(shape))") }
        let out = values.storage.map { v -> Double in
            var lo = 0, hi = count
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                // left: first position with a[mid] >= v; right: first with a[mid] > v.
                let goRight = right ? !orderedBefore(v, storage[mid]) : orderedBefore(storage[mid], v)
                if goRight { lo = mid + 1 } else { hi = mid }
            }
            return Double(lo)
        }
        return Tensor(unchecked: values.shape, out, dtype: .int64)
    }

    /// The median along `axis` (of all elements when nil): the middle element of the sorted line,
    /// or the mean of the two middle ones; NaN when the line holds a NaN or is empty, as
    /// `numpy.median`.
    ///
    /// - Parameter axis: The axis; nil for all elements.
    /// - Returns: A float64 tensor with `axis` removed.
    /// - Throws: `ShapeError.badAxis`, `TensorError.unsupportedDType` for complex tensors.
    public func median(axis: Int? = nil) throws -> Tensor {
        try requireReal("median")
        guard let axis else { return try flattened().median(axis: 0) }
        let ax = try normalizedAxis(axis)
        let (s, out) = mapLines(axis: ax, width: 1) { line in
            guard !line.isEmpty, !line.contains(where: \.isNaN) else { return [.nan] }
            let x = line.sorted(), m = x.count / 2
            return [x.count % 2 == 1 ? x[m] : (x[m - 1] + x[m]) / 2]
        }
        var outShape = s
        outShape.remove(at: ax)
        return Tensor(unchecked: outShape, out)
    }

    /// Quantiles along `axis` (of all elements when nil) by NumPy's default "linear" method
    /// (Hyndman & Fan type 7): with the line sorted as x₀ ≤ … ≤ x_{n−1} and h = (n − 1)·q,
    /// the value is x_⌊h⌋ + (h − ⌊h⌋)(x_{⌊h⌋+1} − x_⌊h⌋), interpolated as NumPy's `_lerp`
    /// does (from the upper end when the fraction is ≥ ½). NaN when the line holds a NaN.
    ///
    /// - Parameters:
    ///   - q: Probabilities in [0, 1], a number or a 1-d tensor.
    ///   - axis: The axis; nil for all elements.
    /// - Returns: A float64 tensor of shape `q.shape + (shape without axis)`, as NumPy's.
    /// - Throws: `TensorError.invalidArgument` for q outside [0, 1] or an empty line,
    ///   `ShapeError.badAxis`, `TensorError.unsupportedDType` for complex tensors.
    public func quantile(_ q: Tensor, axis: Int? = nil) throws -> Tensor {
        try requireReal("quantile"); try q.requireReal("quantile")
        guard q.ndim <= 1 else { throw ShapeError.invalid("quantile needs a number or a 1-d tensor of probabilities, got shape \(formatShape(q.shape))") }
        for p in q.storage where !(p >= 0 && p <= 1) {
            throw TensorError.invalidArgument("quantiles must lie in [0, 1], got \(p)")
        }
        guard let axis else { return try flattened().quantile(q, axis: 0) }
        let ax = try normalizedAxis(axis)
        guard shape[ax] > 0 else { throw TensorError.invalidArgument("quantile of an empty axis has no value") }
        let probs = q.storage
        let (s, out) = mapLines(axis: ax, width: probs.count) { line in
            if line.contains(where: \.isNaN) { return probs.map { _ in .nan } }
            let x = line.sorted(), last = x.count - 1
            return probs.map { p in
                let h = Double(last) * p
                let lo = Swift.min(Int(h.rounded(.down)), last), hi = Swift.min(lo + 1, last)
                let t = h - Double(lo), a = x[lo], b = x[hi]
                // numpy/lib/_function_base_impl.py `_lerp`: a + t(b − a), or b − (1 − t)(b − a) for t ≥ ½.
                let diff = b - a
                return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
            }
        }
        // Move the q axis (now at `ax`) to the front, then drop it for a scalar q.
        var moved = Tensor(unchecked: s, out)
        if ax != 0 {
            var perm = Array(0..<s.count)
            perm.remove(at: ax)
            perm.insert(ax, at: 0)
            moved = try moved.transposed(perm)
        }
        return q.ndim == 0 ? try moved.reshaped(Array(moved.shape.dropFirst())) : moved
    }
}
