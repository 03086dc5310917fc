import Foundation

/// Reductions along one axis or over all elements.
public enum ReduceOp: String, Sendable, CaseIterable {
    case sum, mean, max, min, prod, std, variance = "var", argmax, argmin
}

extension Tensor {
    /// Normalises a possibly negative axis.
    ///
    /// - Throws: `ShapeError.badAxis` outside `-ndim ..< ndim`.
    public func normalizedAxis(_ axis: Int) throws -> Int {
        let a = axis < 0 ? axis + ndim : axis
        guard a >= 0 && a < ndim else { throw ShapeError.badAxis(axis: axis, ndim: ndim) }
        return a
    }

    /// The tensor as (outer, n, inner) around `axis`: element (o, k, i) is at (o·n + k)·inner + i.
    func axisSplit(_ axis: Int) -> (outer: Int, n: Int, inner: Int) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    /// Reduces along `axis` (all elements when nil). `std` and `var` divide by n, as NumPy's
    /// default; `argmax`/`argmin` return the first index of the extreme (flat index when axis is nil).
    ///
    /// - Throws: `ShapeError.badAxis`; `TensorError.invalidArgument` for max/min/arg of an empty
    ///   tensor; `TensorError.unsupportedDType` for orderings of complex values.
    public func reduce(_ op: ReduceOp, axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        if isComplex {
            guard op == .sum || op == .mean || op == .prod else {
                throw TensorError.unsupportedDType(op: op.rawValue, dtype: .complex128)
            }
            let re = try realPart().reduce(op == .prod ? .sum : op, axis: axis, keepDims: keepDims)
            if op == .prod { return try complexProd(axis: axis, keepDims: keepDims) }
            let im = try imagPart().reduce(op, axis: axis, keepDims: keepDims)
            return try Tensor.complex(re: re, im: im)
        }
        let source = dtype == .bool ? Tensor(sharing: self, shape: shape, dtype: .float64) : self
        guard let axis else {
            let flat = try source.reshaped([count])
            let r = try flat.reduce(op, axis: 0)
            return keepDims ? try r.reshaped([Int](repeating: 1, count: ndim)) : r
        }
        let ax = try normalizedAxis(axis)
        let (outer, n, inner) = axisSplit(ax)
        if n == 0, [.max, .min, .argmax, .argmin].contains(op) {
            throw TensorError.invalidArgument("`\(op.rawValue)` of an empty axis has no value")
        }
        var outShape = shape
        if keepDims { outShape[ax] = 1 } else { outShape.remove(at: ax) }
        // Each output element is its own line's reduction, so lines split into `Parallel` pieces.
        let lines = outer * inner
        let out = try source.storage.withUnsafeBufferPointer { p in
            try makeStorage(lines) { o in
                Parallel.forEachPiece(lines, minimum: Swift.max(1, Parallel.minimumElements / Swift.max(n, 1))) { range in
                    if inner == 1 {  // the last axis: contiguous lines
                        for line in range { o[line] = reduceLine(op, p, base: line * n, n: n, stride: 1) }
                        return
                    }
                    for line in range {
                        let (o0, i) = line.quotientAndRemainder(dividingBy: inner)
                        o[line] = reduceLine(op, p, base: o0 * n * inner + i, n: n, stride: inner)
                    }
                }
            }
        }
        return Tensor(unchecked: outShape, out, dtype: reducedDType(op, out))
    }

    /// The dtype of a reduction: int64 for `argmax`/`argmin`, and for `sum`/`prod`/`max`/`min`
    /// of integers while exact (|x| ≤ 2⁵³), as NumPy keeps them integer; float64 otherwise.
    private func reducedDType(_ op: ReduceOp, _ out: [Double]) -> DType {
        switch op {
        case .argmax, .argmin: return .int64
        case .sum, .prod, .max, .min:
            return dtype == .int64 && out.allSatisfy({ Swift.abs($0) <= DType.exactIntegerLimit }) ? .int64 : .float64
        case .mean, .std, .variance: return .float64
        }
    }

    private func complexProd(axis: Int?, keepDims: Bool) throws -> Tensor {
        guard let axis else {
            var acc = Complex(1)
            for i in 0..<count { acc = acc * Complex(storage[2 * i], storage[2 * i + 1]) }
            let r = Tensor(re: acc.re, im: acc.im)
            return keepDims ? try r.reshaped([Int](repeating: 1, count: ndim)) : r
        }
        let ax = try normalizedAxis(axis)
        let (outer, n, inner) = axisSplit(ax)
        var outShape = shape
        if keepDims { outShape[ax] = 1 } else { outShape.remove(at: ax) }
        var out = [Double](repeating: 0, count: 2 * outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var acc = Complex(1)
                for k in 0..<n {
                    let j = (o * n + k) * inner + i
                    acc = acc * Complex(storage[2 * j], storage[2 * j + 1])
                }
                out[2 * (o * inner + i)] = acc.re; out[2 * (o * inner + i) + 1] = acc.im
            }
        }
        return Tensor(unchecked: outShape, out, dtype: .complex128)
    }

    /// Sum along `axis` (all when nil).
    public func sum(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        try reduce(.sum, axis: axis, keepDims: keepDims)
    }

    /// Sum of all elements as a number (real part for complex tensors).
    public func sumAll() -> Double {
        if isComplex { return (0..<count).reduce(0) { $0 + storage[2 * $1] } }
        return storage.withUnsafeBufferPointer { pairwiseSum($0.baseAddress.unsafelyUnwrapped, $0.count, 1) }
    }

    /// Cumulative sum along `axis` (over the flattened tensor when nil, as NumPy).
    public func cumsum(axis: Int? = nil) throws -> Tensor {
        if isComplex {
            return try Tensor.complex(re: realPart().cumsum(axis: axis), im: imagPart().cumsum(axis: axis))
        }
        guard let axis else { return try reshaped([count]).cumsum(axis: 0) }
        let ax = try normalizedAxis(axis)
        let (outer, n, inner) = axisSplit(ax)
        var out = storage
        for o in 0..<outer {
            for i in 0..<inner {
                var acc = 0.0
                for k in 0..<n {
                    let j = (o * n + k) * inner + i
                    acc += out[j]; out[j] = acc
                }
            }
        }
        let exact = dtype == .int64 && out.allSatisfy { Swift.abs($0) <= DType.exactIntegerLimit }
        return Tensor(unchecked: shape, out, dtype: exact ? .int64 : .float64)
    }

    /// log Σ exp(x) along `axis`, shifted by the maximum so it neither overflows nor underflows:
    /// m + log Σ exp(x − m) with m the line's maximum (0 when that is not finite, so ±∞ and NaN
    /// come through as the unshifted formula gives them). One pass per line, lines in `Parallel`
    /// pieces; the same values as the formula written out with `reduce`, `exp`, `sum` and `log`.
    public func logsumexp(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        guard !isComplex else { throw TensorError.unsupportedDType(op: "logsumexp", dtype: .complex128) }
        guard let axis else {
            let r = try reshaped([count]).logsumexp(axis: 0)
            return keepDims ? try r.reshaped([Int](repeating: 1, count: ndim)) : r
        }
        let ax = try normalizedAxis(axis)
        let (outer, n, inner) = axisSplit(ax)
        var outShape = shape
        if keepDims { outShape[ax] = 1 } else { outShape.remove(at: ax) }
        let lines = outer * inner
        let source = try asFloat()
        let out = try source.storage.withUnsafeBufferPointer { p in
            try makeStorage(lines) { o in
                guard n > 0, let x = p.baseAddress else {
                    o.initialize(repeating: -.infinity, count: lines)
                    return
                }
                Parallel.forEachPiece(lines, minimum: Swift.max(1, Parallel.minimumElements / n)) { range in
                    let line = UnsafeMutablePointer<Double>.allocate(capacity: n)
                    defer { line.deallocate() }
                    for l in range {
                        let (o0, i) = l.quotientAndRemainder(dividingBy: inner)
                        let start = x + o0 * n * inner + i
                        var m = start[0]
                        for k in 0..<n {
                            let v = start[k * inner]
                            if v.isNaN { m = v; break }
                            if v > m { m = v }
                        }
                        let shift = m.isFinite ? m : 0
                        for k in 0..<n { line[k] = start[k * inner] - shift }
                        FastMath.exp(line, line, count: n)
                        o[l] = Foundation.log(pairwiseSum(line, n, 1)) + shift
                    }
                }
            }
        }
        return Tensor(unchecked: outShape, out)
    }

    /// exp(x − logsumexp(x)) along `axis` (the last one by default).
    public func softmax(axis: Int = -1) throws -> Tensor {
        let lse = try logsumexp(axis: axis, keepDims: true)
        return try binary(.sub, lse).unary(.exp)
    }

    /// The p-norm of all elements: p = 2 (Euclidean/Frobenius), 1, ∞ (`.infinity`), or any p > 0.
    public func norm(p: Double = 2) throws -> Double {
        let a = isComplex ? try unary(.abs).storage : storage.map { Swift.abs($0) }
        if p == 2 {
            // Scaled sum of squares (LAPACK dnrm2's idea) so huge or tiny entries do not overflow.
            let scale = a.max() ?? 0
            guard scale > 0, scale.isFinite else { return scale }
            var s = 0.0
            for x in a { let r = x / scale; s += r * r }
            return scale * s.squareRoot()
        }
        if p == .infinity { return a.max() ?? 0 }
        if p == 1 { return a.reduce(0, +) }
        guard p > 0 else { throw TensorError.invalidArgument("norm needs p > 0, got \(p)") }
        return Foundation.pow(a.reduce(0) { $0 + Foundation.pow($1, p) }, 1 / p)
    }
}

/// Pairwise (cascade) summation, error O(log n · ε) as in NumPy's `sum`.
func pairwiseSum(_ p: UnsafePointer<Double>, _ n: Int, _ stride: Int) -> Double {
    if n <= 128 {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var k = 0
        // Positions stay inside the buffer, so unchecked index arithmetic is safe (and lets the
        // loop be scheduled freely); the order of the additions is unchanged.
        while k + 4 <= n {
            s0 += p[k &* stride]; s1 += p[(k &+ 1) &* stride]; s2 += p[(k &+ 2) &* stride]; s3 += p[(k &+ 3) &* stride]
            k += 4
        }
        while k < n { s0 += p[k &* stride]; k += 1 }
        return (s0 + s1) + (s2 + s3)
    }
    let half = (n / 2) & ~7
    return pairwiseSum(p, half, stride) + pairwiseSum(p + half * stride, n - half, stride)
}

@inline(__always)
private func reduceLine(_ op: ReduceOp, _ p: UnsafeBufferPointer<Double>, base: Int, n: Int, stride: Int) -> Double {
    let x = p.baseAddress.unsafelyUnwrapped + base
    switch op {
    case .sum: return pairwiseSum(x, n, stride)
    case .mean: return pairwiseSum(x, n, stride) / Double(n)
    case .prod:
        var acc = 1.0
        for k in 0..<n { acc *= x[k * stride] }
        return acc
    case .max, .min:
        var best = x[0]
        for k in 0..<n {
            let v = x[k &* stride]
            if v.isNaN { return v }
            if op == .max ? v > best : v < best { best = v }
        }
        return best
    case .argmax, .argmin:
        var best = x[0], at = 0
        for k in 0..<n {
            let v = x[k * stride]
            if v.isNaN { return Double(k) }
            if op == .argmax ? v > best : v < best { best = v; at = k }
        }
        return Double(at)
    case .std, .variance:
        // Two passes: the mean, then the mean squared deviation (divides by n, NumPy's ddof=0).
        let mean = pairwiseSum(x, n, stride) / Double(n)
        var s = 0.0
        for k in 0..<n { let d = x[k * stride] - mean; s += d * d }
        let v = s / Double(n)
        return op == .std ? v.squareRoot() : v
    }
}
